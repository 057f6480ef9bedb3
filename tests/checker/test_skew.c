/* SPDX-License-Identifier: MIT */
/* test_skew.c - clock offsets per node, their 1 s buckets, the clock-op timeline, results.json. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "hist_build.h"
#include "results.h"
#include "skew.h"

static struct hist_build b;
static struct skew *skew;
static struct errbuf eb;

static void setup(void)
{
	hb_init(&b);
	skew = NULL;
}

static void teardown(void)
{
	skew_free(skew);
	hb_fini(&b);
}

TestSuite(skew, .init = setup, .fini = teardown);

#define HOST0 1700000000000000000ll
#define SEC 1000000000ll
#define MS 1000000ll

/*
 * A read on @node invoked at @invoke_ns and answered at @result_ns, when the harness clock
 * said HOST0 + @result_ns and the node's wall clock HOST0 + @result_ns + @offset_ns.
 */
static uint64_t sample(int32_t p, const char *node, int64_t invoke_ns, int64_t result_ns,
		       int64_t offset_ns)
{
	char buf[256];
	uint64_t i;

	snprintf(buf, sizeof(buf), "{\"value\":null,\"ts\":0,\"writer\":null,\"clock\":"
		 "{\"wall\":%lld,\"hlc\":0,\"host\":%lld}}",
		 (long long)(HOST0 + result_ns + offset_ns), (long long)(HOST0 + result_ns));
	hb_key(&b, "k1");
	hb_time(&b, invoke_ns);
	i = hb_invoke(&b, p, "read", node, HB_NULL, false);
	hb_time(&b, result_ns);
	hb_complete(&b, p, OP_OK, HB_JSON(buf));
	return i;
}

static const struct skew_node *node_named(const char *name)
{
	for (uint32_t n = 0; skew && n < skew->node_count; n++)
		if (strcmp(skew->nodes[n].name, name) == 0)
			return &skew->nodes[n];
	return NULL;
}

static void expect_bucket(const struct skew_node *n, uint32_t k, int64_t start_ns,
			  int64_t min_ns, int64_t max_ns, uint32_t samples)
{
	cr_assert_lt(k, n->bucket_count, "%s: bucket %u missing", n->name, k);
	cr_expect_eq(n->buckets[k].start_ns, start_ns, "%s[%u] start", n->name, k);
	cr_expect_eq(n->buckets[k].offset_ns_min, min_ns, "%s[%u] min %" PRId64, n->name, k,
		     n->buckets[k].offset_ns_min);
	cr_expect_eq(n->buckets[k].offset_ns_max, max_ns, "%s[%u] max %" PRId64, n->name, k,
		     n->buckets[k].offset_ns_max);
	cr_expect_eq(n->buckets[k].sample_count, samples, "%s[%u] samples", n->name, k);
}

