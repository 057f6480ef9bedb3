/* SPDX-License-Identifier: MIT */
/* test_window_run.c - the window checker on stream run directories, as `faultline check`
 * reads them: config.json "stream", history.jsonl, the nodes' output.jsonl and evidence. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_dir.h"
#include "checker.h"
#include "checker_table.h"
#include "chk_limits.h"
#include "errbuf.h"
#include "hist.h"

/* The records of nodes/stream/PROTOCOL.md, one line each, from operator 0 unless said. */
#define INF 9223372036854775807
#define STR(x) STR_TEXT(x)      /* macro arguments expanded first (INF) */
#define STR_TEXT(x) #x
#define RECORD(operator, seq, rest) \
	"{\"operator\":" STR(operator) ",\"incarnation\":0,\"seq\":" STR(seq) "," rest "}\n"
#define PANE_OF(operator, seq, key, start, end, value, timing, index, watermark)         \
	RECORD(operator, seq, "\"kind\":\"pane\",\"key\":" STR(key) ",\"start\":"           \
	       STR(start) ",\"end\":" STR(end) ",\"value\":" STR(value) ",\"timing\":\""     \
	       timing "\",\"pane\":" STR(index) ",\"watermark\":" STR(watermark))
#define PANE(seq, key, start, end, value, timing, index, watermark) \
	PANE_OF(0, seq, key, start, end, value, timing, index, watermark)
#define END_OF(operator, seq) RECORD(operator, seq, "\"kind\":\"end\"")
#define END(seq) END_OF(0, seq)
#define RESTORED(incarnation, checkpoint, watermark)                                  \
	"{\"incarnation\":" STR(incarnation) ",\"restored\":" STR(checkpoint)             \
	",\"watermark\":" STR(watermark) "}\n"
#define INPUT(incarnation, input, watermark)                                          \
	"{\"incarnation\":" STR(incarnation) ",\"input\":" STR(input) ",\"watermark\":"   \
	STR(watermark) "}\n"
#define IDLE(incarnation, input, flag) \
	"{\"incarnation\":" STR(incarnation) ",\"input\":" STR(input) ",\"idle\":" #flag "}\n"
#define OWN(incarnation, watermark) \
	"{\"incarnation\":" STR(incarnation) ",\"watermark\":" STR(watermark) "}\n"

/* Window [0, 10) of key 1 holds events 1 and 2, [10, 20) event 3. */
#define OUTPUT_VALID \
	PANE(0, 1, 0, 10, 2, "on-time", 0, 9) PANE(1, 1, 10, 20, 1, "on-time", 0, INF) END(2)
#define EVIDENCE_VALID \
	RESTORED(0, 0, null) INPUT(0, 0, 9) OWN(0, 9) INPUT(0, 0, INF) OWN(0, INF)

static char dir[64];
static char history[1 << 14];
static size_t history_used;
static uint64_t history_count;
static struct check_result result;
static struct errbuf eb;

static void file_put(const char *relative, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/nodes", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, relative);
	*strrchr(path, '/') = '\0';
	mkdir(path, 0755);                      /* nodes/n<k>.data */
	snprintf(path, sizeof(path), "%s/%s", dir, relative);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fputs(text, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}

/* A run of S sources and W operators declaring @rest beside the window and agg. */
static void config_put(const char *window, const char *agg, const char *rest)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"system\":\"stream\",\"stream\":{\"window\":\"%s\","
		 "\"offset\":0,\"lateness\":0,\"out_of_order\":0,\"idle_timeout\":1000,"
		 "\"agg\":\"%s\",%s}}\n", window, agg, rest);
	file_put("config.json", text);
}

static void op_line(int64_t process, const char *type, const char *value)
{
	int n = snprintf(history + history_used, sizeof(history) - history_used,
			 "{\"index\":%" PRIu64 ",\"time\":%" PRIu64 ",\"process\":%" PRId64
			 ",\"type\":\"%s\",\"f\":\"send\",\"value\":%s}\n", history_count,
			 (history_count + 1) * 1000, process, type, value);

	cr_assert(n > 0 && (size_t)n < sizeof(history) - history_used);
	history_used += (size_t)n;
	history_count++;
}

