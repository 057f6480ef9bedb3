/* SPDX-License-Identifier: MIT */
/* test_check_cmd.c - `faultline check`: exit codes, messages, results.json. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_cmd.h"
#include "checker.h"
#include "errbuf.h"

#ifndef SAMPLES_DIR
#error "SAMPLES_DIR must name histories/samples/crdt"
#endif

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fl-check-test-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(check_cmd, .init = setup, .fini = teardown);

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* The whole file in a static buffer ("" if absent). */
static const char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void copy_sample(const char *name, const char *target)
{
	char path[1024];
	char *text;

	snprintf(path, sizeof(path), "%s/%s", SAMPLES_DIR, name);
	text = strdup(slurp(path));
	cr_assert(text && text[0], "sample %s", name);
	write_file(target, text);
	free(text);
}

/* Run the command with stdout and stderr captured into files under dir. */
static int run_cmd(int argc, char **argv, char *out, char *err)
{
	char out_path[128], err_path[128];
	int saved_out, saved_err, fd_out, fd_err, rc;

	snprintf(out_path, sizeof(out_path), "%s/stdout.txt", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr.txt", dir);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fd_err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(saved_out >= 0 && saved_err >= 0 && fd_out >= 0 && fd_err >= 0);
	dup2(fd_out, 1);
	dup2(fd_err, 2);
	rc = check_cmd_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(fd_out);
	close(fd_err);
	snprintf(out, 8192, "%s", slurp(out_path));
	snprintf(err, 8192, "%s", slurp(err_path));
	return rc;
}

static char out[8192], err[8192];

Test(check_cmd, malformed_history_exits_2_with_file_and_line)
{
	char path[128], results[128], expect[160];
	char *argv[] = { "check", path, "--model", "gset", NULL };

	snprintf(path, sizeof(path), "%s/history.jsonl", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	write_file(path,
		   "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"add\","
		   "\"value\":3,\"node\":\"n1\"}\n"
		   "{\"index\":1,\"time\":2000,\"process\":0,\"type\":\"bogus\",\"f\":\"add\","
		   "\"value\":3,\"node\":\"n1\"}\n"
		   "{\"index\":2,\"time\":3000,\"process\":1,\"type\":\"invoke\",\"f\":\"add\","
		   "\"value\":4,\"node\":\"n1\"}\n");
	cr_expect_eq(run_cmd(4, argv, out, err), 2);
	snprintf(expect, sizeof(expect), "faultline check: %s:2: expected", path);
	cr_expect(strstr(err, expect), "stderr: %s", err);
	cr_expect_null(strstr(slurp(results), "\"valid\""), "results: %s", slurp(results));
	cr_expect_null(strstr(out, "verdict: valid"), "stdout: %s", out);
}

Test(check_cmd, valid_run_dir_exits_0_and_results_say_valid)
{
	char hist[128], config[128], results[128];
	char *argv[] = { "check", dir, NULL };

	snprintf(hist, sizeof(hist), "%s/history.jsonl", dir);
	snprintf(config, sizeof(config), "%s/config.json", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	copy_sample("valid_orset_info_remove_partition.jsonl", hist);
	write_file(config, "{\"system\": \"crdt\", \"model\": \"orset\"}\n");
	cr_expect_eq(run_cmd(2, argv, out, err), 0, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "model: orset"), "%s", out);
	cr_expect(strstr(out, "verdict: valid\n"), "%s", out);
	cr_expect(strstr(slurp(results), "\"verdict\": \"valid\""), "%s", slurp(results));
	cr_expect(strstr(slurp(results), "\"model\": \"orset\""), "%s", slurp(results));
}

Test(check_cmd, invalid_file_exits_1_and_lists_anomalies)
{
	char hist[128], results[128];
	char *argv[] = { "check", "--model", "gset", hist, NULL };

	snprintf(hist, sizeof(hist), "%s/lost.jsonl", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	copy_sample("invalid_gset_lost-add_partition.jsonl", hist);
	cr_expect_eq(run_cmd(4, argv, out, err), 1, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "  lost-add: element 17"), "%s", out);
	cr_expect(strstr(out, "verdict: invalid\n"), "%s", out);
	cr_expect(strstr(slurp(results), "\"kind\": \"lost-add\""), "%s", slurp(results));
}

Test(check_cmd, unknown_exits_2)
{
	char hist[128];
	char *argv[] = { "check", hist, "--quiet", NULL };

	snprintf(hist, sizeof(hist), "%s/h.jsonl", dir);
	copy_sample("unknown_gset_missing-final_absent.jsonl", hist);
	cr_expect_eq(run_cmd(3, argv, out, err), 2);
	cr_expect_str_empty(out);
}

Test(check_cmd, json_prints_the_results_document)
{
	char hist[128];
	char *argv[] = { "check", hist, "--json", NULL };

	snprintf(hist, sizeof(hist), "%s/h.jsonl", dir);
	copy_sample("invalid_canary_gcounter.jsonl", hist);
	cr_expect_eq(run_cmd(3, argv, out, err), 1);
	cr_expect(strstr(out, "\"verdict\": \"invalid\""), "%s", out);
	cr_expect(strstr(out, "\"checker\": \"crdt\""), "%s", out);
	cr_expect(strstr(out, "\"model\": \"gcounter\""), "%s", out);
}

Test(check_cmd, usage_errors_exit_64)
{
	char *none[] = { "check", NULL };
	char *model[] = { "check", "x.jsonl", "--model", "lww", NULL };
	char *two[] = { "check", "a", "b", NULL };
	char *bad[] = { "check", "--frobnicate", "a", NULL };

	cr_expect_eq(run_cmd(1, none, out, err), 64);
	cr_expect_eq(run_cmd(4, model, out, err), 64);
	cr_expect(strstr(err, "lww"), "%s", err);
	cr_expect_eq(run_cmd(3, two, out, err), 64);
	cr_expect_eq(run_cmd(3, bad, out, err), 64);
}

Test(check_cmd, missing_path_exits_2)
{
	char *argv[] = { "check", "/nonexistent/fl/run", NULL };

	cr_expect_eq(run_cmd(2, argv, out, err), 2);
	cr_expect(strstr(err, "faultline check: /nonexistent/fl/run"), "%s", err);
}

Test(check_cmd, run_dir_api_returns_the_verdict)
{
	char hist[128];
	struct check_result r;
	struct errbuf eb = { .msg = "" };

	snprintf(hist, sizeof(hist), "%s/history.jsonl", dir);
	copy_sample("invalid_orset_lost-add_after_remove.jsonl", hist);
	cr_expect_eq(check_run_dir(dir, CRDT_MODEL_NONE, false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_str_eq(r.model, "orset");
	cr_expect_eq(r.final_read_count, 3);
	check_result_fini(&r);
}

/* No unknown_* sample may print or write "valid", in the summary or in --json. */
Test(check_cmd, unknown_samples_never_say_valid)
{
	char hist[128], results[128];
	char *argv[] = { "check", hist, NULL };
	char *json[] = { "check", hist, "--json", NULL };
	DIR *d = opendir(SAMPLES_DIR);
	struct dirent *e;
	int seen = 0;

	cr_assert(d, "%s", SAMPLES_DIR);
	snprintf(hist, sizeof(hist), "%s/h.jsonl", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "unknown_", 8) != 0)
			continue;
		copy_sample(e->d_name, hist);
		cr_expect_eq(run_cmd(2, argv, out, err), 2, "%s: %s", e->d_name, out);
		cr_expect(strstr(out, "verdict: unknown\n"), "%s: %s", e->d_name, out);
		cr_expect_null(strstr(out, "valid\n"), "%s: %s", e->d_name, out);
		cr_expect(strstr(slurp(results), "\"verdict\": \"unknown\""), "%s", e->d_name);
		cr_expect_eq(run_cmd(3, json, out, err), 2, "%s: %s", e->d_name, out);
		cr_expect(strstr(out, "\"verdict\": \"unknown\""), "%s: %s", e->d_name, out);
		seen++;
	}
	closedir(d);
	cr_expect_geq(seen, 5);
}
