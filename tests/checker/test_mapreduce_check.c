/* SPDX-License-Identifier: MIT */
/* test_mapreduce_check.c - the mapreduce checker on a run directory built here (config.json,
 * input, a job's output, the history, the coordinator's evidence): valid as built, and each
 * anomaly named when the run is made to show it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checker.h"
#include "checker_table.h"
#include "errbuf.h"
#include "hist.h"
#include "mapreduce_oracle.h"
#include "mr_file.h"

enum { REDUCES = 2, LINE_BYTES = 512 };

static const char *const docs[] = { "the cat and the hat", "a hat, a cat; THE end" };

static char dir[64];
static struct mr_oracle *oracle;

static void put_text(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* The correct output of job 1, partition by partition, as a reduce commits it. */
static void output_write(int job)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/output/job-%d", dir, job);
	cr_assert_eq(mkdir(path, 0755), 0);
	for (uint32_t r = 0; r < REDUCES; r++) {
		static struct mr_ofile_writer w;
		char file[300];
		size_t cursor = 0, index;

		snprintf(file, sizeof(file), "%s/mr-out-%u", path, r);
		mr_ofile_writer_init(&w, open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644), file);
		cr_assert_geq(w.fd, 0);
		while (mr_oracle_partition_next(oracle, REDUCES, r, &cursor, &index)) {
			struct mr_oracle_row row = mr_oracle_row(oracle, index);

			cr_assert_eq(mr_ofile_line(&w, row.key, row.output, NULL), 0);
		}
		cr_assert_eq(mr_ofile_finish(&w, NULL), 0);
	}
}