/* Event @id sent to @source (its own process), completed by @type (NULL: never). */
static void send(uint64_t id, uint64_t key, int64_t t, int64_t v, uint32_t source,
		 const char *type)
{
	char value[160];

	snprintf(value, sizeof(value), "{\"id\":%" PRIu64 ",\"key\":%" PRIu64 ",\"t\":%" PRId64
		 ",\"v\":%" PRId64 ",\"source\":%" PRIu32 "}", id, key, t, v, source);
	op_line((int64_t)id, "invoke", value);
	if (type)
		op_line((int64_t)id, type, value);
}

static void history_put(void)
{
	file_put("history.jsonl", history);
}

/* One source, one operator (n2), the sink n3; three events sent ok, a correct output. */
static void run_valid(const char *guarantee)
{
	char rest[128];

	snprintf(rest, sizeof(rest), "\"guarantee\":\"%s\",\"sources\":1,\"operators\":1",
		 guarantee);
	config_put("tumbling:10", "count", rest);
	send(1, 1, 1, 0, 0, "ok");
	send(2, 1, 5, 0, 0, "ok");
	send(3, 1, 12, 0, 0, "ok");
	history_put();
	file_put("nodes/n1.data/log.txt", "e 1 1 1 0\n");
	file_put("nodes/n2.data/evidence.jsonl", EVIDENCE_VALID);
	file_put("nodes/n3.data/output.jsonl", OUTPUT_VALID);
}

static void history_reset(void)
{
	history[0] = '\0';
	history_used = 0;
	history_count = 0;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fl-window-run-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	history_reset();
	memset(&eb, 0, sizeof(eb));
}

static void teardown(void)
{
	char cmd[128];

	check_result_fini(&result);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(window_run, .init = setup, .fini = teardown);

/* Check the run as `faultline check DIR` does: the row config.json's system picks. */
static int check(void)
{
	check_result_fini(&result);
	return check_run_dir_model(dir, NULL, false, &result, &eb);
}

static const char *anomaly(const char *kind, const char *text)
{
	for (uint32_t k = 0; k < result.anomaly_count; k++) {
		const struct anomaly *a = &result.anomalies[k];

		if (strcmp(a->kind, kind) == 0 && (!text || strstr(a->message, text)))
			return a->message;
	}
	return NULL;
}

static void expect_valid(void)
{
	cr_assert_eq(check(), 0, "%s", eb.msg);
	cr_assert_str_eq(result.checker, "window");
	cr_assert_eq(result.verdict, VERDICT_VALID, "%s: %s (%s)", verdict_name(result.verdict),
		     result.anomaly_count ? result.anomalies[0].message : "",
		     result.unknown_reason);
}

/* Invalid with an anomaly of @kind holding @text; with @only, no other kind. */
static void expect_anomaly(const char *kind, const char *text, bool only)
{
	cr_assert_eq(check(), 0, "%s", eb.msg);
	cr_assert_eq(result.verdict, VERDICT_INVALID, "expected %s", kind);
	cr_assert_not_null(anomaly(kind, text), "no %s with \"%s\"; first: %s: %s", kind,
			   text ? text : "", result.anomalies[0].kind,
			   result.anomalies[0].message);
	for (uint32_t k = 0; only && k < result.anomaly_count; k++)
		cr_assert_str_eq(result.anomalies[k].kind, kind, "%s",
				 result.anomalies[k].message);
}

static void expect_error(int err, const char *text)
{
	cr_assert_eq(check(), err, "%s", eb.msg);
	cr_assert(strstr(eb.msg, text), "%s", eb.msg);
	cr_assert_eq(result.verdict, VERDICT_UNKNOWN);
}

/* --- valid runs --- */

Test(window_run, a_correct_run_is_valid_and_the_row_is_chosen_by_the_system)
{
	run_valid("exactly-once");
	expect_valid();
	cr_assert_str_eq(result.chosen, "window, from config.json");
	cr_assert(strstr(result.figures, "events judged 3 (acknowledged 3, info 0)"), "%s",
		  result.figures);
	cr_assert(strstr(result.figures, "panes on time 2"), "%s", result.figures);
	cr_assert_null(result.warnings);
}

Test(window_run, a_bare_history_is_unknown_never_valid)
{
	const struct checker_entry *e = checker_entry_find("window");
	struct check_opts opts = { 0 };
	const struct checker *c;
	char path[96];
	struct history h;

	run_valid("exactly-once");
	cr_assert_not_null(e);
	cr_assert_str_eq(e->system, "stream");
	snprintf(path, sizeof(path), "%s/history.jsonl", dir);
	cr_assert_eq(hist_load(&h, path, &eb), 0, "%s", eb.msg);
	cr_assert_eq(checker_make(e, NULL, &opts, &c, &eb), 0);
	check_result_init(&result);
	cr_assert_eq(checker_check_run(c, &(struct check_run){ .history = &h, .dir = NULL },
				       &opts, &result, &eb), 0);
	cr_assert_eq(result.verdict, VERDICT_UNKNOWN);
	cr_assert(strstr(result.unknown_reason, "window needs the run directory"), "%s",
		  result.unknown_reason);
	hist_fini(&h);
}

Test(window_run, a_run_without_sink_output_is_unknown)
{
	char cmd[128];

	run_valid("exactly-once");
	snprintf(cmd, sizeof(cmd), "rm -r '%s/nodes/n3.data'", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(check(), 0, "%s", eb.msg);
	cr_assert_eq(result.verdict, VERDICT_UNKNOWN);
	cr_assert(strstr(result.unknown_reason, "no sink output (nodes/n3.data/output.jsonl)"),
		  "%s", result.unknown_reason);
}

Test(window_run, an_info_send_never_completed_may_be_counted_or_not)
{
	run_valid("exactly-once");
	send(4, 1, 7, 0, 0, NULL);
	history_put();
	expect_valid();
	cr_assert(strstr(result.figures, "info 1"), "%s", result.figures);
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 3, "on-time", 0, 9)
		 PANE(1, 1, 10, 20, 1, "on-time", 0, INF) END(2));
	expect_valid();
}

