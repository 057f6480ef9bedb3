/* SPDX-License-Identifier: MIT */
/* test_cmd_check.c - `faultline check`: exit codes, messages, results.json. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_dir.h"
#include "cmd.h"
#include "checker.h"
#include "errbuf.h"

#ifndef SAMPLES_DIR
#error "SAMPLES_DIR must name histories/samples/crdt"
#endif
#ifndef LWW_SAMPLES_DIR
#error "LWW_SAMPLES_DIR must name histories/samples/lww"
#endif
#ifndef TRANSCRIPTS_DIR
#error "TRANSCRIPTS_DIR must name histories/transcripts"
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

TestSuite(cmd_check, .init = setup, .fini = teardown);

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

static void copy_sample_from(const char *samples_dir, const char *name, const char *target)
{
	char path[1024];
	char *text;

	snprintf(path, sizeof(path), "%s/%s", samples_dir, name);
	text = strdup(slurp(path));
	cr_assert(text && text[0], "sample %s", name);
	write_file(target, text);
	free(text);
}

static void copy_sample(const char *name, const char *target)
{
	copy_sample_from(SAMPLES_DIR, name, target);
}

static void copy_lww_sample(const char *name, const char *target)
{
	copy_sample_from(LWW_SAMPLES_DIR, name, target);
}

/* Run the command with stdout and stderr captured into files under dir. */
/* Runs @cmd (a subcommand) with its stdout and stderr captured into @out and @err. */
static int run_subcommand(int (*cmd)(int, char **), int argc, char **argv, char *out,
			  char *err)
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
	rc = cmd(argc, argv);
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

static int run_cmd(int argc, char **argv, char *out, char *err)
{
	return run_subcommand(cmd_check, argc, argv, out, err);
}

static char out[8192], err[8192];

Test(cmd_check, malformed_history_exits_2_with_file_and_line)
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

Test(cmd_check, valid_run_dir_exits_0_and_results_say_valid)
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

Test(cmd_check, invalid_file_exits_1_and_lists_anomalies)
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

Test(cmd_check, unknown_exits_2)
{
	char hist[128];
	char *argv[] = { "check", hist, "--quiet", NULL };

	snprintf(hist, sizeof(hist), "%s/h.jsonl", dir);
	copy_sample("unknown_gset_missing-final_absent.jsonl", hist);
	cr_expect_eq(run_cmd(3, argv, out, err), 2);
	cr_expect_str_empty(out);
}

Test(cmd_check, json_prints_the_results_document)
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

Test(cmd_check, usage_errors_exit_64)
{
	char *none[] = { "check", NULL };
	char *model[] = { "check", "x.jsonl", "--model", "lwww", NULL };
	char *two[] = { "check", "a", "b", NULL };
	char *bad[] = { "check", "--frobnicate", "a", NULL };

	cr_expect_eq(run_cmd(1, none, out, err), 64);
	cr_expect_eq(run_cmd(4, model, out, err), 64);
	cr_expect(strstr(err, "\"lwww\" (gcounter, gset, orset, lww, cas-register, register, "
			 "mutex, multi-register, kv, linearizable-set, unordered-queue, "
			 "fifo-queue, pbft, chord, window, mapreduce, counter, set, set-full, "
			 "broadcast, queue, total-queue, unique-ids)"), "%s", err);
	cr_expect_eq(run_cmd(3, two, out, err), 64);
	cr_expect_eq(run_cmd(3, bad, out, err), 64);
}

Test(cmd_check, missing_path_exits_2)
{
	char *argv[] = { "check", "/nonexistent/fl/run", NULL };

	cr_expect_eq(run_cmd(2, argv, out, err), 2);
	cr_expect(strstr(err, "faultline check: /nonexistent/fl/run"), "%s", err);
}

Test(cmd_check, run_dir_api_returns_the_verdict)
{
	char hist[128];
	struct check_result r;
	struct errbuf eb = { .msg = "" };

	snprintf(hist, sizeof(hist), "%s/history.jsonl", dir);
	copy_sample("invalid_orset_lost-add_after_remove.jsonl", hist);
	cr_expect_eq(check_run_dir_model(dir, NULL, false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_str_eq(r.model, "orset");
	cr_expect_eq(r.final_read_count, 3);
	check_result_fini(&r);
}

/* No unknown_* sample may print or write "valid", in the summary or in --json. */
static int unknown_samples_in(const char *samples_dir)
{
	char hist[128], results[128];
	char *argv[] = { "check", hist, NULL };
	char *json[] = { "check", hist, "--json", NULL };
	DIR *d = opendir(samples_dir);
	struct dirent *e;
	int seen = 0;

	cr_assert(d, "%s", samples_dir);
	snprintf(hist, sizeof(hist), "%s/h.jsonl", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "unknown_", 8) != 0)
			continue;
		copy_sample_from(samples_dir, e->d_name, hist);
		cr_expect_eq(run_cmd(2, argv, out, err), 2, "%s: %s", e->d_name, out);
		cr_expect(strstr(out, "verdict: unknown\n"), "%s: %s", e->d_name, out);
		cr_expect_null(strstr(out, "valid\n"), "%s: %s", e->d_name, out);
		cr_expect(strstr(slurp(results), "\"verdict\": \"unknown\""), "%s", e->d_name);
		cr_expect_eq(run_cmd(3, json, out, err), 2, "%s: %s", e->d_name, out);
		cr_expect(strstr(out, "\"verdict\": \"unknown\""), "%s: %s", e->d_name, out);
		seen++;
	}
	closedir(d);
	return seen;
}

