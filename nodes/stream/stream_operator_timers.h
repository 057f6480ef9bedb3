/* SPDX-License-Identifier: MIT */
/* stream_operator_timers.h - the window operator's calendar of chunks (internal): when each
 * chunk next has a window to fire or state to drop. */
#ifndef STREAM_OPERATOR_TIMERS_H
#define STREAM_OPERATOR_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct stream_chunk;
struct stream_operator;

enum {
	/* Buckets of the calendar, a ring by due time / slide; a power of two. */
	STREAM_CALENDAR_BUCKETS = 1024,
	STREAM_CHUNK_UNLINKED = UINT32_MAX - 1, /* prev of a live chunk out of the calendar */
	STREAM_CHUNK_FREE = UINT32_MAX - 2,     /* prev of a free chunk */
};

/* A chunk's place in the calendar, apart from the chunk: walking a bucket reads no chunk. */
struct stream_link {
	int64_t due_ms;                         /* its calendar time (see the invariants) */
	uint32_t next;                          /* its bucket's next chunk; free: the next free */
	uint32_t prev;                          /* STREAM_CHUNK_NONE first, UNLINKED, FREE */
};

/* Chunks by due time: bucket b lists the chunks due in [O + iL, O + (i + 1)L) for the i
 * with i mod STREAM_CALENDAR_BUCKETS == b. */
struct stream_calendar {
	uint32_t heads[STREAM_CALENDAR_BUCKETS];        /* each list's first chunk */
	uint64_t used[STREAM_CALENDAR_BUCKETS / 64];    /* bit b: bucket b is not empty */
	int64_t min_ms[STREAM_CALENDAR_BUCKETS];        /* <= its chunks' due times */
};

/* A window an advance fires: its start, key and the chunk and bit of its membership; last:
 * its chunk fires no later window in this advance (then the chunk can be cleaned). */
struct stream_firing {
	int64_t start_ms;
	uint64_t key;
	uint32_t id;
	uint16_t bit, last;
};

/* What chunk @id's due_ms should be at watermark @watermark_ms (INT64_MAX if it holds
 * nothing). */
int64_t stream_operator_chunk_due(const struct stream_operator *op, uint32_t id,
				  int64_t watermark_ms);

/* The least time of bits @panes, @edges and @members of @chunk at @watermark_ms (INT64_MAX
 * if none): a chunk's due time is that of all its bits, so the least over its bit sets. */
int64_t stream_operator_bits_due(const struct stream_operator *op,
				 const struct stream_chunk *chunk, uint64_t panes, uint64_t edges,
				 uint64_t members, int64_t watermark_ms);

/* Put live chunk @id in the calendar at its due time, or move it there if that changed. */
void stream_operator_schedule(struct stream_operator *op, uint32_t id);

/* Live chunk @id, in the calendar, just gained bits @panes, @edges and @members at the
 * operator's watermark: its due time can only drop to theirs, so only theirs is worked out
 * and the chunk moves only if it did (bench-stream: most sliding events add no bit, and
 * working out the whole chunk's due time on each was most of their rescheduling). */
void stream_operator_schedule_added(struct stream_operator *op, uint32_t id, uint64_t panes,
				    uint64_t edges, uint64_t members);

/* Take out of the calendar every chunk due at or before @until_ms into op->popped.
 * Return: how many. stream_operator_untake() puts them back as they were. */
uint32_t stream_operator_take_due(struct stream_operator *op, int64_t until_ms);
void stream_operator_untake(struct stream_operator *op, uint32_t count);

/* Drop what taken chunk @id holds past cleanup at @watermark_ms (the operator's, or the one
 * it is advancing to), then the chunk if empty, else schedule it anew for @watermark_ms. */
void stream_operator_chunk_clean(struct stream_operator *op, uint32_t id, int64_t watermark_ms);

/* Every chunk in the calendar anew (after a restore); the calendar emptied first. */
void stream_operator_timers_rebuild(struct stream_operator *op);
void stream_operator_calendar_clear(struct stream_operator *op);

/* Whether the calendar holds exactly the live chunks, each in the bucket of its due time. */
bool stream_operator_calendar_holds(const struct stream_operator *op);

/* Ask the cache for chunk @id's header and its line of cells from @bit; the chunks an
 * advance visits are asked for STREAM_PREFETCH_AHEAD ahead of use. */
enum { STREAM_PREFETCH_AHEAD = 8 };
void stream_operator_prefetch(const struct stream_operator *op, uint32_t id, uint32_t bit);

/* Take the chunks due at or before @watermark_ms (op->popped, *@popped_count) and collect
 * into op->firing the windows they fire, sorted by (end, key). Return: how many. */
uint32_t stream_operator_collect_firing(struct stream_operator *op, int64_t watermark_ms,
					uint32_t *popped_count);

#endif /* STREAM_OPERATOR_TIMERS_H */
