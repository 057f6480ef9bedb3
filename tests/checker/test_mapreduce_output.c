/* SPDX-License-Identifier: MIT */
/* test_mapreduce_output.c - the output checker: a correct output directory is valid, and each
 * kind of wrong directory fails with its anomaly named. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "mapreduce_oracle.h"
#include "mapreduce_output.h"
#include "mr_file.h"

enum { REDUCES = 3, LINES_MAX = 64 };

static const char *const docs[] = {
	"the cat and the hat and the bat", "a zebra and a yak, the end", "Hat hat HAT cat",
};

static struct mr_oracle *oracle;
static char dir[64];

static void setup(void)
{
	struct mr_app app;

	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_oracle_new(&app, &oracle, NULL), 0);
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char name[16];
		struct mr_slice doc = { name, (size_t)snprintf(name, sizeof(name), "d%zu", i) };

		cr_assert_eq(mr_oracle_add_document(oracle, doc,
						    (struct mr_slice){ docs[i], strlen(docs[i]) },
						    NULL), 0);
	}
	cr_assert_eq(mr_oracle_run(oracle, NULL), 0);
	snprintf(dir, sizeof(dir), "/tmp/mr-output-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char command[128];

	snprintf(command, sizeof(command), "rm -rf %s", dir);
	cr_assert_eq(system(command), 0);
	mr_oracle_free(oracle);
}

/* The lines of partition @r as the oracle has them, "key value" each. */
static size_t partition_lines(uint32_t r, char lines[][2][64])
{
	size_t cursor = 0, index, n = 0;

	while (mr_oracle_partition_next(oracle, REDUCES, r, &cursor, &index)) {
		struct mr_oracle_row row = mr_oracle_row(oracle, index);

		cr_assert_lt(n, LINES_MAX);
		snprintf(lines[n][0], 64, "%.*s", (int)row.key.size, row.key.bytes);
		snprintf(lines[n][1], 64, "%.*s", (int)row.output.size, row.output.bytes);
		n++;
	}
	return n;
}

/* Write DIR/@name with @n lines and a correct trailer. */
static void file_write(const char *name, char lines[][2][64], size_t n)
{
	static struct mr_ofile_writer w;
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	mr_ofile_writer_init(&w, fd, path);
	for (size_t i = 0; i < n; i++) {
		struct mr_slice key = { lines[i][0], strlen(lines[i][0]) };
		struct mr_slice value = { lines[i][1], strlen(lines[i][1]) };

		cr_assert_eq(mr_ofile_line(&w, key, value, NULL), 0);
	}
	cr_assert_eq(mr_ofile_finish(&w, NULL), 0);
}

/* Write every partition right, then let @mutate change partition @r's lines first. */
static void dir_write(uint32_t r_mutated, size_t (*mutate)(char lines[][2][64], size_t n))
{
	for (uint32_t r = 0; r < REDUCES; r++) {
		char lines[LINES_MAX][2][64], name[16];
		size_t n = partition_lines(r, lines);

		if (mutate && r == r_mutated)
			n = mutate(lines, n);
		snprintf(name, sizeof(name), "mr-out-%u", r);
		file_write(name, lines, n);
	}
}

static struct mr_output_report judge(void)
{
	struct mr_output_report report;
	struct errbuf eb;

	cr_assert_eq(mr_output_check(dir, REDUCES, oracle, &report, &eb), 0, "%s", eb.msg);
	return report;
}

static bool has_finding(const struct mr_output_report *r, enum mr_output_anomaly anomaly,
			const char *text)
{
	for (uint32_t i = 0; i < r->finding_count; i++)
		if (r->findings[i].anomaly == anomaly && strstr(r->findings[i].text, text))
			return true;
	return false;
}

static void expect_only(const struct mr_output_report *r, enum mr_output_anomaly anomaly,
			const char *text)
{
	cr_assert_gt(r->counts[anomaly], 0, "%s expected", mr_output_anomaly_name(anomaly));
	for (int a = 0; a < MR_OUTPUT_ANOMALIES; a++)
		if (a != (int)anomaly && a != MR_OUTPUT_WRONG_OUTPUT)
			cr_assert_eq(r->counts[a], 0, "%s too", mr_output_anomaly_name(a));
	cr_assert_gt(r->finding_count, 0);
	for (uint32_t i = 0; i < r->finding_count; i++)
		if (r->findings[i].anomaly == anomaly) {
			cr_assert(strstr(r->findings[i].text, text) != NULL, "%s",
				  r->findings[i].text);
			return;
		}
	cr_assert_fail("no finding of %s", mr_output_anomaly_name(anomaly));
}

TestSuite(mapreduce_output, .init = setup, .fini = teardown);

