/* SPDX-License-Identifier: MIT */
/* test_liveness.c - the first ok op after the final heal, within the stated bound or not. */
#include <criterion/criterion.h>

#include "hist_build.h"
#include "liveness.h"

static const int64_t second = 1000000000;

static struct hist_build b;

static void setup(void)
{
	hb_init(&b);
	hb_key(&b, "k0");
}

static void teardown(void)
{
	hb_fini(&b);
}

TestSuite(liveness, .init = setup, .fini = teardown);

Test(liveness, an_op_soon_after_the_heal_is_within_the_bound)
{
	struct check_liveness l;

	hb_op(&b, 0, "write", NULL, HB_INT(1), OP_OK, HB_INT(1), false);
	hb_time(&b, 5 * second);
	hb_nemesis(&b, "stop-partition");
	hb_time(&b, 6 * second);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), true);
	liveness_measure(&b.h, 10 * second, &l);
	cr_assert(l.measured);
	cr_assert_eq(l.heal_ns, 5 * second + 1000, "the heal's info op");
	cr_assert_eq(l.first_ok_ns, 6 * second + 1000);
	cr_assert(liveness_within_bound(&l));
}

Test(liveness, ops_that_time_out_after_the_heal_are_no_progress)
{
	struct check_liveness l;

	hb_time(&b, 5 * second);
	hb_nemesis(&b, "stop-partition");
	for (int p = 0; p < 4; p++) {
		hb_invoke(&b, p, "read", NULL, HB_NULL, true);
		hb_complete(&b, p, OP_INFO, HB_NULL);
	}
	hb_op(&b, 5, "cas", NULL, HB_SET(1, 2), OP_FAIL, HB_NULL, false);
	liveness_measure(&b.h, 10 * second, &l);
	cr_assert_eq(l.first_ok_ns, -1);
	cr_assert_not(liveness_within_bound(&l), "nothing completed ok after the heal");
}

Test(liveness, an_op_invoked_before_the_heal_does_not_count)
{
	struct check_liveness l;

	hb_invoke(&b, 0, "write", NULL, HB_INT(3), false);
	hb_time(&b, 2 * second);
	hb_nemesis(&b, "stop-partition");
	hb_complete(&b, 0, OP_OK, HB_INT(3));
	hb_time(&b, 20 * second);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(3), true);
	liveness_measure(&b.h, 10 * second, &l);
	cr_assert_eq(l.first_ok_ns, 20 * second + 1000);
	cr_assert_not(liveness_within_bound(&l), "18 s after the heal is past a 10 s bound");
}

Test(liveness, without_a_nemesis_the_clock_starts_at_zero)
{
	struct check_liveness l;

	hb_time(&b, 3 * second);
	hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_NULL, false);
	liveness_measure(&b.h, 10 * second, &l);
	cr_assert_eq(l.heal_ns, 0);
	cr_assert(liveness_within_bound(&l));
}