/* --- anomalies the run makes reachable --- */

Test(window_run, a_pane_of_no_window_is_wrong_window)
{
	run_valid("exactly-once");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 5, 15, 1, "on-time", 0, 14)
		 OUTPUT_VALID);
	expect_anomaly("wrong-window", "window [5, 15)", true);
}

Test(window_run, an_on_time_pane_missing_an_event_on_time_is_incomplete)
{
	run_valid("exactly-once");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 1, "on-time", 0, 9)
		 PANE(1, 1, 0, 10, 2, "late", 1, 9) PANE(2, 1, 10, 20, 1, "on-time", 0, INF)
		 END(3));
	expect_anomaly("incomplete", "window [0, 10)", true);
}

Test(window_run, a_window_fired_by_the_evidence_with_no_pane_lost_its_events)
{
	run_valid("exactly-once");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 2, "on-time", 0, 9) END(1));
	expect_anomaly("lost-event", "window [10, 20): no pane", true);
	/* Without the operator's end record the input has not ended: nothing is final. */
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 2, "on-time", 0, 9));
	expect_valid();
	cr_assert(strstr(result.figures, "unfired windows not judged 1"), "%s", result.figures);
}

Test(window_run, a_pane_above_the_events_is_a_double_count_under_exactly_once)
{
	run_valid("exactly-once");
	send(4, 1, 8, 0, 0, "fail");
	history_put();
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 3, "on-time", 0, 9)
		 PANE(1, 1, 10, 20, 1, "on-time", 0, INF) END(2));
	expect_anomaly("double-count", "window [0, 10)", true);
}