static void setup(void)
{
	struct mr_app app;
	char path[256];

	snprintf(dir, sizeof(dir), "/tmp/fl-mr-check-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	put_text("config.json", "{\"system\": \"mapreduce\", \"model\": \"mapreduce\", "
		 "\"nodes_count\": 3, \"mapreduce\": {\"app\": \"wc\", \"maps\": 2, "
		 "\"reduces\": 2, \"crash_in_task\": 0.0, \"input\": \"input\"}}\n");
	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_oracle_new(&app, &oracle, NULL), 0);
	snprintf(path, sizeof(path), "%s/input", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	for (int i = 0; i < 2; i++) {
		char name[32], full[128];

		snprintf(name, sizeof(name), "input/doc-%d.txt", i);
		put_text(name, docs[i]);
		snprintf(full, sizeof(full), "%s/%s", dir, name);
		cr_assert_eq(mr_oracle_add_file(oracle, full, NULL), 0);
	}
	cr_assert_eq(mr_oracle_run(oracle, NULL), 0);
	snprintf(path, sizeof(path), "%s/output", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nodes", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nodes/n1.data", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	output_write(1);
}

static void teardown(void)
{
	char command[128];

	snprintf(command, sizeof(command), "rm -rf %s", dir);
	cr_assert_eq(system(command), 0);
	mr_oracle_free(oracle);
}

TestSuite(mapreduce_check, .init = setup, .fini = teardown);

/* Job 1's output as the client sees it now, as an ok op's value. */
static void job_value(char *buf, size_t size, bool whole)
{
	struct mr_output_snapshot snap;
	char path[256];

	snprintf(path, sizeof(path), "%s/output/job-1", dir);
	cr_assert_eq(mr_output_snapshot_take(path, REDUCES, &snap, NULL), 0);
	snprintf(buf, size, "{\"job\":1,\"digest\":\"%016" PRIx64 "\",\"files\":%u,"
		 "\"whole\":%u}", snap.digest, snap.files, whole ? snap.whole : snap.whole - 1);
}

/* The history: job 1 ok (its value @value), then the final read (@final_type). */
static void history_write(const char *value, const char *final_type, bool nemesis)
{
	char text[4 * LINE_BYTES];
	int n = snprintf(text, sizeof(text),
			 "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\","
			 "\"f\":\"job\",\"value\":{\"job\":1},\"node\":\"n1\"}\n"
			 "{\"index\":1,\"time\":2000,\"process\":0,\"type\":\"ok\",\"f\":\"job\","
			 "\"value\":%s,\"node\":\"n1\"}\n", value);

	if (nemesis)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "{\"index\":2,\"time\":2500,\"process\":\"nemesis\",\"type\":"
			      "\"invoke\",\"f\":\"kill\",\"value\":null}\n"
			      "{\"index\":3,\"time\":2600,\"process\":\"nemesis\",\"type\":"
			      "\"info\",\"f\":\"kill\",\"value\":null}\n");
	snprintf(text + n, sizeof(text) - (size_t)n,
		 "{\"index\":%d,\"time\":3000,\"process\":1,\"type\":\"invoke\",\"f\":\"read\","
		 "\"value\":null,\"node\":\"n1\",\"key\":\"job\",\"final\":true}\n"
		 "{\"index\":%d,\"time\":4000,\"process\":1,\"type\":\"%s\",\"f\":\"read\","
		 "\"value\":%s,\"node\":\"n1\",\"key\":\"job\",\"final\":true}\n",
		 nemesis ? 4 : 2, nemesis ? 5 : 3, final_type,
		 strcmp(final_type, "ok") == 0 ? value : "null");
	put_text("history.jsonl", text);
}

/* How the evidence is to differ from a correct job's. */
struct evidence_shape {
	bool serial;                    /* no two tasks at once */
	bool reexec;                    /* a map given up and run again */
	bool other_commit;              /* reduce 0 committed again, with other content */
	bool wrong_counters;
};

static void evidence_write(const struct evidence_shape *shape)
{
	static const char *const lines_parallel[] = {
		"\"kind\":\"assign\",\"task\":\"map\",\"index\":0,\"attempt\":1,\"worker\":0",
		"\"kind\":\"assign\",\"task\":\"map\",\"index\":1,\"attempt\":1,\"worker\":1",
		"\"kind\":\"done\",\"task\":\"map\",\"index\":0,\"attempt\":1,\"worker\":0",
		"\"kind\":\"done\",\"task\":\"map\",\"index\":1,\"attempt\":1,\"worker\":1",
		"\"kind\":\"assign\",\"task\":\"reduce\",\"index\":0,\"attempt\":1,\"worker\":0",
		"\"kind\":\"assign\",\"task\":\"reduce\",\"index\":1,\"attempt\":1,\"worker\":1",
		"\"kind\":\"done\",\"task\":\"reduce\",\"index\":0,\"attempt\":1,\"worker\":0,"
		"\"digest\":\"00000000000000aa\"",
		"\"kind\":\"done\",\"task\":\"reduce\",\"index\":1,\"attempt\":1,\"worker\":1,"
		"\"digest\":\"00000000000000bb\"",
	};
	static const int serial_order[] = { 0, 2, 1, 3, 4, 6, 5, 7 };
	uint64_t bytes = 0, lines = 0;
	char text[32 * LINE_BYTES];
	int n, t = 0;

	for (size_t i = 0; i < mr_oracle_count(oracle); i++) {
		struct mr_oracle_row row = mr_oracle_row(oracle, i);

		lines += row.key.size + 1 + row.output.size + 1;
	}
	for (int i = 0; i < 2; i++)
		bytes += strlen(docs[i]);
	n = snprintf(text, sizeof(text), "{\"t_ms\":%d,\"job\":1,\"kind\":\"job-start\"}\n", t++);
	for (int i = 0; i < 8; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "{\"t_ms\":%d,\"job\":1,%s}\n",
			      t++, lines_parallel[shape->serial ? serial_order[i] : i]);
	if (shape->reexec)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "{\"t_ms\":%d,\"job\":1,\"kind\":"
			      "\"reexec\",\"task\":\"map\",\"index\":0,\"attempt\":1,\"worker\":0,"
			      "\"reason\":\"timeout\"}\n", t++);
	if (shape->other_commit)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "{\"t_ms\":%d,\"job\":1,\"kind\":"
			      "\"duplicate\",\"task\":\"reduce\",\"index\":0,\"attempt\":2,"
			      "\"worker\":1,\"digest\":\"00000000000000cc\"}\n", t++);
	snprintf(text + n, sizeof(text) - (size_t)n, "{\"t_ms\":%d,\"job\":1,\"kind\":\"job-done\","
		 "\"counters\":[%" PRIu64 ",%" PRIu64 ",%zu,%" PRIu64 "]}\n", t, bytes,
		 mr_oracle_emitted(oracle) + shape->wrong_counters, mr_oracle_count(oracle), lines);
	put_text("nodes/n1.data/evidence.jsonl", text);
}

/* Check the run directory; @kind's anomaly count (all of them if NULL). */
static uint64_t check(const char *kind, struct check_result *result)
{
	const struct checker_entry *e = checker_entry_find("mapreduce");
	const struct checker *c = NULL;
	struct check_opts opts = { 0 };
	struct history h;
	char path[256];
	struct errbuf eb;
	uint64_t found = 0;

	cr_assert_not_null(e);
	snprintf(path, sizeof(path), "%s/history.jsonl", dir);
	cr_assert_eq(hist_load(&h, path, &eb), 0, "%s", eb.msg);
	cr_assert_eq(checker_make(e, NULL, &opts, &c, &eb), 0, "%s", eb.msg);
	check_result_init(result);
	cr_assert_eq(checker_check_run(c, &(struct check_run){ .history = &h, .dir = dir }, &opts,
				       result, &eb), 0, "%s", eb.msg);
	for (uint32_t i = 0; i < result->anomaly_count; i++)
		found += !kind || strcmp(result->anomalies[i].kind, kind) == 0;
	checker_free((struct checker *)c);
	hist_fini(&h);
	return found;
}

