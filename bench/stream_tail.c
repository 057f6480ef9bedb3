/* SPDX-License-Identifier: MIT */
/* stream_tail.c - the sink's output.jsonl read as it grows: lines timestamped when read,
 * parsed, and tallied per window of the grid. */
#include "stream_tail.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

int stail_open(struct stail *t, const char *path, const struct stail_grid *grid, uint32_t keys,
	       int64_t zero_ns, struct errbuf *eb)
{
	size_t cells;

	ASSERT(grid->size_ms > 0);
	if (keys == 0 || keys > STAIL_KEYS_MAX || grid->count == 0 ||
	    grid->count > STAIL_WINDOWS_MAX)
		return errbuf_set(eb, -EINVAL, "%" PRIu32 " keys, %" PRIu32 " windows: over %d, "
				  "%d", keys, grid->count, STAIL_KEYS_MAX, STAIL_WINDOWS_MAX);
	*t = (struct stail){ .grid = *grid, .keys = keys, .zero_ns = zero_ns, .fd = -1 };
	if (snprintf(t->path, sizeof(t->path), "%s", path) >= (int)sizeof(t->path))
		return errbuf_set(eb, -ENAMETOOLONG, "%s: path too long", path);
	cells = (size_t)grid->count * keys;
	t->windows = calloc(grid->count, sizeof(t->windows[0]));
	t->latency = malloc(cells * sizeof(t->latency[0]));
	if (!t->windows || !t->latency) {
		stail_close(t);
		return errbuf_set(eb, -ENOMEM, "latencies of %zu panes", cells);
	}
	for (size_t i = 0; i < cells; i++)
		t->latency[i] = STAIL_NONE;
	for (uint32_t w = 0; w < grid->count; w++)
		t->windows[w].latency_ns = t->latency + (size_t)w * keys;
	return 0;
}

void stail_close(struct stail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->windows);
	free(t->latency);
	t->windows = NULL;
	t->latency = NULL;
}

static void bad(struct stail *t, const char *line, size_t size)
{
	if (t->bad++ == 0)
		snprintf(t->bad_line, sizeof(t->bad_line), "%.*s", (int)size, line);
}

/* An integer member of @o into @out. Return: false if it is missing or not an integer. */
static bool member_int(const json_t *o, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

/* A "pane" record: an ON_TIME one's value and latency, or a LATE one counted. */
static void pane(struct stail *t, const json_t *o, int64_t at_ns, const char *line, size_t size)
{
	const char *timing = json_string_value(json_object_get(o, "timing"));
	int64_t key, start, end, value, slot;
	struct stail_window *w;

	if (!timing || !member_int(o, "key", &key) || !member_int(o, "start", &start) ||
	    !member_int(o, "end", &end) || !member_int(o, "value", &value) || key < 0 ||
	    key >= t->keys || end - start != t->grid.size_ms) {
		bad(t, line, size);
		return;
	}
	t->panes++;
	slot = stail_slot(&t->grid, start);
	if (slot < 0 || start != t->grid.first_ms + slot * t->grid.size_ms) {
		t->off_grid++;
		return;
	}
	w = &t->windows[slot];
	if (strcmp(timing, "on-time") != 0) {
		w->late_panes++;
		return;
	}
	if (w->latency_ns[key] != STAIL_NONE) {
		w->repeats++;
		return;
	}
	w->latency_ns[key] = at_ns - (t->zero_ns + end * INT64_C(1000000));
	w->on_time += value;
	w->panes++;
}

/* One whole line (without its '\n'), read at @at_ns. */
static void line(struct stail *t, const char *text, size_t size, int64_t at_ns)
{
	json_t *o = json_loadb(text, size, 0, NULL);
	const char *kind = o ? json_string_value(json_object_get(o, "kind")) : NULL;
	int64_t op, start;

	t->lines++;
	if (!kind || !member_int(o, "operator", &op) || op < 0 || op >= STAIL_OPERATORS_MAX) {
		bad(t, text, size);
	} else if (strcmp(kind, "pane") == 0) {
		pane(t, o, at_ns, text, size);
	} else if (strcmp(kind, "late") == 0 && member_int(o, "start", &start)) {
		int64_t slot = stail_slot(&t->grid, start);

		t->late_events++;
		if (slot >= 0)
			t->windows[slot].late_events++;
	} else if (strcmp(kind, "end") == 0) {
		t->ended |= UINT64_C(1) << op;
	} else {
		bad(t, text, size);
	}
	json_decref(o);
}

int stail_poll(struct stail *t, struct errbuf *eb)
{
	ssize_t n;

	if (t->fd < 0) {
		t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (t->fd < 0)
			return errno == ENOENT ? 0 : errbuf_set(eb, -errno, "%s: cannot open",
								t->path);
	}
	/* Bounded: each pass either fills the buffer with new bytes or ends. */
	while ((n = read(t->fd, t->buf + t->used, sizeof(t->buf) - 1 - t->used)) > 0) {
		int64_t now = monotime_ns();
		char *at = t->buf, *end = t->buf + t->used + n, *nl;

		while ((nl = memchr(at, '\n', (size_t)(end - at)))) {
			line(t, at, (size_t)(nl - at), now);
			at = nl + 1;
		}
		t->used = (uint32_t)(end - at);
		if (t->used > STAIL_LINE_BYTES_MAX)
			return errbuf_set(eb, -EMSGSIZE, "%s: a line over %d bytes", t->path,
					  STAIL_LINE_BYTES_MAX);
		memmove(t->buf, at, t->used);
	}
	return n < 0 ? errbuf_set(eb, -errno, "%s: cannot read", t->path) : 0;
}