Test(window_run, under_at_least_once_a_double_count_is_only_counted)
{
	run_valid("at-least-once");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 3, "on-time", 0, 9)
		 PANE(1, 1, 10, 20, 1, "on-time", 0, INF) END(2));
	expect_valid();
	cr_assert(strstr(result.figures, "panes over the bound 1 (by 1)"), "%s", result.figures);
	/* An event lost is invalid under either guarantee. */
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 1, "on-time", 0, 9)
		 PANE(1, 1, 10, 20, 1, "on-time", 0, INF) END(2));
	expect_anomaly("incomplete", "window [0, 10)", false);
}

Test(window_run, two_on_time_panes_of_a_window_are_a_duplicate_pane)
{
	run_valid("exactly-once");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 2, "on-time", 0, 9)
		 PANE(1, 1, 0, 10, 2, "on-time", 1, 9) PANE(2, 1, 10, 20, 1, "on-time", 0, INF)
		 END(3));
	expect_anomaly("duplicate-pane", "window [0, 10)", true);
}

Test(window_run, a_pane_before_the_watermark_reached_its_end_is_premature)
{
	run_valid("exactly-once");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 2, "on-time", 0, 8)
		 PANE(1, 1, 10, 20, 1, "on-time", 0, INF) END(2));
	expect_anomaly("premature", "emitted at watermark 8, before end - 1 = 9", true);
}

Test(window_run, a_watermark_going_back_within_an_incarnation_is_a_regress)
{
	run_valid("exactly-once");
	file_put("nodes/n2.data/evidence.jsonl", RESTORED(0, 0, null) INPUT(0, 0, 9) OWN(0, 9)
		 OWN(0, 5) INPUT(0, 0, INF) OWN(0, INF));
	expect_anomaly("watermark-regress", "operator 0 incarnation 0: its watermark went back "
		       "from 9 to 5 at evidence position 4", true);
}

Test(window_run, a_restart_going_back_to_its_checkpoint_is_no_regress)
{
	run_valid("exactly-once");
	file_put("nodes/n2.data/evidence.jsonl", RESTORED(0, 0, null) INPUT(0, 0, 9) OWN(0, 9)
		 RESTORED(1, 1, 3) INPUT(1, 0, 9) OWN(1, 9) INPUT(1, 0, INF) OWN(1, INF));
	expect_valid();
	/* The restored incarnation has no input yet: its watermark may not pass one. */
	file_put("nodes/n2.data/evidence.jsonl", RESTORED(0, 0, null) INPUT(0, 0, 9) OWN(0, 9)
		 RESTORED(1, 1, 3) INPUT(1, 0, 4) OWN(1, 9) INPUT(1, 0, INF) OWN(1, INF));
	expect_anomaly("watermark-regress", "operator 0 incarnation 1: its watermark 9 at "
		       "evidence position 6 is past the minimum of its active inputs', 4", true);
}

/* Two sources, two operators (n3, n4), the sink n5: operator k - 1 - S of n<k>.data. */
static void run_two_operators(void)
{
	config_put("tumbling:10", "count", "\"guarantee\":\"exactly-once\",\"sources\":2,"
		   "\"operators\":2");
	send(1, 1, 1, 0, 0, "ok");
	send(2, 2, 3, 0, 1, "ok");
	history_put();
	file_put("nodes/n3.data/evidence.jsonl", INPUT(0, 0, INF) INPUT(0, 1, INF) OWN(0, INF));
	file_put("nodes/n4.data/evidence.jsonl", INPUT(0, 0, INF) IDLE(0, 1, true) OWN(0, INF));
	file_put("nodes/n5.data/output.jsonl", PANE_OF(0, 0, 1, 0, 10, 1, "on-time", 0, INF)
		 END_OF(0, 1) PANE_OF(1, 0, 2, 0, 10, 1, "on-time", 0, INF) END_OF(1, 1));
}