Test(skew, offsets_buckets_and_extremes_are_exact)
{
	const struct skew_node *n1, *n2;

	sample(0, "n1", 100 * MS, 100 * MS + 400000, 0);
	sample(1, "n2", 200 * MS, 201 * MS, -3 * MS);
	sample(0, "n1", 900 * MS, 999 * MS, 5 * MS);
	sample(1, "n2", SEC + 10 * MS, SEC + 12 * MS, -1 * MS);        /* second 1 */
	sample(0, "n1", 6 * SEC, 6 * SEC + 200 * MS + 400000, 250100 * 1000);
	sample(1, "n2", 6 * SEC + 500 * MS, 6 * SEC + 501 * MS, -7 * MS);
	sample(0, "n1", 6 * SEC + 700 * MS, 6 * SEC + 701 * MS, 249 * MS);
	cr_assert_eq(skew_summarize(&b.h, &skew, &eb), 0, "%s", eb.msg);
	cr_assert(skew);
	cr_assert_eq(skew->node_count, 2);
	n1 = node_named("n1");
	n2 = node_named("n2");
	cr_assert(n1 && n2);
	cr_expect_eq(n1->sample_count, 4);
	cr_expect_eq(n1->bucket_count, 2);
	expect_bucket(n1, 0, 0, 0, 5 * MS, 2);
	expect_bucket(n1, 1, 6 * SEC, 249 * MS, 250100 * 1000, 2);
	cr_expect_eq(n1->extreme_offset_ns, 250100 * 1000);
	cr_expect_eq(n1->extreme_time_ns, 6 * SEC + 200 * MS + 400000);
	cr_expect_eq(n1->extreme_uncertainty_ns, 200 * MS + 400000);
	cr_expect_eq(n1->extreme_index, 9);
	cr_expect_eq(n2->bucket_count, 3);
	expect_bucket(n2, 0, 0, -3 * MS, -3 * MS, 1);
	expect_bucket(n2, 1, SEC, -1 * MS, -1 * MS, 1);
	expect_bucket(n2, 2, 6 * SEC, -7 * MS, -7 * MS, 1);
	cr_expect_eq(n2->extreme_offset_ns, -7 * MS, "negative offsets count by magnitude");
	cr_expect_eq(n2->extreme_uncertainty_ns, 1 * MS);
}

Test(skew, nemesis_clock_ops_form_the_timeline)
{
	char *text;

	hb_nemesis(&b, "start-partition");                 /* not a clock op */
	hb_time(&b, 5 * SEC);
	hb_invoke(&b, OP_PROCESS_NEMESIS, "bump", NULL, HB_JSON("{\"n2\":250000000}"), false);
	hb_complete(&b, OP_PROCESS_NEMESIS, OP_INFO,
		    HB_JSON("{\"bumped\":{\"n2\":250000000},\"offset_ns\":{\"n2\":250000000}}"));
	hb_time(&b, 9 * SEC);
	hb_invoke(&b, OP_PROCESS_NEMESIS, "reset", NULL, HB_NULL, false);
	cr_assert_eq(skew_summarize(&b.h, &skew, &eb), 0, "%s", eb.msg);
	cr_assert(skew);
	cr_expect_eq(skew->node_count, 0);
	cr_assert_eq(skew->event_count, 2);
	cr_expect_str_eq(skew->events[0].f, "bump");
	cr_expect_eq(skew->events[0].time_ns, 5 * SEC);
	cr_expect_eq(skew->events[0].index, 2);
	text = json_dumps(skew->events[0].value, JSON_COMPACT);
	cr_expect_str_eq(text, "{\"n2\":250000000}");
	free(text);
	text = json_dumps(skew->events[0].result, JSON_COMPACT);
	cr_expect(strstr(text, "\"bumped\""), "%s", text);
	free(text);
	cr_expect_str_eq(skew->events[1].f, "reset");
	cr_expect(json_is_null(skew->events[1].value));
	cr_expect_null(skew->events[1].result, "in flight at the end");
}

Test(skew, history_without_clocks_has_no_summary)
{
	hb_op(&b, 0, "add", "n1", HB_INT(1), OP_OK, HB_INT(1), false);
	hb_op(&b, 1, "read", "n1", HB_NULL, OP_OK, HB_SET(1), true);
	hb_nemesis(&b, "start-partition");
	skew = (struct skew *)1;
	cr_expect_eq(skew_summarize(&b.h, &skew, &eb), 0);
	cr_expect_null(skew);
}

Test(skew, malformed_and_unnamed_clocks_are_counted_not_used)
{
	hb_key(&b, "k1");
	hb_op(&b, 0, "read", "n1", HB_NULL, OP_OK,
	      HB_JSON("{\"value\":null,\"ts\":0,\"writer\":null,"
		      "\"clock\":{\"wall\":\"x\"}}"), false);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK,
	      HB_JSON("{\"value\":null,\"ts\":0,\"writer\":null,"
		      "\"clock\":{\"wall\":5,\"host\":2}}"), false);
	hb_op(&b, 2, "read", "n1", HB_NULL, OP_INFO, HB_NULL, false);
	cr_assert_eq(skew_summarize(&b.h, &skew, &eb), 0, "%s", eb.msg);
	cr_assert(skew);
	cr_expect_eq(skew->node_count, 0);
	cr_expect_eq(skew->clocks_malformed, 1);
	cr_expect_eq(skew->samples_unnamed, 1);
}