Test(mapreduce_output, the_oracles_own_output_is_valid)
{
	struct mr_output_report r;

	dir_write(0, NULL);
	r = judge();
	cr_assert(mr_output_valid(&r), "%s", r.finding_count ? r.findings[0].text : "");
	cr_assert_eq(r.keys, mr_oracle_count(oracle));
}

static size_t change_value(char lines[][2][64], size_t n)
{
	cr_assert_gt(n, 0);
	snprintf(lines[0][1], 64, "999");
	return n;
}

static size_t drop_first(char lines[][2][64], size_t n)
{
	cr_assert_gt(n, 0);
	memmove(lines[0], lines[1], (n - 1) * sizeof(lines[0]));
	return n - 1;
}

static size_t swap_two(char lines[][2][64], size_t n)
{
	char tmp[2][64];

	cr_assert_gt(n, 1);
	memcpy(tmp, lines[0], sizeof(tmp));
	memcpy(lines[0], lines[1], sizeof(tmp));
	memcpy(lines[1], tmp, sizeof(tmp));
	return n;
}

static size_t add_unknown(char lines[][2][64], size_t n)
{
	snprintf(lines[n][0], 64, "zzzzzz");
	snprintf(lines[n][1], 64, "1");
	return n + 1;
}

/* The first partition with at least two keys. */
static uint32_t busy_partition(void)
{
	for (uint32_t r = 0; r < REDUCES; r++) {
		char lines[LINES_MAX][2][64];

		if (partition_lines(r, lines) >= 2)
			return r;
	}
	cr_assert_fail("no partition with two keys");
	return 0;
}

Test(mapreduce_output, a_wrong_value_is_wrong_output_naming_expected_and_actual)
{
	struct mr_output_report r;

	dir_write(busy_partition(), change_value);
	r = judge();
	expect_only(&r, MR_OUTPUT_WRONG_OUTPUT, "got '999'");
	cr_assert(strstr(r.findings[0].text, "expected") != NULL, "%s", r.findings[0].text);
}

Test(mapreduce_output, a_missing_or_extra_key_is_wrong_output)
{
	struct mr_output_report r;

	dir_write(busy_partition(), drop_first);
	r = judge();
	expect_only(&r, MR_OUTPUT_WRONG_OUTPUT, "is missing");
	dir_write(busy_partition(), add_unknown);
	r = judge();
	cr_assert(has_finding(&r, MR_OUTPUT_WRONG_OUTPUT, "'zzzzzz' = '1' is not in the oracle"));
}

Test(mapreduce_output, keys_out_of_order_are_unsorted)
{
	dir_write(busy_partition(), swap_two);
	struct mr_output_report r = judge();

	expect_only(&r, MR_OUTPUT_UNSORTED, "after");
	cr_assert_eq(r.counts[MR_OUTPUT_WRONG_OUTPUT], 0, "same keys, same values");
}

static int line_compare(const void *a, const void *b)
{
	return strcmp(((const char (*)[64])a)[0], ((const char (*)[64])b)[0]);
}

Test(mapreduce_output, a_key_in_another_partition_is_wrong_partition)
{
	char lines[LINES_MAX][2][64], other[LINES_MAX][2][64];
	uint32_t from = busy_partition(), to = (from + 1) % REDUCES;
	size_t m = partition_lines(to, other);
	struct mr_output_report r;
	char name[16];

	dir_write(0, NULL);
	/* A key of @from also in @to's file, in sorted place: only its partition is wrong. */
	cr_assert_gt(partition_lines(from, lines), 0);
	memcpy(other[m], lines[0], sizeof(lines[0]));
	qsort(other, m + 1, sizeof(other[0]), line_compare);
	snprintf(name, sizeof(name), "mr-out-%u", to);
	file_write(name, other, m + 1);
	r = judge();
	expect_only(&r, MR_OUTPUT_WRONG_PARTITION, "its partition is");
	cr_assert_eq(r.counts[MR_OUTPUT_UNSORTED], 0);
}

Test(mapreduce_output, torn_doubled_stray_or_missing_files_fail)
{
	char path[128];
	struct mr_output_report r;
	FILE *f;

	dir_write(0, NULL);
	snprintf(path, sizeof(path), "%s/mr-out-1", dir);
	cr_assert_eq(truncate(path, 5), 0);
	r = judge();
	expect_only(&r, MR_OUTPUT_TORN_OUTPUT, "torn");
	dir_write(0, NULL);
	snprintf(path, sizeof(path), "%s/mr-out-1.tmp-2", dir);
	f = fopen(path, "w");
	fputs("partial", f);
	fclose(f);
	r = judge();
	expect_only(&r, MR_OUTPUT_TORN_OUTPUT, "among the finals");
	cr_assert_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/mr-out-2", dir);
	cr_assert_eq(unlink(path), 0);
	r = judge();
	expect_only(&r, MR_OUTPUT_WRONG_OUTPUT, "mr-out-2: missing");
}
