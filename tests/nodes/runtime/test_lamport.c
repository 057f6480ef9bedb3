/* SPDX-License-Identifier: MIT */
/* test_lamport.c - Lamport clocks: tick, receive as max + 1, saturation instead of wrap. */
#include <criterion/criterion.h>
#include <errno.h>

#include "lamport.h"

TestSuite(lamport);

Test(lamport, starts_at_zero_and_ticks_by_one)
{
	struct lamport l;

	lamport_init(&l);
	cr_assert_eq(l.time, 0);
	cr_assert_eq(lamport_tick(&l), 1);
	cr_assert_eq(lamport_tick(&l), 2);
	cr_assert_eq(l.time, 2);
}

Test(lamport, receive_takes_max_plus_one)
{
	struct lamport l;

	lamport_init(&l);
	cr_assert_eq(lamport_recv(&l, 10), 11);
	cr_assert_eq(lamport_recv(&l, 3), 12, "an older message still advances by one");
	cr_assert_eq(lamport_recv(&l, 12), 13);
	cr_assert_eq(lamport_recv(&l, 0), 14);
}

Test(lamport, tick_saturates_at_max_and_fails)
{
	struct lamport l = { .time = LAMPORT_TIME_MAX - 1 };

	cr_assert_eq(lamport_tick(&l), (int64_t)LAMPORT_TIME_MAX);
	cr_assert_eq(lamport_tick(&l), -EOVERFLOW);
	cr_assert_eq(l.time, LAMPORT_TIME_MAX, "never wraps");
	cr_assert_eq(lamport_tick(&l), -EOVERFLOW);
}

Test(lamport, receive_of_huge_remote_saturates_and_fails)
{
	struct lamport l;

	lamport_init(&l);
	cr_assert_eq(lamport_recv(&l, LAMPORT_TIME_MAX - 1), (int64_t)LAMPORT_TIME_MAX);
	lamport_init(&l);
	cr_assert_eq(lamport_recv(&l, LAMPORT_TIME_MAX), -EOVERFLOW);
	cr_assert_eq(l.time, LAMPORT_TIME_MAX);
	lamport_init(&l);
	cr_assert_eq(lamport_recv(&l, UINT64_MAX), -EOVERFLOW);
	cr_assert_eq(l.time, LAMPORT_TIME_MAX);
	cr_assert_eq(lamport_tick(&l), -EOVERFLOW, "a saturated clock stays failed");
}
