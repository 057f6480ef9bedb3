/* SPDX-License-Identifier: MIT */
/* test_window_stall.c - the window checker's watermark-progress rule on stream runs: an
 * operator held back by a source that must have gone idle is "stalled"; one that kept up, a
 * read too early to judge, and one during a fault are not. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_dir.h"
#include "checker.h"
#include "errbuf.h"

static char dir[64];
static FILE *history;
static uint64_t index_next;
static struct check_result result;
static struct errbuf eb;

static void file_put(const char *relative, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, relative);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert(fputs(text, f) >= 0);
	cr_assert_eq(fclose(f), 0);
}

/* One op line at @ms milliseconds: @process < 0 for the nemesis. */
static void op_at(int64_t ms, int64_t process, const char *type, const char *f,
		  const char *rest)
{
	char who[32];

	if (process < 0)
		snprintf(who, sizeof(who), "\"nemesis\"");
	else
		snprintf(who, sizeof(who), "%" PRId64, process);
	fprintf(history, "{\"index\":%" PRIu64 ",\"time\":%" PRId64 ",\"process\":%s,\"type\":"
		"\"%s\",\"f\":\"%s\",%s}\n", index_next++, ms * 1000000, who, type, f, rest);
}

/* Event @id, time = @ms, to @source: invoked at @ms, ok 5 ms later. */
static void event_at(int64_t ms, uint64_t id, uint32_t source)
{
	char rest[160];

	snprintf(rest, sizeof(rest), "\"value\":{\"id\":%" PRIu64 ",\"key\":1,\"t\":%" PRId64
		 ",\"v\":1,\"source\":%u},\"node\":\"n%u\"", id, ms, source, source + 1);
	op_at(ms, 1000 + (int64_t)id, "invoke", "send", rest);
	op_at(ms + 5, 1000 + (int64_t)id, "ok", "send", rest);
}

/* A status read of operator 0 (n3) at @ms, its watermark @watermark. */
static void read_at(int64_t ms, int64_t watermark)
{
	char rest[200];

	op_at(ms, 1, "invoke", "read", "\"value\":null,\"node\":\"n3\",\"key\":\"watermark\"");
	snprintf(rest, sizeof(rest), "\"value\":{\"role\":\"operator\",\"watermark\":%" PRId64
		 ",\"events\":0,\"unacked\":0,\"ended\":false},\"node\":\"n3\","
		 "\"key\":\"watermark\"", watermark);
	op_at(ms + 2, 1, "ok", "read", rest);
}

/*
 * Two sources, one operator (n3), the sink n4; B = 100 ms, idle timeout 1 s, checkpoints
 * every 500 ms. Source 0 sends until 2 s, source 1 until 8 s (event time = send time).
 * With a partition from 3 s to 7 s when @fault. Then the read of @read_ms.
 */
static void run(int64_t read_ms, int64_t watermark, bool fault)
{
	uint64_t id = 1;
	char path[256];

	file_put("config.json", "{\"system\":\"stream\",\"stream\":{\"window\":\"tumbling:1000\","
		 "\"offset\":0,\"lateness\":0,\"out_of_order\":100,\"idle_timeout\":1000,"
		 "\"checkpoint\":500,\"agg\":\"count\",\"guarantee\":\"exactly-once\","
		 "\"sources\":2,\"operators\":1}}\n");
	snprintf(path, sizeof(path), "%s/history.jsonl", dir);
	history = fopen(path, "w");
	cr_assert_not_null(history);
	for (int64_t ms = 100; ms <= 8000; ms += 100) {
		if (fault && ms == 3000) {
			op_at(ms, -1, "invoke", "start-partition", "\"value\":\"halves\"");
			op_at(ms, -1, "info", "start-partition", "\"value\":\"halves\"");
		}
		if (fault && ms == 7000) {
			op_at(ms, -1, "invoke", "stop-partition", "\"value\":null");
			op_at(ms, -1, "info", "stop-partition", "\"value\":null");
		}
		if (ms <= 2000)
			event_at(ms, id++, 0);
		if (ms == read_ms)
			read_at(ms + 20, watermark);
		event_at(ms + 50, id++, 1);
	}
	cr_assert_eq(fclose(history), 0);
	snprintf(path, sizeof(path), "%s/nodes", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/nodes/n4.data", dir);
	mkdir(path, 0755);
	file_put("nodes/n4.data/output.jsonl", "");
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fl-window-stall-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	index_next = 0;
	check_result_init(&result);
}

static void teardown(void)
{
	char cmd[128];

	check_result_fini(&result);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(window_stall, .init = setup, .fini = teardown);

static void check(void)
{
	check_result_fini(&result);
	cr_assert_eq(check_run_dir_model(dir, NULL, false, &result, &eb), 0, "%s", eb.msg);
	cr_assert_str_eq(result.checker, "window");
	cr_assert_not_null(result.figures);
}

static bool stalled(void)
{
	for (uint32_t k = 0; k < result.anomaly_count; k++)
		if (strcmp(result.anomalies[k].kind, "stalled") == 0)
			return true;
	return false;
}

/* At 6 s source 0 has been quiet for 4 s: idle. Source 1 had acked up to 4.45 s by 4.5 s
 * (6 s less the checkpoint and a second): the operator must be past 4.35 s, not at 1.9 s. */
Test(window_stall, an_operator_held_back_by_a_source_that_must_be_idle_is_stalled)
{
	run(6000, 1900, false);
	check();
	cr_expect(stalled(), "%s", result.figures);
	cr_expect_eq(result.verdict, VERDICT_INVALID);
	cr_expect(strstr(result.figures, "1 of 1 operator status reads judged"), "%s",
		  result.figures);
}

Test(window_stall, an_operator_that_kept_up_is_valid)
{
	run(6000, 4400, false);
	check();
	cr_expect(!stalled(), "%s", result.anomaly_count ? result.anomalies[0].message : "");
	cr_expect(strstr(result.figures, "1 of 1 operator status reads judged away from faults, "
			 "0 below"), "%s",
		  result.figures);
}

/* At 3.5 s source 0's last event (2 s) is within the timeout and slack of 2 s: it is not
 * idle yet, and holds the bound at its own watermark, 1.9 s. */
Test(window_stall, a_source_not_surely_idle_still_counts)
{
	run(3500, 1900, false);
	check();
	cr_expect(!stalled(), "%s", result.anomaly_count ? result.anomalies[0].message : "");
	cr_expect(strstr(result.figures, "1 of 1 operator status reads judged away from faults, "
			 "0 below"), "%s",
		  result.figures);
}

Test(window_stall, a_read_during_a_fault_is_not_judged)
{
	run(6000, 1900, true);
	check();
	cr_expect(!stalled());
	cr_expect(strstr(result.figures, "0 of 1 operator status reads judged"), "%s",
		  result.figures);
}