static void expect_only(const char *kind)
{
	struct check_result result;
	uint64_t found = check(kind, &result);

	cr_assert_gt(found, 0, "%s expected", kind);
	cr_assert_eq(result.verdict, VERDICT_INVALID);
	for (uint32_t i = 0; i < result.anomaly_count; i++)
		cr_assert_str_eq(result.anomalies[i].kind, kind, "%s",
				 result.anomalies[i].message);
	check_result_fini(&result);
}

Test(mapreduce_check, a_correct_run_is_valid)
{
	struct check_result result;
	char value[LINE_BYTES];

	job_value(value, sizeof(value), true);
	history_write(value, "ok", false);
	evidence_write(&(struct evidence_shape){ 0 });
	cr_assert_eq(check(NULL, &result), 0, "%s",
		     result.anomaly_count ? result.anomalies[0].message : result.unknown_reason);
	cr_assert_eq(result.verdict, VERDICT_VALID, "%s", result.unknown_reason);
	cr_assert(result.figures && strstr(result.figures, "jobs: 1 ok"), "%s", result.figures);
	check_result_fini(&result);
}

Test(mapreduce_check, a_partition_without_its_keys_is_wrong_output)
{
	static struct mr_ofile_writer w;
	char value[LINE_BYTES], path[256];

	/* Whole, but empty: the done-time snapshot is of this file, so only its keys are off. */
	snprintf(path, sizeof(path), "%s/output/job-1/mr-out-1", dir);
	mr_ofile_writer_init(&w, open(path, O_WRONLY | O_TRUNC), path);
	cr_assert_eq(mr_ofile_finish(&w, NULL), 0);
	job_value(value, sizeof(value), true);
	history_write(value, "ok", false);
	evidence_write(&(struct evidence_shape){ 0 });
	expect_only("wrong-output");
}

Test(mapreduce_check, done_before_the_output_was_whole_is_early_done)
{
	char value[LINE_BYTES];

	job_value(value, sizeof(value), false);
	history_write(value, "ok", false);
	evidence_write(&(struct evidence_shape){ 0 });
	expect_only("early-done");
}

Test(mapreduce_check, output_changed_after_done_is_early_done)
{
	char value[LINE_BYTES], *digest;

	job_value(value, sizeof(value), true);
	digest = strstr(value, "\"digest\":\"") + 10;
	*digest = *digest == '0' ? '1' : '0';
	history_write(value, "ok", false);
	evidence_write(&(struct evidence_shape){ 0 });
	expect_only("early-done");
}

Test(mapreduce_check, two_commits_with_different_content_are_double_commit)
{
	char value[LINE_BYTES];

	job_value(value, sizeof(value), true);
	history_write(value, "ok", true);
	evidence_write(&(struct evidence_shape){ .other_commit = true });
	expect_only("double-commit");
}

Test(mapreduce_check, a_reexecution_without_faults_is_spurious_but_not_with_them)
{
	struct check_result result;
	char value[LINE_BYTES];

	job_value(value, sizeof(value), true);
	history_write(value, "ok", false);
	evidence_write(&(struct evidence_shape){ .reexec = true });
	expect_only("spurious-reexec");
	history_write(value, "ok", true);
	cr_assert_eq(check(NULL, &result), 0, "a kill explains it");
	check_result_fini(&result);
}

Test(mapreduce_check, tasks_one_at_a_time_are_no_parallelism)
{
	char value[LINE_BYTES];

	job_value(value, sizeof(value), true);
	history_write(value, "ok", false);
	evidence_write(&(struct evidence_shape){ .serial = true });
	expect_only("no-parallelism");
}

Test(mapreduce_check, counters_off_the_oracle_are_counters)
{
	char value[LINE_BYTES];

	job_value(value, sizeof(value), true);
	history_write(value, "ok", false);
	evidence_write(&(struct evidence_shape){ .wrong_counters = true });
	expect_only("counters");
}

Test(mapreduce_check, a_job_that_never_finishes_after_the_heal_is_stalled)
{
	char value[LINE_BYTES];

	job_value(value, sizeof(value), true);
	history_write(value, "info", true);
	evidence_write(&(struct evidence_shape){ 0 });
	expect_only("stalled");
}
