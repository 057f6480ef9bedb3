/* SPDX-License-Identifier: MIT */
/* test_bundle.c - pbft-node's bundles: several sealed messages in one datagram. What is
 * bundled splits into the same parts; a lone part goes as the plain message; anything else
 * that claims to be a bundle (wrong count, sizes, truncation, trailing bytes) is refused
 * whole; the bounds on parts and bytes hold, and so does the hold's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pbft_bundle.h"
#include "pbft_wire.h"

TestSuite(pbft_bundle);

static uint8_t buf[PBFT_SEALED_BYTES_MAX];

/* part i: @size bytes of value 'a' + i, the first one a message type (never the mark) */
static void fill(uint8_t *p, size_t size, uint32_t i)
{
	memset(p, 'a' + (int)i, size);
	p[0] = PBFT_MSG_COMMIT;
}

static size_t make(uint32_t parts, const size_t *sizes)
{
	struct pbft_bundle b;
	uint8_t part[512];

	pbft_bundle_init(&b, buf, sizeof(buf));
	for (uint32_t i = 0; i < parts; i++) {
		cr_assert_leq(sizes[i], sizeof(part));
		fill(part, sizes[i], i);
		cr_assert_eq(pbft_bundle_add(&b, part, sizes[i]), 0, "part %u", i);
	}
	return pbft_bundle_finish(&b);
}

Test(pbft_bundle, parts_split_back_as_they_went_in)
{
	const size_t sizes[] = { 85, 1, 300, 85 };
	struct pbft_bundle_part parts[PBFT_BUNDLE_PARTS_MAX];
	size_t size = make(4, sizes);
	uint8_t want[512];

	cr_assert_eq(size, PBFT_BUNDLE_HEADER_BYTES + 4 * PBFT_BUNDLE_PART_HEADER_BYTES + 471);
	cr_assert(pbft_bundle_is(buf, size));
	cr_assert_eq(pbft_bundle_split(buf, size, parts), 4);
	for (uint32_t i = 0; i < 4; i++) {
		fill(want, sizes[i], i);
		cr_assert_eq(parts[i].size, sizes[i], "part %u", i);
		cr_assert_arr_eq(parts[i].bytes, want, sizes[i], "part %u", i);
	}
}

Test(pbft_bundle, a_lone_part_goes_as_the_message_itself_and_none_as_nothing)
{
	const size_t sizes[] = { 85 };
	uint8_t want[85];
	struct pbft_bundle b;

	cr_assert_eq(make(1, sizes), 85);
	fill(want, 85, 0);
	cr_assert_arr_eq(buf, want, 85);
	cr_assert_not(pbft_bundle_is(buf, 85));
	pbft_bundle_init(&b, buf, sizeof(buf));
	cr_assert_eq(pbft_bundle_finish(&b), 0);
}

Test(pbft_bundle, the_part_count_and_the_datagram_size_are_bounded)
{
	struct pbft_bundle b;
	static uint8_t big[PBFT_SEALED_BYTES_MAX];
	uint8_t small[85];

	fill(small, sizeof(small), 0);
	pbft_bundle_init(&b, buf, sizeof(buf));
	for (uint32_t i = 0; i < PBFT_BUNDLE_PARTS_MAX; i++)
		cr_assert_eq(pbft_bundle_add(&b, small, sizeof(small)), 0, "part %u", i);
	cr_assert_not(pbft_bundle_fits(&b, sizeof(small)));
	cr_assert_eq(pbft_bundle_add(&b, small, sizeof(small)), -ENOSPC);
	cr_assert_gt(pbft_bundle_finish(&b), 0);

	/* A whole-size message fits an empty bundle only, and then goes alone, unmarked. */
	fill(big, sizeof(big), 1);
	cr_assert(pbft_bundle_fits(&b, sizeof(big) - PBFT_BUNDLE_HEADER_BYTES -
				      PBFT_BUNDLE_PART_HEADER_BYTES));
	cr_assert_eq(pbft_bundle_add(&b, small, sizeof(small)), 0);
	cr_assert_not(pbft_bundle_fits(&b, sizeof(big) - PBFT_BUNDLE_HEADER_BYTES -
					   PBFT_BUNDLE_PART_HEADER_BYTES));
	cr_assert_not(pbft_bundle_fits(&b, 0));
	(void)pbft_bundle_finish(&b);
	cr_assert_eq(pbft_bundle_add(&b, big, sizeof(big)), -ENOSPC,
		     "the mark and sizes would not fit a datagram");
}

