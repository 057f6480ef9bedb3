/* SPDX-License-Identifier: MIT */
/* test_hlc.c - hybrid logical clocks: the paper's rules case by case, the offset bound and
 * the packed and string forms. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "hlc.h"
#include "prng.h"

TestSuite(hlc);

enum { T = HLC_TICK_NS };

static struct hlc_ts ts(int64_t wall_ns, uint32_t logical)
{
	return (struct hlc_ts){ .wall_ns = wall_ns, .logical = logical };
}

static void assert_ts(struct hlc_ts got, int64_t wall_ns, uint32_t logical)
{
	cr_assert_eq(got.wall_ns, wall_ns, "wall %lld, want %lld", (long long)got.wall_ns,
		     (long long)wall_ns);
	cr_assert_eq(got.logical, logical, "logical %u, want %u", got.logical, logical);
}

Test(hlc, now_follows_pt_and_counts_when_pt_stalls_or_steps_back)
{
	struct hlc h;
	struct hlc_ts out;

	hlc_init(&h, 0);
	cr_assert_eq(hlc_now(&h, 10 * T + 5, &out), 0);
	assert_ts(out, 10 * T, 0);              /* rounded down to the tick */
	cr_assert_eq(hlc_now(&h, 10 * T + 9, &out), 0);
	assert_ts(out, 10 * T, 1);              /* same tick: c + 1 */
	cr_assert_eq(hlc_now(&h, 4 * T, &out), 0);
	assert_ts(out, 10 * T, 2);              /* pt stepped back: l holds */
	cr_assert_eq(hlc_now(&h, 11 * T, &out), 0);
	assert_ts(out, 11 * T, 0);
	assert_ts(h.last, 11 * T, 0);
}

Test(hlc, recv_applies_each_branch_of_the_paper_rule)
{
	struct hlc h;
	struct hlc_ts out, m;

	hlc_init(&h, 0);
	h.last = ts(10 * T, 3);
	m = ts(10 * T, 7);                      /* l = l' = l.m: max(c, c.m) + 1 */
	cr_assert_eq(hlc_recv(&h, 2 * T, &m, &out), 0);
	assert_ts(out, 10 * T, 8);
	m = ts(5 * T, 50);                      /* l = l': c + 1 */
	cr_assert_eq(hlc_recv(&h, 2 * T, &m, &out), 0);
	assert_ts(out, 10 * T, 9);
	m = ts(20 * T, 4);                      /* l = l.m: c.m + 1 */
	cr_assert_eq(hlc_recv(&h, 2 * T, &m, &out), 0);
	assert_ts(out, 20 * T, 5);
	m = ts(20 * T, 9);                      /* l = pt: 0 */
	cr_assert_eq(hlc_recv(&h, 30 * T + 1, &m, &out), 0);
	assert_ts(out, 30 * T, 0);
}

Test(hlc, max_offset_refuses_a_far_future_remote_without_moving)
{
	struct hlc h;
	struct hlc_ts out, m, before;
	const int64_t max_offset_ns = 500 * (int64_t)1000000;
	const int64_t pt = 1000 * (int64_t)T;

	hlc_init(&h, max_offset_ns);
	cr_assert_eq(hlc_now(&h, pt, &out), 0);
	before = h.last;
	m = ts(pt + 10000 * (int64_t)T, 0);
	cr_assert_eq(hlc_recv(&h, pt, &m, &out), -ERANGE);
	cr_assert_eq(hlc_compare(&h.last, &before), 0);
	m = ts(pt + max_offset_ns - max_offset_ns % T, 0);      /* within the bound */
	cr_assert_eq(hlc_recv(&h, pt, &m, &out), 0);
	assert_ts(out, m.wall_ns, 1);
	hlc_init(&h, 0);                        /* 0: no check */
	m = ts(INT64_MAX - INT64_MAX % T, 0);
	cr_assert_eq(hlc_recv(&h, 0, &m, &out), 0);
}

