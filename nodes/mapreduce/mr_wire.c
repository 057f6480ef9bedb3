/* SPDX-License-Identifier: MIT */
/* mr_wire.c - the coordinator's and the file server's lines (mr_wire.h). */
#include "mr_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

/* A cursor over one line; a field ends at a space or the end. */
struct cursor {
	const char *at, *end;
	const char *field;              /* what is parsed now, for the message */
	bool bad;
};

/* The next space-separated word (a single space apart). */
static bool word(struct cursor *c, const char **start, size_t *size)
{
	const char *p = c->at;

	if (c->bad || p >= c->end) {
		c->bad = true;
		return false;
	}
	while (p < c->end && *p != ' ')
		p++;
	*start = c->at;
	*size = (size_t)(p - c->at);
	c->at = p < c->end ? p + 1 : p;
	if (*size == 0 || (p < c->end && p + 1 == c->end))
		c->bad = true; /* an empty field, or a trailing space */
	return !c->bad;
}

static bool number_of(const char *p, size_t size, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (size == 0 || size > 20 || (size > 1 && p[0] == '0'))
		return false;
	for (size_t i = 0; i < size; i++) {
		unsigned digit = (unsigned)(unsigned char)p[i] - '0';

		if (digit > 9 || n > (UINT64_MAX - digit) / 10)
			return false;
		n = n * 10 + digit;
	}
	*out = n;
	return n <= max;
}

