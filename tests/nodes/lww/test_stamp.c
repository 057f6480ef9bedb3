/* SPDX-License-Identifier: MIT */
/* test_stamp.c - stamping writes: the HLC puts a write after its AFTER token and after all
 * the node holds, whatever the physical clock says; wallclock-lww does not (the bug). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>

#include "hlc.h"
#include "lww_harness.h"

TestSuite(lww_stamp);

/* T: a timestamp a client saw on a node whose clock is 10 s ahead of this one. */
static uint64_t ahead_ts(void)
{
	struct hlc_ts t = { .wall_ns = HARNESS_PT_NS + 10 * HARNESS_S_NS, .logical = 0 };

	t.wall_ns -= t.wall_ns % HLC_TICK_NS;
	return hlc_pack(&t);
}

static const char *write_after(uint32_t i, const char *key, int64_t value, uint64_t after,
			       int64_t pt_ns)
{
	char line[128];

	snprintf(line, sizeof(line), "write %s %" PRId64 " %" PRIu64 "\n", key, value, after);
	return harness_request(i, line, pt_ns);
}

Test(lww_stamp, hlc_write_is_after_its_token_even_when_the_clock_is_far_behind)
{
	uint64_t t = ahead_ts();

	harness_setup(1, 0, 0);
	cr_assert_eq(strncmp(write_after(0, "k", 17, t, HARNESS_PT_NS), "ok ", 3), 0, "%s",
		     harness_line);
	cr_assert_gt(harness_last.reg.ts, t, "ts %" PRIu64 " must exceed AFTER %" PRIu64,
		     harness_last.reg.ts, t);
	cr_assert_eq(harness_last.reg.writer, 0);
	cr_assert_eq(harness_last.wall_ns, HARNESS_PT_NS, "WALL is the physical time");
	cr_assert_eq(harness_last.hlc, harness_last.reg.ts, "HLC after the write is its stamp");
	cr_assert(harness_last.persist, "a write is saved before its ok");
	cr_assert_eq(harness_register(0, "k").value, 17);
}

Test(lww_stamp, bug_wallclock_stamps_with_the_clock_and_ignores_after)
{
	uint64_t t = ahead_ts();

	harness_setup(1, LWW_BUG_WALLCLOCK, 0);
	write_after(0, "k", 17, t, HARNESS_PT_NS);
	cr_assert_null(harness_last.error, "%s", harness_line);
	cr_assert_eq(harness_last.reg.ts, (uint64_t)HARNESS_PT_NS, "the raw clock, in ns");
	cr_assert_lt(harness_last.reg.ts, t, "the bug: a write stamped before what it follows");
	/* The HLC still ticks, and is reported. */
	cr_assert_gt(harness_last.hlc, 0);
}

Test(lww_stamp, hlc_write_wins_over_every_register_held)
{
	bool changed;

	harness_setup(2, 0, 0);
	/* Node 1's clock is 10 s ahead; node 0 merges its write, then writes with AFTER 0. */
	write_after(1, "k", 1, 0, HARNESS_PT_NS + 10 * HARNESS_S_NS);
	cr_assert_eq(harness_gossip(1, 0, HARNESS_PT_NS, &changed), 0);
	cr_assert(changed);
	write_after(0, "k", 2, 0, HARNESS_PT_NS);
	cr_assert_gt(harness_last.reg.ts, harness_register(1, "k").ts);
	harness_request(0, "read k", HARNESS_PT_NS);
	cr_assert_eq(strncmp(harness_line, "ok 2 ", 5), 0, "%s", harness_line);
}

Test(lww_stamp, bug_wallclock_write_behind_a_held_register_is_lost)
{
	bool changed;

	harness_setup(2, LWW_BUG_WALLCLOCK, 0);
	write_after(1, "k", 1, 0, HARNESS_PT_NS + 10 * HARNESS_S_NS);
	cr_assert_eq(harness_gossip(1, 0, HARNESS_PT_NS, &changed), 0);
	write_after(0, "k", 2, harness_register(0, "k").ts, HARNESS_PT_NS);
	cr_assert_null(harness_last.error, "acknowledged: %s", harness_line);
	harness_request(0, "read k", HARNESS_PT_NS + 1);
	cr_assert_eq(harness_last.reg.value, 1, "the acknowledged write 2 is invisible");
}

