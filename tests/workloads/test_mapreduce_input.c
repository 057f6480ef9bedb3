/* SPDX-License-Identifier: MIT */
/* test_mapreduce_input.c - generated input against its known answer, and the oracle against it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "mapreduce_input.h"
#include "mapreduce_oracle.h"

enum { DOCUMENTS = 8 };

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static struct mr_input_answer *generate(char *dir, uint64_t seed, uint64_t bytes)
{
	struct mr_input_spec spec = { .seed = seed, .documents = DOCUMENTS, .bytes = bytes,
				      .vocabulary = 20000 };
	struct mr_input_answer *answer;
	struct errbuf eb = { "" };

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(mr_input_write(&spec, dir, &answer, &eb), 0, "%s", eb.msg);
	return answer;
}

/* The count the oracle's row @index outputs (word count outputs a decimal number). */
static uint64_t row_count(const struct mr_oracle *o, size_t index)
{
	struct mr_oracle_row row = mr_oracle_row(o, index);
	char text[24];

	cr_assert_lt(row.output.size, sizeof(text));
	memcpy(text, row.output.bytes, row.output.size);
	text[row.output.size] = '\0';
	return strtoull(text, NULL, 10);
}

static uint64_t oracle_count(const struct mr_oracle *o, const char *word)
{
	ssize_t index = mr_oracle_find(o, (struct mr_slice){ word, strlen(word) });

	return index < 0 ? 0 : row_count(o, (size_t)index);
}

/* The oracle self-check: the oracle's word count equals what the generator wrote, exactly. */
Test(mapreduce_input, oracle_word_count_equals_the_generators_answer)
{
	char dir[] = "/tmp/mr-input-XXXXXX";
	struct mr_input_answer *answer = generate(dir, 20261208, 2u << 20);
	const char *paths[DOCUMENTS];
	const char *spot[] = { "A", "zzzzzz", "The", "THE" };
	struct mr_oracle *o;
	struct mr_app app;
	struct errbuf eb = { "" };
	uint64_t total = 0;

	for (uint32_t i = 0; i < DOCUMENTS; i++)
		paths[i] = mr_input_answer_path(answer, i);
	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_oracle_compute(&app, paths, DOCUMENTS, &o, &eb), 0, "%s", eb.msg);
	cr_assert_eq(mr_oracle_count(o), mr_input_answer_distinct(answer));
	for (size_t i = 0; i < mr_oracle_count(o); i++)
		total += row_count(o, i);
	cr_assert_eq(total, mr_input_answer_total(answer));
	cr_assert_gt(mr_input_answer_total(answer), 100000);
	for (size_t i = 0; i < 5; i++) {
		struct mr_input_word top = mr_input_answer_word(answer, i);

		cr_assert_eq(oracle_count(o, top.word), top.count, "top %zu: %s", i, top.word);
	}
	for (size_t i = 0; i < sizeof(spot) / sizeof(spot[0]); i++)
		cr_assert_eq(oracle_count(o, spot[i]), mr_input_answer_count(answer, spot[i]),
			     "spot %s", spot[i]);
	for (size_t i = 0; i < mr_input_answer_distinct(answer); i++) {
		struct mr_input_word w = mr_input_answer_word(answer, i);

		cr_assert_eq(oracle_count(o, w.word), w.count, "word %s", w.word);
	}
	mr_oracle_free(o);
	mr_input_answer_free(answer);
	remove_tree(dir);
}