Test(hlc, rejects_invalid_input_and_logical_overflow_without_moving)
{
	struct hlc h;
	struct hlc_ts out, m, before;

	hlc_init(&h, 0);
	h.last = ts(3 * T, HLC_LOGICAL_MAX);
	before = h.last;
	cr_assert_eq(hlc_now(&h, -1, &out), -EINVAL);
	cr_assert_eq(hlc_now(&h, 3 * T, &out), -EOVERFLOW);
	m = ts(T + 1, 0);
	cr_assert_eq(hlc_recv(&h, 0, &m, &out), -EINVAL);       /* not on a tick */
	m = ts(-T, 0);
	cr_assert_eq(hlc_recv(&h, 0, &m, &out), -EINVAL);
	m = ts(T, HLC_LOGICAL_MAX + 1);
	cr_assert_eq(hlc_recv(&h, 0, &m, &out), -EINVAL);
	m = ts(T, 0);
	cr_assert_eq(hlc_recv(&h, -5, &m, &out), -EINVAL);
	m = ts(3 * T, 0);
	cr_assert_eq(hlc_recv(&h, 0, &m, &out), -EOVERFLOW);
	cr_assert_eq(hlc_compare(&h.last, &before), 0);
	cr_assert_eq(hlc_now(&h, 4 * T, &out), 0, "a later tick clears c");
	assert_ts(out, 4 * T, 0);
}

static struct hlc_ts random_ts(struct prng *prng)
{
	int64_t wall = (int64_t)(prng_next(prng) >> 1);

	if (prng_chance(prng, 0.2))
		wall = (int64_t)prng_below(prng, 4 * T);
	return ts(wall - wall % T, (uint32_t)prng_below(prng, HLC_LOGICAL_MAX + 1));
}

Test(hlc, pack_round_trips_and_orders_like_compare)
{
	struct prng prng;
	struct hlc_ts a, b, back;

	prng_init(&prng, 7);
	for (int it = 0; it < 10000; it++) {
		uint64_t pa, pb;
		int want;

		a = random_ts(&prng);
		b = prng_chance(&prng, 0.3) ? ts(a.wall_ns, (uint32_t)prng_below(&prng, 3)) :
					      random_ts(&prng);
		pa = hlc_pack(&a);
		pb = hlc_pack(&b);
		cr_assert_eq(hlc_unpack(pa, &back), 0);
		cr_assert_eq(hlc_compare(&a, &back), 0, "iteration %d", it);
		want = hlc_compare(&a, &b);
		cr_assert_eq(pa < pb ? -1 : pa > pb, want, "iteration %d", it);
	}
	cr_assert_eq(hlc_unpack((uint64_t)INT64_MAX + 1, &back), -EBADMSG);
	cr_assert_eq(hlc_unpack(UINT64_MAX, &back), -EBADMSG);
}

Test(hlc, string_form_round_trips)
{
	char buf[HLC_STRING_BYTES_MAX];
	struct prng prng;
	struct hlc_ts a, back;

	a = ts(5 * T, 3);
	cr_assert_eq(hlc_format(&a, buf, sizeof(buf)), 8);
	cr_assert_str_eq(buf, "327680.3");
	a = ts(INT64_MAX - INT64_MAX % T, HLC_LOGICAL_MAX);
	cr_assert_eq(hlc_format(&a, buf, sizeof(buf)), 25);
	cr_assert_eq(hlc_format(&a, buf, 25), -EMSGSIZE);
	prng_init(&prng, 11);
	for (int it = 0; it < 10000; it++) {
		ssize_t size;

		a = random_ts(&prng);
		size = hlc_format(&a, buf, sizeof(buf));
		cr_assert_gt(size, 0);
		cr_assert_eq(hlc_parse(buf, (size_t)size, &back), 0, "%s", buf);
		cr_assert_eq(hlc_compare(&a, &back), 0, "%s", buf);
		cr_assert_eq(hlc_parse(buf, (size_t)size - 1, &back) == 0 &&
			     hlc_compare(&a, &back) == 0, 0, "truncated %s read back", buf);
	}
}

Test(hlc, parse_rejects_malformed_text)
{
	static const char *const bad[] = {
		"", ".", "0.", ".0", "1", "65536.x", "-65536.0", "+65536.0", "065536.0",
		"65536.01", "65536.0.0", "65536.65536", "65537.0", " 65536.0", "65536.0 ",
		"9223372036854775808.0", "99999999999999999999.0", "65536.99999999999",
	};
	struct hlc_ts out = ts(T, 1);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(hlc_parse(bad[i], strlen(bad[i]), &out), -EBADMSG, "\"%s\"", bad[i]);
		assert_ts(out, T, 1);
	}
	cr_assert_eq(hlc_parse("65536.0\0", 8, &out), -EBADMSG);
	cr_assert_eq(hlc_parse("0.0", 3, &out), 0);
	assert_ts(out, 0, 0);
}
