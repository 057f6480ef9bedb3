/* SPDX-License-Identifier: MIT */
/* test_chord_kv_check.c - the chord checker's lost-write on hand-made runs of four nodes
 * (16-bit ids, r = 3, S = 500 ms): a get must read a value no later acknowledged put had
 * overwritten, and must find something once a put was acknowledged, unless r of the key's
 * owners crashed within S; gets under a fault are not judged. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "chord_fixture.h"
#include "chord_id.h"
#include "hist_build.h"

enum { MS = 1000000 };

static struct hist_build b;
static struct check_result result;

static void setup(void)
{
	chord_fixture_dir(0);
	hb_init(&b);
}

static void teardown(void)
{
	hb_fini(&b);
	chord_fixture_remove();
}

TestSuite(chord_kv_check, .init = setup, .fini = teardown);

static enum verdict check(void)
{
	return chord_fixture_check(&b.h, true, &result);
}

static const char *lost(void)
{
	return chord_fixture_anomaly(&result, "lost-write", NULL);
}

static void put(int64_t at_ms, int64_t value)
{
	hb_time(&b, at_ms * MS);
	hb_key(&b, "k1");
	hb_op(&b, 1, "put", "n1", HB_INT(value), OP_OK,
	      HB_JSON("{\"status\":\"ok\",\"version\":1,\"owner\":\"n1\",\"owner_id\":45138,"
		      "\"hops\":0}"), false);
	hb_key(&b, NULL);
}

/* A get of k1 at @at_ms that reads @value, or nothing for a negative one. */
static void get(int64_t at_ms, int64_t value)
{
	char json[160];

	if (value < 0)
		snprintf(json, sizeof(json), "{\"status\":\"not-found\",\"version\":0,\"owner\":"
			 "\"n1\",\"owner_id\":45138,\"hops\":0}");
	else
		snprintf(json, sizeof(json), "{\"status\":\"ok\",\"value\":%lld,\"version\":1,"
			 "\"owner\":\"n1\",\"owner_id\":45138,\"hops\":0}", (long long)value);
	hb_time(&b, at_ms * MS);
	hb_key(&b, "k1");
	hb_op(&b, 2, "get", "n2", HB_NULL, OP_OK, HB_JSON(json), false);
	hb_key(&b, NULL);
}

static void churn(int64_t at_ms, const char *value)
{
	hb_time(&b, at_ms * MS);
	hb_invoke(&b, OP_PROCESS_NEMESIS, "crash", NULL, HB_NULL, false);
	hb_complete(&b, OP_PROCESS_NEMESIS, OP_INFO, HB_JSON(value));
}

