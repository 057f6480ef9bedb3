/* SPDX-License-Identifier: MIT */
/* test_mapreduce_oracle.c - the sequential oracle: grouping, key order, partitions, errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "mapreduce_oracle.h"

static struct mr_slice text(const char *s)
{
	return (struct mr_slice){ s, strlen(s) };
}

static struct mr_oracle *run(const char *app_name, const char *param, const char *const *docs,
			     size_t count)
{
	struct mr_app app;
	struct mr_oracle *o;
	struct errbuf eb = { "" };

	cr_assert_eq(mr_app_init(&app, app_name, param, NULL), 0);
	cr_assert_eq(mr_oracle_new(&app, &o, NULL), 0);
	for (size_t i = 0; i < count; i++)
		cr_assert_eq(mr_oracle_add_document(o, text(docs[2 * i]), text(docs[2 * i + 1]),
						    &eb), 0, "%s", eb.msg);
	cr_assert_eq(mr_oracle_run(o, &eb), 0, "%s", eb.msg);
	return o;
}

/* The oracle's answer as the lab's output lines. */
static char *lines(const struct mr_oracle *o)
{
	char *bytes = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&bytes, &size);

	cr_assert_not_null(stream);
	cr_assert_eq(mr_oracle_write(o, stream, NULL), 0);
	fclose(stream);
	return bytes;
}

Test(mapreduce_oracle, wc_counts_across_documents_in_key_order)
{
	const char *docs[] = { "a.txt", "the cat, The cat9dog", "b.txt", "dog the" };
	struct mr_oracle *o = run("wc", NULL, docs, 2);
	char *out = lines(o);

	cr_assert_str_eq(out, "The 1\ncat 2\ndog 2\nthe 2\n");
	cr_assert_eq(mr_oracle_find(o, text("dog")), 2);
	cr_assert_eq(mr_oracle_find(o, text("cow")), -ENOENT);
	free(out);
	mr_oracle_free(o);
}

Test(mapreduce_oracle, index_lists_sorted_distinct_documents)
{
	const char *docs[] = { "z.txt", "x y x", "m.txt", "y", "a.txt", "x x x" };
	struct mr_oracle *o = run("index", NULL, docs, 3);
	char *out = lines(o);

	cr_assert_str_eq(out, "x 2 a.txt,z.txt\ny 2 m.txt,z.txt\n");
	free(out);
	mr_oracle_free(o);
}

Test(mapreduce_oracle, grep_keys_sort_by_document_then_line)
{
	const char *docs[] = { "b", "hit\nmiss\nhit again", "a", "no\nhit" };
	struct mr_oracle *o = run("grep", "hit", docs, 2);
	char *out = lines(o);

	cr_assert_str_eq(out, "a:0000000002 hit\nb:0000000001 hit\nb:0000000003 hit again\n");
	free(out);
	mr_oracle_free(o);
}

Test(mapreduce_oracle, partitions_cover_every_key_once_in_order)
{
	const char *docs[] = { "d", "alpha beta gamma delta epsilon zeta eta theta iota kappa" };
	struct mr_oracle *o = run("wc", NULL, docs, 1);
	size_t seen = 0;

	for (uint32_t p = 0; p < 3; p++) {
		size_t cursor = 0, index, previous = 0;
		int first = 1;

		while (mr_oracle_partition_next(o, 3, p, &cursor, &index)) {
			struct mr_oracle_row row = mr_oracle_row(o, index);

			cr_assert_eq(row.hash % 3, p);
			cr_assert_eq(mr_partition(row.key, 3), p);
			cr_assert(first || index > previous);
			previous = index;
			first = 0;
			seen++;
		}
	}
	cr_assert_eq(seen, mr_oracle_count(o));
	cr_assert_eq(seen, 10);
	mr_oracle_free(o);
}

Test(mapreduce_oracle, missing_file_names_its_path)
{
	struct mr_app app;
	struct mr_oracle *o = (struct mr_oracle *)1;
	struct errbuf eb = { "" };
	const char *paths[] = { "/nonexistent/faultline/input-7.txt" };

	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_oracle_compute(&app, paths, 1, &o, &eb), -ENOENT);
	cr_assert_null(o);
	cr_assert_neq(strstr(eb.msg, "/nonexistent/faultline/input-7.txt"), NULL, "%s", eb.msg);
	cr_assert_neq(strstr(eb.msg, "No such file"), NULL, "%s", eb.msg);
}

Test(mapreduce_oracle, too_long_word_in_a_file_is_refused_with_e2big)
{
	char dir[] = "/tmp/mr-oracle-XXXXXX", path[64];
	static char word[MR_KEY_BYTES_MAX + 1];
	struct mr_app app;
	struct mr_oracle *o;
	struct errbuf eb = { "" };
	const char *paths[] = { path };
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/long.txt", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	memset(word, 'w', sizeof(word));
	fputs("ok ", f);
	fwrite(word, 1, sizeof(word), f);
	fclose(f);
	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_oracle_compute(&app, paths, 1, &o, &eb), -E2BIG);
	cr_assert_neq(strstr(eb.msg, path), NULL, "%s", eb.msg);
	cr_assert_neq(strstr(eb.msg, "1025 bytes"), NULL, "%s", eb.msg);
	unlink(path);
	rmdir(dir);
}

Test(mapreduce_oracle, same_document_twice_is_refused)
{
	struct mr_app app;
	struct mr_oracle *o;
	struct errbuf eb = { "" };

	cr_assert_eq(mr_app_init(&app, "index", NULL, NULL), 0);
	cr_assert_eq(mr_oracle_new(&app, &o, NULL), 0);
	cr_assert_eq(mr_oracle_add_document(o, text("d"), text("x"), NULL), 0);
	cr_assert_eq(mr_oracle_add_document(o, text("d"), text("y"), &eb), -EEXIST);
	cr_assert_neq(strstr(eb.msg, "'d' added twice"), NULL, "%s", eb.msg);
	mr_oracle_free(o);
}