Test(cmd_check, unknown_samples_never_say_valid)
{
	cr_expect_geq(unknown_samples_in(SAMPLES_DIR), 5);
	cr_expect_geq(unknown_samples_in(LWW_SAMPLES_DIR), 3);
}

Test(cmd_check, lww_run_dir_by_config_model_reports_and_saves_skew)
{
	char hist[128], config[128], results[128];
	char *argv[] = { "check", dir, NULL };

	snprintf(hist, sizeof(hist), "%s/history.jsonl", dir);
	snprintf(config, sizeof(config), "%s/config.json", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	copy_lww_sample("invalid_lww_causality-violation_wallclock_bump.jsonl", hist);
	write_file(config, "{\"system\": \"lww\", \"model\": \"lww\"}\n");
	cr_expect_eq(run_cmd(2, argv, out, err), 1, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "model: lww\n"), "%s", out);
	cr_expect(strstr(out, "  causality-violation: write k0=23 (op 6 on n2"), "%s", out);
	cr_expect(strstr(out, "skew n2: max -253.0 ms at 0.4 s (±3.0 ms)\n"), "%s", out);
	cr_expect(strstr(out, "clock ops: bump at 0.1 s\n"), "%s", out);
	cr_expect(strstr(slurp(results), "\"checker\": \"lww\""), "%s", slurp(results));
	cr_expect(strstr(slurp(results), "\"skew\": {"), "%s", slurp(results));
	cr_expect(strstr(slurp(results), "\"f\": \"bump\""), "%s", slurp(results));
}

Test(cmd_check, lww_system_without_model_selects_lww)
{
	char hist[128], config[128];
	char *argv[] = { "check", dir, NULL };

	snprintf(hist, sizeof(hist), "%s/history.jsonl", dir);
	snprintf(config, sizeof(config), "%s/config.json", dir);
	copy_lww_sample("valid_lww_hlc_causal.jsonl", hist);
	write_file(config, "{\"system\": \"lww\"}\n");
	cr_expect_eq(run_cmd(2, argv, out, err), 0, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "model: lww\n"), "%s", out);
}

Test(cmd_check, lww_is_inferred_and_model_flag_selects_it)
{
	char hist[128];
	char *infer[] = { "check", hist, NULL };
	char *flag[] = { "check", "--model", "lww", hist, NULL };
	char *wrong[] = { "check", "--model", "gset", hist, NULL };

	snprintf(hist, sizeof(hist), "%s/h.jsonl", dir);
	copy_lww_sample("invalid_lww_lost-update_merge_kept_older.jsonl", hist);
	cr_expect_eq(run_cmd(2, infer, out, err), 1, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "  lost-update: final value of k0 is 17"), "%s", out);
	cr_expect_eq(run_cmd(4, flag, out, err), 1, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "model: lww\n"), "%s", out);
	/* The CRDT checker refuses an lww history: unknown, never valid. */
	cr_expect_eq(run_cmd(4, wrong, out, err), 2, "stdout: %s stderr: %s", out, err);
}