Test(chord_kv_check, reading_the_last_acknowledged_put_is_valid)
{
	get(1000, -1);                  /* before any put: nothing to find */
	put(1100, 5);
	get(1200, 5);
	put(1300, 6);
	get(1400, 6);
	cr_expect_eq(check(), VERDICT_VALID, "%s", lost() ? lost() : "");
	cr_expect(result.figures && strstr(result.figures, "3 gets in a quiet ring judged"), "%s",
		  result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}

Test(chord_kv_check, finding_nothing_after_an_acknowledged_put_is_a_lost_write)
{
	put(1100, 5);
	get(1200, -1);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(lost() && strstr(lost(), "get of k1 at n2 in a quiet ring found nothing"),
		  "%s", lost() ? lost() : "(none)");
	check_result_fini(&result);
}

Test(chord_kv_check, reading_an_overwritten_value_is_a_lost_write)
{
	put(1100, 5);
	put(1200, 6);                   /* invoked after 5 was acknowledged */
	get(1300, 5);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(lost() && strstr(lost(), "read 5"), "%s", lost() ? lost() : "(none)");
	check_result_fini(&result);
}

Test(chord_kv_check, a_put_concurrent_with_the_get_may_or_may_not_be_read)
{
	put(1100, 5);
	hb_time(&b, 1200 * MS);
	hb_key(&b, "k1");
	hb_invoke(&b, 1, "put", "n1", HB_INT(6), false);
	hb_invoke(&b, 2, "get", "n2", HB_NULL, false);
	hb_complete(&b, 2, OP_OK, HB_JSON("{\"status\":\"ok\",\"value\":6,\"version\":2,"
					  "\"owner\":\"n1\",\"owner_id\":45138,\"hops\":0}"));
	hb_complete(&b, 1, OP_OK, HB_JSON("{\"status\":\"ok\",\"version\":2,\"owner\":\"n1\","
					  "\"owner_id\":45138,\"hops\":0}"));
	hb_key(&b, NULL);
	get(1300, 6);
	cr_expect_eq(check(), VERDICT_VALID, "%s", lost() ? lost() : "");
	check_result_fini(&result);
}

Test(chord_kv_check, a_lost_write_under_a_fault_is_not_judged)
{
	put(1100, 5);
	hb_time(&b, 1150 * MS);
	hb_nemesis(&b, "start-partition");
	get(1200, -1);
	cr_expect_eq(check(), VERDICT_VALID);
	cr_expect(result.figures && strstr(result.figures, "1 under faults or churn not judged"),
		  "%s", result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}

/* A put taken while the ring was unsettled (two nodes may both have been the key's primary)
 * may be lost; the settled put before it must still be found. */
Test(chord_kv_check, a_put_acknowledged_under_a_fault_may_be_lost_but_not_the_one_before)
{
	put(1100, 5);
	hb_time(&b, 1150 * MS);
	hb_nemesis(&b, "start-partition");
	put(1200, 6);
	hb_time(&b, 1250 * MS);
	hb_nemesis(&b, "stop-partition");
	get(2000, 5);                   /* quiet again from 1750 */
	cr_expect_eq(check(), VERDICT_VALID, "%s", lost() ? lost() : "");
	check_result_fini(&result);
	get(2100, -1);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(lost() && strstr(lost(), "the put of 5 was acknowledged in a quiet ring"), "%s",
		  lost() ? lost() : "(none)");
	check_result_fini(&result);
}

/* k1's three owners: successor(k1) over the four and the two members after it. */
static void owners_of_k1(char names[3][4])
{
	static const char *const by_id[4] = { "n4", "n3", "n1", "n2" };
	static const int64_t ids[4] = { 3029, 3130, 45138, 51080 };
	struct chord_space space;
	uint64_t key;
	int first = 0;

	cr_assert_eq(chord_space_init(&space, 16), 0);
	key = chord_hash(&space, "k1", 2);
	while (first < 4 && (uint64_t)ids[first] < key)
		first++;
	for (int i = 0; i < 3; i++)
		snprintf(names[i], 4, "%s", by_id[(first + i) % 4]);
}

Test(chord_kv_check, r_owners_crashed_within_s_excuse_a_lost_write_and_fewer_do_not)
{
	char owners[3][4], value[96];

	owners_of_k1(owners);
	put(1100, 5);
	snprintf(value, sizeof(value), "{\"crashed\":[\"%s\",\"%s\"]}", owners[0], owners[1]);
	churn(1150, value);
	get(1800, -1);                  /* two of three: the third still had it */
	cr_expect_eq(check(), VERDICT_INVALID, "two owners crashed");
	cr_expect(lost() && strstr(lost(), "at most 2 of the key's 3 owners"), "%s",
		  lost() ? lost() : "(none)");
	check_result_fini(&result);
	hb_fini(&b);
	hb_init(&b);
	put(1100, 5);
	snprintf(value, sizeof(value), "{\"crashed\":[\"%s\",\"%s\"]}", owners[0], owners[1]);
	churn(1150, value);
	snprintf(value, sizeof(value), "{\"crashed\":[\"%s\"]}", owners[2]);
	churn(1400, value);             /* the third within S = 500 ms of the others */
	get(2000, -1);
	cr_expect_eq(check(), VERDICT_VALID, "all three owners crashed within S");
	cr_expect(result.figures && strstr(result.figures, "1 that lost a write excused"), "%s",
		  result.figures ? result.figures : "(none)");
	check_result_fini(&result);
}