Test(mapreduce_input, same_seed_same_text_and_mixed_case_punctuation_digits)
{
	char first[] = "/tmp/mr-input-XXXXXX", second[] = "/tmp/mr-input-XXXXXX";
	struct mr_input_answer *a = generate(first, 7, 64 * 1024);
	struct mr_input_answer *b = generate(second, 7, 64 * 1024);
	int upper = 0, digit = 0, punct = 0, c;
	FILE *f;

	cr_assert_eq(mr_input_answer_total(a), mr_input_answer_total(b));
	cr_assert_eq(mr_input_answer_distinct(a), mr_input_answer_distinct(b));
	for (size_t i = 0; i < mr_input_answer_distinct(a); i++) {
		cr_assert_str_eq(mr_input_answer_word(a, i).word, mr_input_answer_word(b, i).word);
		cr_assert_eq(mr_input_answer_word(a, i).count, mr_input_answer_word(b, i).count);
	}
	f = fopen(mr_input_answer_path(a, 1), "r");
	cr_assert_not_null(f);
	while ((c = fgetc(f)) != EOF) {
		upper += c >= 'A' && c <= 'Z';
		digit += c >= '0' && c <= '9';
		punct += c == ',' || c == '.' || c == '!';
	}
	fclose(f);
	cr_assert(upper > 0 && digit > 0 && punct > 0);
	mr_input_answer_free(a);
	mr_input_answer_free(b);
	remove_tree(first);
	remove_tree(second);
}

Test(mapreduce_input, spec_out_of_bounds_is_refused)
{
	struct mr_input_spec spec = { .seed = 1, .documents = 0, .bytes = 10, .vocabulary = 10 };
	struct mr_input_answer *answer = (struct mr_input_answer *)1;
	struct errbuf eb = { "" };

	cr_assert_eq(mr_input_write(&spec, "/tmp", &answer, &eb), -EINVAL);
	cr_assert_null(answer);
	cr_assert_neq(strstr(eb.msg, "documents=0"), NULL, "%s", eb.msg);
	spec.documents = 1;
	spec.vocabulary = 0;
	cr_assert_eq(mr_input_write(&spec, "/tmp", &answer, &eb), -EINVAL);
	cr_assert_neq(strstr(eb.msg, "vocabulary=0"), NULL, "%s", eb.msg);
}

/* The index over the same input has the same keys as word count, each with 1..D documents. */
Test(mapreduce_input, index_keys_equal_word_count_keys_with_sorted_documents)
{
	char dir[] = "/tmp/mr-input-XXXXXX";
	struct mr_input_answer *answer = generate(dir, 99, 256 * 1024);
	const char *paths[DOCUMENTS];
	struct mr_oracle *o;
	struct mr_app app;
	struct errbuf eb = { "" };

	for (uint32_t i = 0; i < DOCUMENTS; i++)
		paths[i] = mr_input_answer_path(answer, i);
	cr_assert_eq(mr_app_init(&app, "index", NULL, NULL), 0);
	cr_assert_eq(mr_oracle_compute(&app, paths, DOCUMENTS, &o, &eb), 0, "%s", eb.msg);
	cr_assert_eq(mr_oracle_count(o), mr_input_answer_distinct(answer));
	for (size_t i = 0; i < mr_input_answer_distinct(answer); i++) {
		const char *word = mr_input_answer_word(answer, i).word;
		ssize_t index = mr_oracle_find(o, (struct mr_slice){ word, strlen(word) });
		struct mr_oracle_row row;
		char out[1024], *list, *previous = NULL;
		unsigned long documents, listed = 0;

		cr_assert_geq(index, 0, "word %s", word);
		row = mr_oracle_row(o, (size_t)index);
		cr_assert_lt(row.output.size, sizeof(out));
		memcpy(out, row.output.bytes, row.output.size);
		out[row.output.size] = '\0';
		documents = strtoul(out, &list, 10);
		cr_assert(documents >= 1 && documents <= DOCUMENTS, "%s", out);
		for (char *doc = strtok(list + 1, ","); doc; doc = strtok(NULL, ",")) {
			cr_assert(previous == NULL || strcmp(previous, doc) < 0, "%s", out);
			previous = doc;
			listed++;
		}
		cr_assert_eq(listed, documents, "%s", out);
	}
	mr_oracle_free(o);
	mr_input_answer_free(answer);
	remove_tree(dir);
}
