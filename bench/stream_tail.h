/* SPDX-License-Identifier: MIT */
/* stream_tail.h - bench-stream-nodes' reader of the sink's output.jsonl as it grows: each new
 * line timestamped on the bench's monotonic clock, ON_TIME panes tallied per tumbling window
 * of a fixed grid, with each pane's event-time latency (its appearance - its window's end). */
#ifndef STREAM_TAIL_H
#define STREAM_TAIL_H

#include <stdbool.h>
#include <stdint.h>

struct errbuf;

enum {
	STAIL_LINE_BYTES_MAX = 512,             /* a sink line is under 256 */
	STAIL_READ_BYTES = 64 << 10,
	STAIL_KEYS_MAX = 100 * 1000,
	STAIL_WINDOWS_MAX = 4096,
	STAIL_OPERATORS_MAX = 64,               /* the ended mask's bits */
};

#define STAIL_NONE INT64_MIN                    /* a key's pane not seen (yet) */

/* Tumbling windows [first_ms + k size_ms, first_ms + (k+1) size_ms), k = 0 .. count-1. */
struct stail_grid {
	int64_t size_ms;
	int64_t first_ms;
	uint32_t count;
};

/* stail_slot() - the k of event time @t_ms, or -1 off the grid. */
static inline int64_t stail_slot(const struct stail_grid *g, int64_t t_ms)
{
	int64_t d = t_ms - g->first_ms, k;

	if (d < 0)
		return -1;
	k = d / g->size_ms;
	return k < (int64_t)g->count ? k : -1;
}

/* What the output holds for one window of the grid. */
struct stail_window {
	int64_t on_time;                /* the ON_TIME panes' values (counts) summed */
	uint32_t panes;                 /* ON_TIME panes, one per key at most */
	uint32_t late_panes;            /* LATE panes */
	uint32_t late_events;           /* side-output records of the window */
	uint32_t repeats;               /* ON_TIME panes of a key seen before */
	int64_t *latency_ns;            /* [keys]: the ON_TIME pane's latency, or STAIL_NONE */
};

/* Invariants: used < STAIL_READ_BYTES; ended holds bit w once operator w's "end" is read. */
struct stail {
	struct stail_grid grid;
	uint32_t keys;
	int64_t zero_ns;                /* the bench's clock at event time 0 */
	char path[256];
	int fd;                         /* -1 until the file exists */
	char buf[STAIL_READ_BYTES];
	uint32_t used;
	struct stail_window *windows;   /* [grid.count] */
	int64_t *latency;               /* the windows' latency arrays, one block */
	uint64_t lines, panes, off_grid, late_events;
	uint64_t ended;                 /* a bit per operator */
	uint64_t bad;                   /* lines that are not a sink record */
	char bad_line[96];              /* the first of them */
};

/* stail_open() - ready to read @path (which need not exist yet). Return: 0; -ENOMEM; -EINVAL
 * for a grid or key count past the bounds. */
int stail_open(struct stail *t, const char *path, const struct stail_grid *grid, uint32_t keys,
	       int64_t zero_ns, struct errbuf *eb);

/* stail_poll() - read what was appended since the last call; its whole lines are timestamped
 * now and tallied. Return: 0; -EMSGSIZE (a line too long); -errno. Never blocks. */
int stail_poll(struct stail *t, struct errbuf *eb);

/* stail_close() - close and free; idempotent. */
void stail_close(struct stail *t);

#endif /* STREAM_TAIL_H */