Test(window_run, operators_are_named_by_their_folder_and_an_idle_input_does_not_count)
{
	run_two_operators();
	expect_valid();
	file_put("nodes/n4.data/evidence.jsonl", INPUT(0, 0, INF) INPUT(0, 1, 5)
		 IDLE(0, 1, false) OWN(0, INF));
	expect_anomaly("watermark-regress", "operator 1 incarnation 0: its watermark "
		       "9223372036854775807 at evidence position 4 is past the minimum of its "
		       "active inputs', 5 (input 1)", true);
	file_put("nodes/n4.data/evidence.jsonl", INPUT(0, 0, INF) INPUT(0, 1, 5)
		 IDLE(0, 1, true) OWN(0, INF));
	expect_valid();
}

Test(window_run, the_input_ends_only_when_every_operator_wrote_its_end)
{
	run_two_operators();
	file_put("nodes/n5.data/output.jsonl", PANE_OF(0, 0, 1, 0, 10, 1, "on-time", 0, INF)
		 END_OF(0, 1) END_OF(1, 0));
	expect_anomaly("lost-event", "key 2 window [0, 10): no pane", true);
	file_put("nodes/n5.data/output.jsonl", PANE_OF(0, 0, 1, 0, 10, 1, "on-time", 0, INF)
		 END_OF(0, 1) END_OF(0, 2));
	expect_valid();
	cr_assert(strstr(result.figures, "unfired windows not judged 1"), "%s", result.figures);
}

/* --- bad input --- */

Test(window_run, a_bad_sink_line_names_its_file_and_line)
{
	run_valid("exactly-once");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 2, "on-time", 0, 9)
		 RECORD(0, 1, "\"kind\":\"pain\"") END(2));
	expect_error(-EBADMSG, "nodes/n3.data/output.jsonl:2: expected \"kind\" \"pane\", "
		     "\"late\" or \"end\"");
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 2, "soon", 0, 9));
	expect_error(-EBADMSG, "output.jsonl:1: expected \"timing\" \"on-time\" or \"late\"");
	file_put("nodes/n3.data/output.jsonl", OUTPUT_VALID "not json\n");
	expect_error(-EBADMSG, "output.jsonl:4: expected a JSON object");
	file_put("nodes/n3.data/output.jsonl", PANE_OF(1, 0, 1, 0, 10, 2, "on-time", 0, 9));
	expect_error(-EBADMSG, "output.jsonl:1: expected \"operator\" an integer in 0 .. 0");
}

Test(window_run, a_torn_last_line_is_a_warning)
{
	run_valid("exactly-once");
	file_put("nodes/n3.data/output.jsonl", OUTPUT_VALID "{\"operator\":0,\"incarn");
	expect_valid();
	cr_assert_not_null(result.warnings);
	cr_assert(strstr(result.warnings, "nodes/n3.data/output.jsonl:4: torn last line "
			 "ignored"), "%s", result.warnings);
	file_put("nodes/n2.data/evidence.jsonl", EVIDENCE_VALID "{\"incarnation\":0,\"wat");
	expect_valid();
	cr_assert(strstr(result.warnings, "evidence.jsonl:6: torn last line ignored"), "%s",
		  result.warnings);
	/* A whole last record without its newline is read. */
	file_put("nodes/n3.data/output.jsonl", PANE(0, 1, 0, 10, 2, "on-time", 0, 9)
		 "{\"operator\":0,\"incarnation\":0,\"seq\":1,\"kind\":\"end\"}");
	expect_anomaly("lost-event", "window [10, 20)", true);
}

Test(window_run, a_bad_evidence_line_names_its_file_and_line)
{
	run_valid("exactly-once");
	file_put("nodes/n2.data/evidence.jsonl", OWN(1, 5) OWN(0, 6));
	expect_error(-EBADMSG, "nodes/n2.data/evidence.jsonl:2: expected \"incarnation\" an "
		     "integer in 1 .. ");
	file_put("nodes/n2.data/evidence.jsonl", INPUT(0, 1, 5));
	expect_error(-EBADMSG, "evidence.jsonl:1: expected \"input\" an integer in 0 .. 0");
	file_put("nodes/n2.data/evidence.jsonl", "{\"incarnation\":0}\n");
	expect_error(-EBADMSG, "evidence.jsonl:1: expected \"restored\", \"input\" or "
		     "\"watermark\"");
	file_put("nodes/n2.data/evidence.jsonl", EVIDENCE_VALID);
	file_put("nodes/n1.data/evidence.jsonl", OWN(0, 5));
	expect_error(-EBADMSG, "n1.data/evidence.jsonl: expected an operator's evidence.jsonl "
		     "only in n2.data .. n2.data");
}

