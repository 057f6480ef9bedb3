/* SPDX-License-Identifier: MIT */
/* hlc.c - hybrid logical clocks: the paper's update rules, a remote-offset bound, wire forms. */
#include "hlc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "fl_assert.h"

static int valid(const struct hlc_ts *ts)
{
	return ts->wall_ns >= 0 && ts->wall_ns % HLC_TICK_NS == 0 &&
	       ts->logical <= HLC_LOGICAL_MAX;
}

/* Round down to the clock's granularity; @pt_ns >= 0. */
static int64_t granular(int64_t pt_ns)
{
	ASSERT(pt_ns >= 0);
	return pt_ns - pt_ns % HLC_TICK_NS;
}

void hlc_init(struct hlc *h, int64_t max_offset_ns)
{
	ASSERT(h);
	ASSERT(max_offset_ns >= 0);
	h->last.wall_ns = 0;
	h->last.logical = 0;
	h->max_offset_ns = max_offset_ns;
}

int hlc_now(struct hlc *h, int64_t pt_ns, struct hlc_ts *out)
{
	struct hlc_ts next;
	int64_t pt;

	ASSERT(h);
	ASSERT(valid(&h->last));
	if (pt_ns < 0)
		return -EINVAL;
	pt = granular(pt_ns);
	next.wall_ns = h->last.wall_ns > pt ? h->last.wall_ns : pt;
	if (next.wall_ns == h->last.wall_ns) {
		if (h->last.logical >= HLC_LOGICAL_MAX)
			return -EOVERFLOW;
		next.logical = h->last.logical + 1;
	} else {
		next.logical = 0;
	}
	ASSERT(valid(&next));
	ASSERT(hlc_compare(&next, &h->last) > 0);
	h->last = next;
	*out = next;
	return 0;
}

int hlc_recv(struct hlc *h, int64_t pt_ns, const struct hlc_ts *remote, struct hlc_ts *out)
{
	int64_t pt, old, l;
	uint32_t c;

	ASSERT(h);
	ASSERT(remote);
	ASSERT(valid(&h->last));
	if (pt_ns < 0 || !valid(remote))
		return -EINVAL;
	/* Both are >= 0, so the difference cannot overflow. */
	if (h->max_offset_ns > 0 && remote->wall_ns - pt_ns > h->max_offset_ns)
		return -ERANGE;
	pt = granular(pt_ns);
	old = h->last.wall_ns;
	l = old > remote->wall_ns ? old : remote->wall_ns;
	l = l > pt ? l : pt;
	if (l == old && l == remote->wall_ns)
		c = (h->last.logical > remote->logical ? h->last.logical : remote->logical) + 1;
	else if (l == old)
		c = h->last.logical + 1;
	else if (l == remote->wall_ns)
		c = remote->logical + 1;
	else
		c = 0;
	if (c > HLC_LOGICAL_MAX)
		return -EOVERFLOW;
	ASSERT(l % HLC_TICK_NS == 0);
	h->last.wall_ns = l;
	h->last.logical = c;
	ASSERT(hlc_compare(&h->last, remote) > 0);
	*out = h->last;
	return 0;
}

int hlc_compare(const struct hlc_ts *a, const struct hlc_ts *b)
{
	ASSERT(a);
	ASSERT(b);
	if (a->wall_ns != b->wall_ns)
		return a->wall_ns < b->wall_ns ? -1 : 1;
	if (a->logical != b->logical)
		return a->logical < b->logical ? -1 : 1;
	return 0;
}

uint64_t hlc_pack(const struct hlc_ts *ts)
{
	uint64_t packed;

	ASSERT(valid(ts));
	packed = (uint64_t)ts->wall_ns | ts->logical;
	ASSERT(packed <= (uint64_t)INT64_MAX);
	return packed;
}

int hlc_unpack(uint64_t packed, struct hlc_ts *out)
{
	ASSERT(out);
	if (packed > (uint64_t)INT64_MAX)
		return -EBADMSG;
	out->wall_ns = (int64_t)(packed - packed % HLC_TICK_NS);
	out->logical = (uint32_t)(packed % HLC_TICK_NS);
	ASSERT(valid(out));
	return 0;
}

ssize_t hlc_format(const struct hlc_ts *ts, char *target, size_t target_size)
{
	int size;

	ASSERT(valid(ts));
	ASSERT(target || target_size == 0);
	size = snprintf(target, target_size, "%" PRId64 ".%" PRIu32, ts->wall_ns, ts->logical);
	ASSERT(size > 0);
	ASSERT(size < HLC_STRING_BYTES_MAX);
	if ((size_t)size >= target_size)
		return -EMSGSIZE;
	return size;
}

/* Decimal digits in text[*at, size) up to @stop or the end, at most @max, canonical form. */
static int parse_decimal(const char *text, size_t size, size_t *at, char stop, uint64_t max,
			 uint64_t *out)
{
	size_t start = *at;
	uint64_t x = 0;

	/* Bounded: each pass consumes a byte of text, and text_size was checked by the caller. */
	while (*at < size && text[*at] != stop) {
		unsigned digit = (unsigned)(text[*at] - '0');

		if (digit > 9 || x > (max - digit) / 10)
			return -EBADMSG;
		x = x * 10 + digit;
		(*at)++;
	}
	if (*at == start || (text[start] == '0' && *at - start > 1))
		return -EBADMSG;
	*out = x;
	return 0;
}

int hlc_parse(const char *text, size_t text_size, struct hlc_ts *out)
{
	uint64_t wall, logical;
	size_t at = 0;
	struct hlc_ts ts;

	ASSERT(text || text_size == 0);
	ASSERT(out);
	if (text_size >= HLC_STRING_BYTES_MAX)
		return -EBADMSG;
	if (parse_decimal(text, text_size, &at, '.', (uint64_t)INT64_MAX, &wall) < 0)
		return -EBADMSG;
	if (at == text_size)
		return -EBADMSG;
	at++;
	if (parse_decimal(text, text_size, &at, '\0', HLC_LOGICAL_MAX, &logical) < 0)
		return -EBADMSG;
	if (at != text_size)
		return -EBADMSG;
	ts.wall_ns = (int64_t)wall;
	ts.logical = (uint32_t)logical;
	if (!valid(&ts))
		return -EBADMSG;
	*out = ts;
	return 0;
}
