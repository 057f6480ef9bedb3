/* SPDX-License-Identifier: MIT */
/* hlc.h - hybrid logical clocks (Kulkarni et al., "Logical Physical Clocks", OPODIS 2014). */
#ifndef HLC_H
#define HLC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Granularity. Physical time is rounded down to a multiple of HLC_TICK_NS (65.536 us)
 * before use, as the paper does with the low 16 bits of an NTP timestamp. Every wall_ns
 * the clock produces is then a multiple of HLC_TICK_NS, so the 64-bit packed form,
 * wall_ns | logical, is lossless and orders like hlc_compare(). This is the documented
 * alternative to "48-bit ms + 16-bit logical": finer, and still 48 + 16 bits (47 used).
 */
enum { HLC_TICK_NS = 1 << 16 };
enum { HLC_LOGICAL_MAX = HLC_TICK_NS - 1 };
/* "9223372036854710272.65535" and a NUL fit; 19 + 1 + 5 + 1 = 26. */
enum { HLC_STRING_BYTES_MAX = 32 };

/*
 * A timestamp: the paper's (l, c). Valid when wall_ns >= 0, wall_ns % HLC_TICK_NS == 0
 * and logical <= HLC_LOGICAL_MAX. Ordered by wall_ns, then logical.
 */
struct hlc_ts {
	int64_t wall_ns;        /* l: the largest physical time heard of */
	uint32_t logical;       /* c: orders events that share l */
};

/* Invariant: last is valid and never decreases; max_offset_ns >= 0. */
struct hlc {
	struct hlc_ts last;     /* the timestamp of this process's last event */
	int64_t max_offset_ns;  /* a remote this far past pt is refused; 0: no check */
};

/* hlc_init() - a clock at (0, 0); @max_offset_ns >= 0 (asserted), 0 disables the check. */
void hlc_init(struct hlc *h, int64_t max_offset_ns);

/**
 * hlc_now() - a local or send event at physical time @pt_ns (read by the caller; this
 * module reads no clock). The paper's rule: l = max(l, pt); c = l unchanged ? c + 1 : 0.
 * @pt_ns may go backwards (a stepped clock): the result still exceeds every earlier one.
 * @out: the event's timestamp, also left in h->last.
 * Return: 0; -EINVAL if @pt_ns < 0; -EOVERFLOW if c would pass HLC_LOGICAL_MAX.
 *         On error the clock is unchanged.
 */
int hlc_now(struct hlc *h, int64_t pt_ns, struct hlc_ts *out);

/**
 * hlc_recv() - a receive at @pt_ns of a message stamped @remote. The paper's rule:
 * l = max(l, l.m, pt); c = max(c, c.m) + 1 if l equals both old l and l.m, else c + 1 or
 * c.m + 1 for whichever l it equals, else 0. @out is greater than both h->last and @remote.
 * Return: 0; -EINVAL if @pt_ns < 0 or @remote is not valid; -ERANGE if max_offset_ns > 0
 *         and @remote->wall_ns > @pt_ns + max_offset_ns (as CockroachDB does, so one wild
 *         clock cannot drag the others forward); -EOVERFLOW if c would pass
 *         HLC_LOGICAL_MAX. On error the clock is unchanged.
 */
int hlc_recv(struct hlc *h, int64_t pt_ns, const struct hlc_ts *remote, struct hlc_ts *out);

/* hlc_compare() - -1, 0 or 1 as @a is before, equal to or after @b. */
int hlc_compare(const struct hlc_ts *a, const struct hlc_ts *b);

/* hlc_pack() - wall_ns | logical; @ts must be valid (asserted). */
uint64_t hlc_pack(const struct hlc_ts *ts);

/**
 * hlc_unpack() - the inverse of hlc_pack().
 * Return: 0; -EBADMSG if @packed > INT64_MAX (no valid timestamp packs to it).
 */
int hlc_unpack(uint64_t packed, struct hlc_ts *out);

/**
 * hlc_format() - "wall.logical" in decimal, e.g. "1700000000000032768.3", NUL-terminated.
 * @ts must be valid (asserted).
 * Return: the length without the NUL; -EMSGSIZE if it does not fit in @target_size.
 */
ssize_t hlc_format(const struct hlc_ts *ts, char *target, size_t target_size);

/**
 * hlc_parse() - read exactly @text_size bytes of "wall.logical" (no NUL needed): decimal
 * digits without sign or leading zeros, as hlc_format() writes them.
 * Return: 0; -EBADMSG on any other text, an out-of-range number or a timestamp that is not
 *         valid. On error @out is unchanged.
 */
int hlc_parse(const char *text, size_t text_size, struct hlc_ts *out);

#endif /* HLC_H */