Test(window_run, the_declaration_must_be_there_and_whole)
{
	run_valid("exactly-once");
	file_put("config.json", "{\"system\":\"stream\"}\n");
	expect_error(-EINVAL, "config.json: expected a \"stream\" object");
	config_put("hopping:10", "count", "\"guarantee\":\"exactly-once\",\"sources\":1,"
		   "\"operators\":1");
	expect_error(-EINVAL, "config.json: stream: expected \"window\" \"tumbling:SIZE\"");
	config_put("sliding:10:0", "count", "\"guarantee\":\"exactly-once\",\"sources\":1,"
		   "\"operators\":1");
	expect_error(-EINVAL, "expected \"window\"");
	config_put("tumbling:10", "avg", "\"guarantee\":\"exactly-once\",\"sources\":1,"
		   "\"operators\":1");
	expect_error(-EINVAL, "stream: expected \"agg\" \"count\", \"sum\", \"min\" or \"max\"");
	config_put("tumbling:10", "count", "\"guarantee\":\"exactly-once\",\"sources\":1");
	expect_error(-EINVAL, "stream: expected \"operators\" an integer in 1 .. 64");
	config_put("sliding:10:5", "sum", "\"guarantee\":\"at-least-once\",\"sources\":1,"
		   "\"operators\":1");
	cr_assert_eq(check(), 0, "%s", eb.msg);         /* the output is tumbling count's */
	cr_assert_eq(result.verdict, VERDICT_INVALID);
}

Test(window_run, a_bad_send_value_names_its_history_line)
{
	run_valid("exactly-once");
	op_line(9, "invoke", "{\"id\":9,\"key\":1,\"t\":\"late\",\"v\":0,\"source\":0}");
	history_put();
	expect_error(-EINVAL, "history.jsonl:7: send value: expected \"t\" an integer in");
	history_reset();
	run_valid("exactly-once");
	op_line(9, "invoke", "{\"id\":9,\"key\":1,\"t\":1,\"v\":0,\"source\":0,\"x\":1}");
	history_put();
	expect_error(-EINVAL, "history.jsonl:7: expected a send value with the keys id, key, t, "
		     "v and source only");
}

Test(window_run, a_line_past_the_bound_is_refused)
{
	char line[CHK_WINDOW_LINE_BYTES_MAX + 64];

	run_valid("exactly-once");
	snprintf(line, sizeof(line), "{\"incarnation\":0,\"watermark\":5,\"note\":\"%0*d\"}\n",
		 CHK_WINDOW_LINE_BYTES_MAX, 0);
	file_put("nodes/n2.data/evidence.jsonl", line);
	expect_error(-E2BIG, "evidence.jsonl:1: a line over");
}

#ifdef FL_TEST_LIMITS
/* Only with the shrunk limits: 4097 lines, where the full bound is 4 Mi. */
Test(window_run, records_past_a_bound_are_refused)
{
	const size_t size = (CHK_WINDOW_PANES_MAX + 1) * sizeof(PANE(0, 1, 0, 10, 2, "on-time",
								   0, 9));
	char *output = calloc(1, size), text[96];
	size_t used = 0;

	cr_assert_not_null(output);
	run_valid("exactly-once");
	for (int k = 0; k <= CHK_WINDOW_PANES_MAX; k++)
		used += (size_t)snprintf(output + used, size - used, "%s",
					 PANE(0, 1, 0, 10, 2, "on-time", 0, 9));
	file_put("nodes/n3.data/output.jsonl", output);
	free(output);
	snprintf(text, sizeof(text), "output.jsonl:%d: more than %d pane records",
		 CHK_WINDOW_PANES_MAX + 1, CHK_WINDOW_PANES_MAX);
	expect_error(-E2BIG, text);
}
#endif