Test(lww_stamp, hlc_stamps_grow_while_the_clock_stands_still_or_steps_back)
{
	uint64_t last = 0;

	harness_setup(1, 0, 0);
	for (int i = 0; i < 100; i++) {
		write_after(0, "k", i, 0, HARNESS_PT_NS - (i % 7) * HARNESS_S_NS);
		cr_assert_null(harness_last.error, "%s", harness_line);
		cr_assert_gt(harness_last.reg.ts, last, "write %d", i);
		last = harness_last.reg.ts;
	}
	cr_assert_eq(harness_register(0, "k").value, 99, "the last write wins");
}

Test(lww_stamp, reads_change_nothing_and_report_unwritten_keys)
{
	struct lww_register before;

	harness_setup(1, 0, 0);
	cr_assert_str_eq(harness_request(0, "read nothing", 12345), "ok - 0 - 12345 0\n");
	cr_assert_eq(harness_node[0].store.count, 0, "a read creates nothing");
	write_after(0, "k", -5, 0, HARNESS_PT_NS);
	before = harness_register(0, "k");
	harness_request(0, "read k", HARNESS_PT_NS + HARNESS_S_NS);
	cr_assert_eq(harness_last.reg.value, -5);
	cr_assert_eq(harness_last.reg.ts, before.ts);
	cr_assert_not(harness_last.persist, "reads are not saved");
	cr_assert_eq(lww_register_compare(&before, &harness_node[0].store.entries[0].reg), 0);
}

Test(lww_stamp, a_65th_key_is_refused_and_known_keys_still_written)
{
	char key[16];

	harness_setup(1, 0, 0);
	for (int k = 0; k < LWW_KEYS_MAX; k++) {
		snprintf(key, sizeof(key), "k%d", k);
		write_after(0, key, k, 0, HARNESS_PT_NS);
		cr_assert_null(harness_last.error, "%s", harness_line);
	}
	cr_assert_str_eq(write_after(0, "one-more", 1, 0, HARNESS_PT_NS), "err too many keys\n");
	cr_assert_not(harness_last.persist);
	write_after(0, "k7", 70, 0, HARNESS_PT_NS);
	cr_assert_null(harness_last.error, "%s", harness_line);
	cr_assert_eq(harness_register(0, "k7").value, 70);
}

Test(lww_stamp, clock_errors_refuse_the_write_and_change_nothing)
{
	struct hlc_ts clock;
	uint64_t t = ahead_ts();

	/* At most 1 s ahead: a token 10 s ahead is refused. */
	harness_setup(1, 0, HARNESS_S_NS);
	write_after(0, "k", 1, 0, HARNESS_PT_NS);
	clock = harness_node[0].hlc.last;
	cr_assert_str_eq(write_after(0, "k", 2, t, HARNESS_PT_NS), "err after too far ahead\n");
	cr_assert_eq(hlc_compare(&clock, &harness_node[0].hlc.last), 0, "clock unchanged");
	cr_assert_eq(harness_register(0, "k").value, 1, "register unchanged");
	/* The largest token there is leaves no logical room. */
	harness_setup(1, 0, 0);
	cr_assert_str_eq(write_after(0, "k", 2, (uint64_t)INT64_MAX, HARNESS_PT_NS),
			 "err clock overflow\n");
	cr_assert_str_eq(write_after(0, "k", 2, 0, -1), "err clock before epoch\n");
	cr_assert_eq(harness_node[0].store.count, 0);
	harness_setup(1, LWW_BUG_WALLCLOCK, 0);
	cr_assert_str_eq(write_after(0, "k", 2, 0, 0), "err clock before epoch\n");
}