Test(skew, buckets_past_the_limit_are_counted_as_dropped)
{
	const struct skew_node *n1;

	if (CHK_SKEW_BUCKETS_MAX + 2 > HB_OPS_MAX / 2)
		cr_skip_test("needs -Dtest_limits=true (CHK_SKEW_BUCKETS_MAX %d)",
			     CHK_SKEW_BUCKETS_MAX);
	for (int64_t s = 0; s < CHK_SKEW_BUCKETS_MAX + 2; s++)
		sample(0, "n1", s * SEC, s * SEC + MS, s == CHK_SKEW_BUCKETS_MAX + 1 ? SEC : 0);
	cr_assert_eq(skew_summarize(&b.h, &skew, &eb), 0, "%s", eb.msg);
	n1 = node_named("n1");
	cr_assert(n1);
	cr_expect_eq(n1->bucket_count, CHK_SKEW_BUCKETS_MAX);
	cr_expect_eq(n1->samples_dropped, 2);
	cr_expect_eq(n1->extreme_offset_ns, SEC, "a dropped sample still counts for the extreme");
}

Test(skew, summary_lines_name_node_offset_time_and_uncertainty)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	sample(0, "n2", 6 * SEC, 6 * SEC + 200 * MS + 400000, 250100 * 1000);
	hb_time(&b, 7 * SEC);
	hb_invoke(&b, OP_PROCESS_NEMESIS, "bump", NULL, HB_JSON("{\"n2\":250000000}"), false);
	hb_complete(&b, OP_PROCESS_NEMESIS, OP_INFO, HB_JSON("{}"));
	cr_assert_eq(skew_summarize(&b.h, &skew, &eb), 0, "%s", eb.msg);
	cr_assert(out);
	cr_expect_eq(skew_fprint(out, skew), 0);
	fclose(out);
	cr_expect(strstr(text, "skew n2: max +250.1 ms at 6.2 s (±200.4 ms)"), "%s", text);
	cr_expect(strstr(text, "clock ops: bump at 7.0 s\n"), "%s", text);
	free(text);
}

/* results.json carries "skew" only when there is one. */
Test(skew, results_json_has_skew_only_when_present)
{
	struct check_result r;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	check_result_init(&r);
	r.checker = "lww";
	out = open_memstream(&text, &size);
	cr_assert_eq(results_fprint_json(out, &r, NULL, &eb), 0);
	fclose(out);
	cr_expect_null(strstr(text, "skew"), "%s", text);
	free(text);
	sample(0, "n1", SEC, SEC + MS, 3 * MS);
	hb_invoke(&b, OP_PROCESS_NEMESIS, "strobe", NULL, HB_JSON("{\"n1\":1}"), false);
	cr_assert_eq(skew_summarize(&b.h, &r.skew, &eb), 0, "%s", eb.msg);
	out = open_memstream(&text, &size);
	cr_assert_eq(results_fprint_json(out, &r, NULL, &eb), 0);
	fclose(out);
	cr_expect(strstr(text, "\"skew\": {"), "%s", text);
	cr_expect(strstr(text, "\"node\": \"n1\""), "%s", text);
	cr_expect(strstr(text, "\"offset_ns_max\": 3000000"), "%s", text);
	cr_expect(strstr(text, "\"start_ns\": 1000000000"), "%s", text);
	cr_expect(strstr(text, "\"f\": \"strobe\""), "%s", text);
	cr_expect(strstr(text, "\"result\": null"), "%s", text);
	free(text);
	check_result_fini(&r);         /* frees the skew */
	cr_expect_null(r.skew);
}