Test(pbft_bundle, every_truncation_and_every_extension_is_refused)
{
	const size_t sizes[] = { 85, 40, 85 };
	struct pbft_bundle_part parts[PBFT_BUNDLE_PARTS_MAX];
	size_t size = make(3, sizes);

	for (size_t cut = 0; cut < size; cut++)
		cr_assert_eq(pbft_bundle_split(buf, cut, parts), -EBADMSG, "cut at %zu", cut);
	buf[size] = 0;
	cr_assert_eq(pbft_bundle_split(buf, size + 1, parts), -EBADMSG, "a trailing byte");
	cr_assert_eq(pbft_bundle_split(buf, size, parts), 3);
}

Test(pbft_bundle, a_wrong_mark_count_or_part_size_is_refused)
{
	const size_t sizes[] = { 85, 40 };
	struct pbft_bundle_part parts[PBFT_BUNDLE_PARTS_MAX];
	size_t size = make(2, sizes);
	const uint8_t counts[] = { 0, 1, 3, PBFT_BUNDLE_PARTS_MAX + 1, 255 };
	size_t second = PBFT_BUNDLE_HEADER_BYTES + PBFT_BUNDLE_PART_HEADER_BYTES + 85;

	for (uint32_t i = 0; i < sizeof(counts); i++) {
		buf[1] = counts[i];
		cr_assert_eq(pbft_bundle_split(buf, size, parts), -EBADMSG, "count %u",
			     counts[i]);
	}
	buf[1] = 2;
	buf[0] = PBFT_MSG_COMMIT;
	cr_assert_eq(pbft_bundle_split(buf, size, parts), -EBADMSG, "no mark");
	buf[0] = PBFT_BUNDLE_MARK;
	buf[second] = 0;
	buf[second + 1] = 0;
	cr_assert_eq(pbft_bundle_split(buf, size, parts), -EBADMSG, "an empty part");
	buf[second] = 41;
	cr_assert_eq(pbft_bundle_split(buf, size, parts), -EBADMSG, "a part past the end");
	buf[second] = 39;
	cr_assert_eq(pbft_bundle_split(buf, size, parts), -EBADMSG, "a byte after the last");
	buf[second] = 40;
	cr_assert_eq(pbft_bundle_split(buf, size, parts), 2);
	cr_assert_eq(pbft_bundle_split(buf, PBFT_SEALED_BYTES_MAX + 1, parts), -EBADMSG,
		     "more than a datagram may hold");
}

Test(pbft_bundle, the_hold_takes_small_messages_up_to_its_bound)
{
	static struct pbft_held h;
	uint8_t commit[PBFT_HELD_BYTES_MAX + 1];

	fill(commit, sizeof(commit), 0);
	cr_assert_eq(pbft_held_push(&h, commit, sizeof(commit)), -ENOSPC, "too big");
	cr_assert_eq(pbft_held_push(&h, commit, 0), -ENOSPC, "empty");
	for (uint32_t i = 0; i < PBFT_HELD_MAX; i++)
		cr_assert_eq(pbft_held_push(&h, commit, PBFT_HEADER_BYTES), 0, "commit %u", i);
	cr_assert_eq(pbft_held_push(&h, commit, PBFT_HEADER_BYTES), -ENOSPC, "full");
	cr_assert_eq(h.count, PBFT_HELD_MAX);
	cr_assert_eq(h.sizes[PBFT_HELD_MAX - 1], PBFT_HEADER_BYTES);
	cr_assert_arr_eq(h.plain[PBFT_HELD_MAX - 1], commit, PBFT_HEADER_BYTES);
}