Test(cmd_check, crdt_results_have_no_skew)
{
	char hist[128], results[128];
	char *argv[] = { "check", hist, NULL };

	snprintf(hist, sizeof(hist), "%s/h.jsonl", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	copy_sample("valid_gset_basic.jsonl", hist);
	cr_expect_eq(run_cmd(2, argv, out, err), 0, "stdout: %s stderr: %s", out, err);
	cr_expect_null(strstr(slurp(results), "skew"), "%s", slurp(results));
	cr_expect_null(strstr(out, "skew"), "%s", out);
}

Test(cmd_check, run_dir_model_api_and_the_crdt_wrapper_agree)
{
	char hist[128];
	struct check_result r;
	struct errbuf eb = { .msg = "" };

	snprintf(hist, sizeof(hist), "%s/history.jsonl", dir);
	copy_lww_sample("invalid_canary_lww.jsonl", hist);
	cr_expect_eq(check_run_dir_model(dir, "lww", false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_str_eq(r.model, "lww");
	cr_expect_str_eq(r.checker, "lww");
	cr_expect(r.skew, "clock objects give a skew summary");
	check_result_fini(&r);
	cr_expect_eq(check_run_dir_model(dir, NULL, false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_str_eq(r.checker, "lww", "inferred");
	check_result_fini(&r);
	cr_expect_eq(check_run_dir_model(dir, "nosuch", false, &r, &eb), -EINVAL);
	cr_expect(strstr(eb.msg, "--model: unknown model \"nosuch\""), "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	check_result_fini(&r);
}

Test(cmd_check, linear_models_check_jepsen_logs_and_write_no_results_beside_them)
{
	char hist[128], results[128];
	char *argv[] = { "check", hist, "--model", "cas-register", NULL };
	char *any[] = { "check", hist, "--model", "cas-register", "--null-read", "any", NULL };
	char *init[] = { "check", hist, "--model", "cas-register", "--initial", "1", NULL };

	snprintf(hist, sizeof(hist), "%s/etcd.log", dir);
	snprintf(results, sizeof(results), "%s/results.json", dir);
	write_file(hist, "INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
			 "INFO  jepsen.util - 0\t:ok\t:write\t1\n"
			 "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
			 "INFO  jepsen.util - 1\t:ok\t:read\tnil\n");
	cr_expect_eq(run_cmd(4, argv, out, err), 1, "%s", err);
	cr_expect(strstr(out, "not-linearizable: op 2 (read -> nil)"), "%s", out);
	cr_expect(strstr(out, "model: cas-register"), "%s", out);
	cr_expect_eq(access(results, F_OK), -1, "results.json written beside a Jepsen log");
	cr_expect_eq(run_cmd(6, any, out, err), 0, "%s", err);
	cr_expect_eq(run_cmd(6, init, out, err), 1, "%s", err);
}

Test(cmd_check, linear_options_need_a_linear_model)
{
	char *initial[] = { "check", "x.log", "--initial", "3", NULL };
	char *null_read[] = { "check", "x.log", "--model", "kv", "--null-read", "some", NULL };

	cr_expect_eq(run_cmd(4, initial, out, err), 64);
	cr_expect(strstr(err, "need --model cas-register or kv"), "%s", err);
	cr_expect_eq(run_cmd(6, null_read, out, err), 64);
	cr_expect(strstr(err, "--null-read: expected any or empty"), "%s", err);
}

Test(cmd_check, bad_jepsen_input_is_unknown_with_file_and_line)
{
	char hist[128];
	char *argv[] = { "check", hist, "--model", "kv", NULL };

	snprintf(hist, sizeof(hist), "%s/kv.edn", dir);
	write_file(hist, "{:process 0, :type :invoke, :f :get, :key \"a\"}\n{:process 0 :type\n");
	cr_expect_eq(run_cmd(4, argv, out, err), 2);
	cr_expect(strstr(err, "kv.edn:2: expected"), "%s", err);
}

Test(cmd_check, jepsen_oddities_warn_with_their_line_and_strict_refuses_them)
{
	char path[128], want[192];
	char *lenient[] = { "check", path, NULL };
	char *strict[] = { "check", path, "--strict", NULL };

	snprintf(path, sizeof(path), "%s/nemesis.edn", dir);
	write_file(path, "{:process 0, :type :invoke, :f :write, :value 1}\n"
			 "{:type :info, :f :start-partition, :value :majorities-ring, "
			 ":process :nemesis}\n"
			 "{:process 0, :type :ok, :f :write, :value 1}\n"
			 "{:type :info, :f :start-partition, :value {\"n1\" [\"n2\"]}, "
			 ":process :nemesis}\n"
			 "{:process 1, :type :invoke, :f :read, :value nil}\n"
			 "{:process 1, :type :ok, :f :read, :value 2}\n");
	/* Read, and checked: the read of 2 was never written. */
	cr_expect_eq(run_cmd(2, lenient, out, err), 1, "%s", err);
	snprintf(want, sizeof(want), "faultline check: warning: %s:2: nemesis op logged as "
		 ":info", path);
	cr_expect(strstr(err, want), "%s", err);
	cr_expect(strstr(out, "checker: cas-register, from the ops' shape"), "%s", out);
	cr_expect(strstr(out, "verdict: invalid"), "%s", out);
	cr_expect_eq(run_cmd(3, strict, out, err), 2);
	snprintf(want, sizeof(want), "%s:2: expected a nemesis :info to complete", path);
	cr_expect(strstr(err, want), "%s", err);
	cr_expect(strstr(err, "(--strict)"), "%s", err);
}

Test(cmd_check, set_full_takes_the_add_and_read_names_a_workload_uses)
{
	char path[128];
	char *named[] = { "check", path, "--model", "set-full", "--add-f", "bcast", "--read-f",
			  "poll", NULL };
	char *unnamed[] = { "check", path, "--model", "set-full", NULL };

	snprintf(path, sizeof(path), "%s/bcast.edn", dir);
	write_file(path, "{:process 0, :type :invoke, :f :bcast, :value 1}\n"
			 "{:process 0, :type :ok, :f :bcast, :value 1}\n"
			 "{:process 1, :type :invoke, :f :poll, :value nil}\n"
			 "{:process 1, :type :ok, :f :poll, :value [1]}\n"
			 "{:process 1, :type :invoke, :f :poll, :value nil}\n"
			 "{:process 1, :type :ok, :f :poll, :value []}\n");
	cr_expect_eq(run_cmd(8, named, out, err), 1, "%s", err);
	cr_expect(strstr(out, "lost: element 1 lost"), "%s", out);
	/* Without the names it sees no add and no read: it cannot say. */
	cr_expect_eq(run_cmd(4, unnamed, out, err), 2, "%s", err);
}

Test(cmd_check, convert_fits_jepsen_oddities_with_a_warning_and_strict_refuses_them)
{
	char path[128], want[192];
	char *lenient[] = { "convert", path, NULL };
	char *strict[] = { "convert", "--strict", path, NULL };

	snprintf(path, sizeof(path), "%s/times.edn", dir);
	write_file(path, "{:process 0, :type :invoke, :f :write, :value 1, :time 50}\n"
			 "{:process 1, :type :invoke, :f :read, :value nil, :time 40}\n"
			 "{:process 0, :type :ok, :f :write, :value 1, :time 60}\n"
			 "{:process 1, :type :ok, :f :read, :value 1, :time 70}\n");
	cr_expect_eq(run_subcommand(cmd_convert, 2, lenient, out, err), 0, "%s", err);
	snprintf(want, sizeof(want), "faultline: convert: warning: %s:2: :time goes back", path);
	cr_expect(strstr(err, want), "%s", err);
	cr_expect(strstr(out, "\"index\":1,\"time\":50,"), "%s", out);   /* raised to 50 */
	cr_expect_eq(run_subcommand(cmd_convert, 3, strict, out, err), 2);
	snprintf(want, sizeof(want), "%s:2: expected :time >= the op before's", path);
	cr_expect(strstr(err, want), "%s", err);
}

/* --transcript: a window transcript judged like a history; nothing written beside it. */
Test(cmd_check, transcripts_exit_by_verdict_and_list_anomalies)
{
	char *valid[] = { "check", "--transcript", TRANSCRIPTS_DIR "/valid_lateness.yaml", NULL };
	char *invalid[] = { "check", "--transcript", TRANSCRIPTS_DIR "/invalid_premature.yaml",
			    NULL };
	char *json[] = { "check", "--json", "--transcript",
			 TRANSCRIPTS_DIR "/invalid_double_count.yaml", NULL };

	cr_expect_eq(run_cmd(3, valid, out, err), 0, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "checker: window, from --transcript"), "%s", out);
	cr_expect(strstr(out, "verdict: valid"), "%s", out);
	cr_expect_eq(run_cmd(3, invalid, out, err), 1, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "  premature: key 1 window [0, 10)"), "%s", out);
	cr_expect(strstr(out, "verdict: invalid"), "%s", out);
	cr_expect_eq(run_cmd(4, json, out, err), 1, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(out, "\"kind\": \"double-count\""), "%s", out);
	cr_expect(strstr(out, "\"checker\": \"window\""), "%s", out);
}

Test(cmd_check, malformed_transcripts_exit_2_with_file_and_line)
{
	char *argv[] = { "check", "--transcript",
			 TRANSCRIPTS_DIR "/malformed_unknown_key.yaml", NULL };

	cr_expect_eq(run_cmd(3, argv, out, err), 2, "stdout: %s stderr: %s", out, err);
	cr_expect(strstr(err, "faultline check: " TRANSCRIPTS_DIR "/malformed_unknown_key.yaml:6: "
			 "unknown key \"inptu\""), "%s", err);
	cr_expect_eq(out[0], '\0', "%s", out);
}

Test(cmd_check, transcript_usage_errors_exit_64)
{
	char *with_target[] = { "check", "--transcript", "t.yaml", "run-dir", NULL };
	char *with_model[] = { "check", "--transcript", "t.yaml", "--model", "gset", NULL };

	cr_expect_eq(run_cmd(4, with_target, out, err), 64);
	cr_expect(strstr(err, "--transcript takes no run directory"), "%s", err);
	cr_expect_eq(run_cmd(5, with_model, out, err), 64);
	cr_expect(strstr(err, "--transcript takes only --json and --quiet"), "%s", err);
}