/* Exactly 16 lower-case hex digits. */
static bool hex_of(const char *p, size_t size, uint64_t *out)
{
	uint64_t n = 0;

	if (size != 16)
		return false;
	for (size_t i = 0; i < size; i++) {
		char ch = p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
		n = n << 4 | (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
	}
	*out = n;
	return true;
}

static uint64_t number(struct cursor *c, const char *field, uint64_t max)
{
	const char *p;
	size_t size;
	uint64_t n = 0;

	c->field = field;
	if (word(c, &p, &size) && !number_of(p, size, max, &n))
		c->bad = true;
	return n;
}

/* A comma-separated list of exactly @count numbers (at most @max items). */
static uint32_t numbers(struct cursor *c, const char *field, uint64_t *out, uint32_t max)
{
	const char *p, *end;
	size_t size;
	uint32_t count = 0;

	c->field = field;
	if (!word(c, &p, &size))
		return 0;
	for (end = p + size; !c->bad;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if (count == max || !number_of(p, (size_t)(stop - p), UINT64_MAX, &out[count]))
			c->bad = true;
		count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return count;
}

static const char *const verbs[] = {
	[MR_WIRE_HEARTBEAT] = "hb", [MR_WIRE_REQUEST] = "req", [MR_WIRE_MAP_DONE] = "mapdone",
	[MR_WIRE_REDUCE_DONE] = "reducedone", [MR_WIRE_FETCH_FAILED] = "fetchfail",
	[MR_WIRE_SUBMIT] = "submit", [MR_WIRE_STATUS] = "status", [MR_WIRE_LAST] = "last",
};

static void counters_parse(struct cursor *c, uint64_t *counters)
{
	if (numbers(c, "counters", counters, MR_COUNTERS) != MR_COUNTERS)
		c->bad = true;
}

/* The fields after "VERB W INC". */
static void rest_parse(struct cursor *c, struct mr_wire_msg *m)
{
	const char *p;
	size_t size;

	if (m->kind == MR_WIRE_HEARTBEAT || m->kind == MR_WIRE_REQUEST)
		return;
	m->job = number(c, "job", UINT64_MAX);
	m->index = (uint32_t)number(c, "task", MR_MAPS_MAX - 1);
	m->attempt = (uint32_t)number(c, "attempt", UINT32_MAX);
	if (m->kind == MR_WIRE_MAP_DONE) {
		m->size_count = numbers(c, "sizes", m->sizes, MR_REDUCES_MAX);
		counters_parse(c, m->counters);
	} else if (m->kind == MR_WIRE_REDUCE_DONE) {
		counters_parse(c, m->counters);
		c->field = "digest";
		if (word(c, &p, &size) && !hex_of(p, size, &m->digest))
			c->bad = true;
	} else {
		m->map = (uint32_t)number(c, "map", MR_MAPS_MAX - 1);
		m->holder = (uint32_t)number(c, "holder", MR_WORKERS_MAX - 1);
	}
}

int mr_wire_parse(const char *line, size_t size, struct mr_wire_msg *msg, struct errbuf *eb)
{
	struct cursor c = { line, line + size, "verb", false };
	const char *verb;
	size_t verb_size;
	size_t k = 0;

	memset(msg, 0, sizeof(*msg));
	if (word(&c, &verb, &verb_size))
		while (k < ARRAY_SIZE(verbs) &&
		       (strlen(verbs[k]) != verb_size || memcmp(verbs[k], verb, verb_size)))
			k++;
	if (c.bad || k == ARRAY_SIZE(verbs))
		return errbuf_set(eb, -EINVAL, "'%.*s': expected hb, req, mapdone, reducedone, "
				  "fetchfail, submit, status or last", (int)(size < 40 ? size : 40),
				  line);
	msg->kind = (enum mr_wire_kind)k;
	if (msg->kind == MR_WIRE_SUBMIT || msg->kind == MR_WIRE_STATUS) {
		msg->job = number(&c, "job", UINT64_MAX);
		if (msg->job == 0)
			c.bad = true;
	} else if (msg->kind != MR_WIRE_LAST) {
		msg->worker = (uint32_t)number(&c, "worker", MR_WORKERS_MAX - 1);
		msg->incarnation = number(&c, "incarnation", UINT64_MAX);
		rest_parse(&c, msg);
	}
	if (!c.bad && c.at != c.end)
		c.bad = true, c.field = "end of line";
	if (c.bad)
		return errbuf_set(eb, -EINVAL, "'%.*s': bad or missing %s", (int)(size < 60 ? size :
									    60), line, c.field);
	return 0;
}

/* Append to @buf; false once it does not fit. */
static bool put(char *buf, size_t size, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool put(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= size)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *used) {
		*used = size;
		return false;
	}
	*used += (size_t)n;
	return true;
}

static void list_put(char *buf, size_t size, size_t *used, const uint64_t *items, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		put(buf, size, used, "%s%" PRIu64, i ? "," : " ", items[i]);
}

int mr_wire_format(const struct mr_wire_msg *m, char *buf, size_t size)
{
	size_t used = 0;

	put(buf, size, &used, "%s", verbs[m->kind]);
	if (m->kind == MR_WIRE_SUBMIT || m->kind == MR_WIRE_STATUS)
		put(buf, size, &used, " %" PRIu64, m->job);
	else if (m->kind != MR_WIRE_LAST)
		put(buf, size, &used, " %u %" PRIu64, m->worker, m->incarnation);
	if (m->kind >= MR_WIRE_MAP_DONE && m->kind <= MR_WIRE_FETCH_FAILED)
		put(buf, size, &used, " %" PRIu64 " %u %u", m->job, m->index, m->attempt);
	if (m->kind == MR_WIRE_MAP_DONE)
		list_put(buf, size, &used, m->sizes, m->size_count);
	if (m->kind == MR_WIRE_MAP_DONE || m->kind == MR_WIRE_REDUCE_DONE)
		list_put(buf, size, &used, m->counters, MR_COUNTERS);
	if (m->kind == MR_WIRE_REDUCE_DONE)
		put(buf, size, &used, " %016" PRIx64, m->digest);
	if (m->kind == MR_WIRE_FETCH_FAILED)
		put(buf, size, &used, " %u %u", m->map, m->holder);
	if (!put(buf, size, &used, "\n"))
		return -EMSGSIZE;
	return (int)used;
}

/* One map's "H:S" or "-" of a reduce assignment. */
static bool holder_of(const char *p, size_t size, uint32_t *holder, uint64_t *file_size)
{
	const char *colon = memchr(p, ':', size);
	uint64_t h;

	if (size == 1 && p[0] == '-') {
		*holder = MR_WORKER_NONE;
		*file_size = 0;
		return true;
	}
	if (!colon || !number_of(p, (size_t)(colon - p), MR_WORKERS_MAX - 1, &h))
		return false;
	*holder = (uint32_t)h;
	return number_of(colon + 1, (size_t)(p + size - colon - 1), UINT64_MAX, file_size);
}

static void holders_parse(struct cursor *c, struct mr_wire_assignment *out)
{
	const char *p, *end;
	size_t size;

	c->field = "holders";
	if (!word(c, &p, &size))
		return;
	for (end = p + size; !c->bad; out->maps++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if (out->maps == MR_MAPS_MAX ||
		    !holder_of(p, (size_t)(stop - p), &out->holders[out->maps],
			       &out->sizes[out->maps]))
			c->bad = true;
		if (!comma) {
			out->maps++;
			break;
		}
		p = comma + 1;
	}
}

int mr_wire_assignment_parse(const char *line, size_t size, struct mr_wire_assignment *out,
			     struct errbuf *eb)
{
	struct cursor c = { line, line + size, "reply", false };
	const char *verb;
	size_t verb_size;
	struct mr_assignment *a = &out->a;

	memset(out, 0, sizeof(*out));
	if (word(&c, &verb, &verb_size) && verb_size == 4 && !memcmp(verb, "wait", 4)) {
		a->reply = MR_REPLY_WAIT;
	} else if (!c.bad && verb_size == 4 && !memcmp(verb, "exit", 4)) {
		a->reply = MR_REPLY_EXIT;
	} else if (!c.bad && ((verb_size == 3 && !memcmp(verb, "map", 3)) ||
			      (verb_size == 6 && !memcmp(verb, "reduce", 6)))) {
		a->reply = MR_REPLY_TASK;
		a->kind = verb_size == 3 ? MR_MAP : MR_REDUCE;
		out->job = number(&c, "job", UINT64_MAX);
		a->index = (uint32_t)number(&c, "task", MR_MAPS_MAX - 1);
		a->attempt = (uint32_t)number(&c, "attempt", UINT32_MAX);
		a->backup = number(&c, "backup", 1) == 1;
		if (a->kind == MR_REDUCE)
			holders_parse(&c, out);
	} else {
		c.bad = true;
	}
	if (!c.bad && c.at != c.end)
		c.bad = true, c.field = "end of line";
	if (c.bad)
		return errbuf_set(eb, -EINVAL, "reply '%.*s': bad or missing %s (expected wait, "
				  "exit, map J M A B or reduce J R A B H:S,...)",
				  (int)(size < 60 ? size : 60), line, c.field);
	return 0;
}

int mr_wire_assignment_format(const struct mr_wire_assignment *in, char *buf, size_t size)
{
	const struct mr_assignment *a = &in->a;
	size_t used = 0;

	if (a->reply != MR_REPLY_TASK)
		put(buf, size, &used, "%s", a->reply == MR_REPLY_WAIT ? "wait" : "exit");
	else
		put(buf, size, &used, "%s %" PRIu64 " %u %u %d", a->kind == MR_MAP ? "map" :
		    "reduce", in->job, a->index, a->attempt, a->backup ? 1 : 0);
	for (uint32_t m = 0; a->reply == MR_REPLY_TASK && a->kind == MR_REDUCE && m < in->maps;
	     m++) {
		if (in->holders[m] == MR_WORKER_NONE)
			put(buf, size, &used, "%s-", m ? "," : " ");
		else
			put(buf, size, &used, "%s%u:%" PRIu64, m ? "," : " ", in->holders[m],
			    in->sizes[m]);
	}
	if (!put(buf, size, &used, "\n"))
		return -EMSGSIZE;
	return (int)used;
}

int mr_wire_get_parse(const char *line, size_t size, uint64_t *job, uint32_t *map,
		      uint32_t *reduce, struct errbuf *eb)
{
	struct cursor c = { line, line + size, "verb", false };
	const char *verb;
	size_t verb_size;

	if (!word(&c, &verb, &verb_size) || verb_size != 3 || memcmp(verb, "get", 3))
		c.bad = true;
	*job = number(&c, "job", UINT64_MAX);
	*map = (uint32_t)number(&c, "map", MR_MAPS_MAX - 1);
	*reduce = (uint32_t)number(&c, "reduce", MR_REDUCES_MAX - 1);
	if (c.bad || c.at != c.end)
		return errbuf_set(eb, -EINVAL, "'%.*s': expected get JOB MAP REDUCE",
				  (int)(size < 40 ? size : 40), line);
	return 0;
}
