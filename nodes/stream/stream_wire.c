/* SPDX-License-Identifier: MIT */
/* stream_wire.c - log lines and datagrams of stream-node, every field checked on the way in. */
#include "stream_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"

size_t stream_record_line(const struct stream_record *r, char buf[STREAM_WIRE_LINE_BYTES_MAX])
{
	int n;

	switch (r->kind) {
	case STREAM_RECORD_EVENT:
		n = snprintf(buf, STREAM_WIRE_LINE_BYTES_MAX, "e %" PRIu64 " %" PRIu64 " %" PRId64
			     " %" PRId64 "\n", r->id, r->key, r->time_ms, r->value);
		break;
	case STREAM_RECORD_WATERMARK:
		n = snprintf(buf, STREAM_WIRE_LINE_BYTES_MAX, "w %" PRId64 "\n", r->time_ms);
		break;
	case STREAM_RECORD_BARRIER:
		n = snprintf(buf, STREAM_WIRE_LINE_BYTES_MAX, "b %" PRIu64 "\n", r->id);
		break;
	case STREAM_RECORD_IDLE:
		n = snprintf(buf, STREAM_WIRE_LINE_BYTES_MAX, "i\n");
		break;
	case STREAM_RECORD_ACTIVE:
		n = snprintf(buf, STREAM_WIRE_LINE_BYTES_MAX, "a\n");
		break;
	case STREAM_RECORD_END:
		n = snprintf(buf, STREAM_WIRE_LINE_BYTES_MAX, "x\n");
		break;
	default:
		ASSERT(0 && "a record kind");
		return 0;
	}
	ASSERT(n > 0 && n < STREAM_WIRE_LINE_BYTES_MAX);
	return (size_t)n;
}

/* The next space-separated decimal of @p; false when there is none or it is malformed. */
static bool next_number(const char **p, const char *end, bool is_signed, uint64_t *out)
{
	char text[24];
	const char *q = *p;
	size_t n = 0;
	char *stop;

	if (q >= end || *q != ' ')
		return false;
	q++;
	while (q + n < end && q[n] != ' ' && n < sizeof(text) - 1)
		n++;
	if (n == 0 || (q + n < end && q[n] != ' '))
		return false;
	memcpy(text, q, n);
	text[n] = '\0';
	errno = 0;
	if (is_signed)
		*out = (uint64_t)strtoll(text, &stop, 10);
	else
		*out = strtoull(text, &stop, 10);
	if (errno || *stop || (!is_signed && text[0] == '-'))
		return false;
	*p = q + n;
	return true;
}

int stream_record_parse(const char *line, size_t size, struct stream_record *out)
{
	const char *p = line + 1, *end = line + size;
	uint64_t a = 0, b = 0, c = 0, d = 0;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (size == 0)
		return -EBADMSG;
	switch (line[0]) {
	case 'e':
		out->kind = STREAM_RECORD_EVENT;
		ok = next_number(&p, end, false, &a) && next_number(&p, end, false, &b) &&
		     next_number(&p, end, true, &c) && next_number(&p, end, true, &d);
		out->id = a, out->key = b, out->time_ms = (int64_t)c, out->value = (int64_t)d;
		break;
	case 'w':
		out->kind = STREAM_RECORD_WATERMARK;
		ok = next_number(&p, end, true, &c);
		out->time_ms = (int64_t)c;
		break;
	case 'b':
		out->kind = STREAM_RECORD_BARRIER;
		ok = next_number(&p, end, false, &a);
		out->id = a;
		break;
	case 'i':
	case 'a':
	case 'x':
		out->kind = line[0] == 'i' ? STREAM_RECORD_IDLE
			    : line[0] == 'a' ? STREAM_RECORD_ACTIVE : STREAM_RECORD_END;
		ok = true;
		break;
	default:
		ok = false;
	}
	return ok && p == end ? 0 : -EBADMSG;
}

static void encode_record(struct codec_writer *w, const struct stream_record *r)
{
	codec_write_le(w, (uint64_t)r->kind, 1);
	codec_write_le(w, r->offset, 8);
	codec_write_le(w, r->id, 8);
	codec_write_le(w, r->key, 8);
	codec_write_le(w, (uint64_t)r->time_ms, 8);
	codec_write_le(w, (uint64_t)r->value, 8);
}

void stream_wire_put_emit(struct codec_writer *w, const struct stream_emit *e)
{
	codec_write_le(w, (uint64_t)e->kind, 1);
	codec_write_le(w, e->key, 8);
	codec_write_le(w, (uint64_t)e->window_start_ms, 8);
	codec_write_le(w, (uint64_t)e->window_end_ms, 8);
	codec_write_le(w, (uint64_t)e->value, 8);
	codec_write_le(w, (uint64_t)e->timing, 1);
	codec_write_le(w, e->pane_index, 8);
	codec_write_le(w, (uint64_t)e->watermark_ms, 8);
	codec_write_le(w, e->event_id, 8);
	codec_write_le(w, (uint64_t)e->time_ms, 8);
}

size_t stream_msg_encode(const struct stream_msg *m, uint8_t buf[STREAM_WIRE_DATAGRAM_BYTES_MAX])
{
	struct codec_writer w = codec_writer_of(buf, STREAM_WIRE_DATAGRAM_BYTES_MAX);

	codec_write_le(&w, (uint64_t)m->type, 1);
	codec_write_le(&w, m->node, 4);
	switch (m->type) {
	case STREAM_MSG_PULL:
		codec_write_le(&w, m->operators, 4);
		codec_write_le(&w, m->from, 8);
		codec_write_le(&w, m->want_barrier, 8);
		break;
	case STREAM_MSG_RECORDS:
		ASSERT(m->count <= STREAM_WIRE_RECORDS_MAX);
		codec_write_le(&w, m->from, 8);
		codec_write_le(&w, m->next, 8);
		codec_write_le(&w, m->data_end, 8);
		codec_write_le(&w, m->count, 2);
		for (uint32_t i = 0; i < m->count; i++)
			encode_record(&w, &m->records[i]);
		break;
	case STREAM_MSG_OUT:
		ASSERT(m->count <= STREAM_WIRE_EMITS_MAX);
		codec_write_le(&w, m->incarnation, 4);
		codec_write_le(&w, m->from, 8);
		codec_write_le(&w, m->count, 2);
		for (uint32_t i = 0; i < m->count; i++)
			stream_wire_put_emit(&w, &m->emits[i]);
		break;
	case STREAM_MSG_ACK:
		codec_write_le(&w, m->incarnation, 4);
		codec_write_le(&w, m->next, 8);
		break;
	}
	ASSERT(!w.overflow);
	return w.used;
}

static void decode_record(struct codec_reader *r, struct stream_record *rec)
{
	uint64_t kind = codec_read_le(r, 1, "record kind");

	codec_read_check(r, kind >= STREAM_RECORD_EVENT && kind <= STREAM_RECORD_END,
			 "record kind");
	rec->kind = (enum stream_record_kind)kind;
	rec->offset = codec_read_le(r, 8, "record offset");
	rec->id = codec_read_le(r, 8, "record id");
	rec->key = codec_read_le(r, 8, "record key");
	rec->time_ms = (int64_t)codec_read_le(r, 8, "record time");
	rec->value = (int64_t)codec_read_le(r, 8, "record value");
	codec_read_check(r, rec->kind != STREAM_RECORD_EVENT ||
			 stream_window_time_valid(rec->time_ms), "event time");
}

void stream_wire_get_emit(struct codec_reader *r, struct stream_emit *e)
{
	uint64_t kind = codec_read_le(r, 1, "emit kind"), timing;

	codec_read_check(r, kind >= STREAM_EMIT_PANE && kind <= STREAM_EMIT_END, "emit kind");
	e->kind = (enum stream_emit_kind)kind;
	e->key = codec_read_le(r, 8, "emit key");
	e->window_start_ms = (int64_t)codec_read_le(r, 8, "window start");
	e->window_end_ms = (int64_t)codec_read_le(r, 8, "window end");
	e->value = (int64_t)codec_read_le(r, 8, "pane value");
	timing = codec_read_le(r, 1, "pane timing");
	codec_read_check(r, kind != STREAM_EMIT_PANE || timing == STREAM_PANE_ON_TIME ||
			 timing == STREAM_PANE_LATE, "pane timing");
	e->timing = (enum stream_pane_timing)timing;
	e->pane_index = codec_read_le(r, 8, "pane index");
	e->watermark_ms = (int64_t)codec_read_le(r, 8, "pane watermark");
	e->event_id = codec_read_le(r, 8, "late event id");
	e->time_ms = (int64_t)codec_read_le(r, 8, "late event time");
}

int stream_msg_decode(const uint8_t *bytes, size_t size, struct stream_msg *m,
		      struct errbuf *eb)
{
	struct codec_reader r = codec_reader_of(bytes, size);
	uint64_t type = codec_read_le(&r, 1, "type");

	m->type = (enum stream_msg_type)type;
	m->node = (uint32_t)codec_read_le(&r, 4, "node");
	m->count = 0;
	switch (type) {
	case STREAM_MSG_PULL:
		m->operators = (uint32_t)codec_read_le(&r, 4, "operators");
		m->from = codec_read_le(&r, 8, "from");
		m->want_barrier = codec_read_le(&r, 8, "want barrier");
		break;
	case STREAM_MSG_RECORDS:
		m->from = codec_read_le(&r, 8, "from");
		m->next = codec_read_le(&r, 8, "next");
		m->data_end = codec_read_le(&r, 8, "data end");
		m->count = (uint32_t)codec_read_le(&r, 2, "count");
		codec_read_check(&r, m->count <= STREAM_WIRE_RECORDS_MAX && m->next >= m->from,
				 "count");
		for (uint32_t i = 0; i < m->count && !r.bad; i++)
			decode_record(&r, &m->records[i]);
		break;
	case STREAM_MSG_OUT:
		m->incarnation = (uint32_t)codec_read_le(&r, 4, "incarnation");
		m->from = codec_read_le(&r, 8, "first seq");
		m->count = (uint32_t)codec_read_le(&r, 2, "count");
		codec_read_check(&r, m->count <= STREAM_WIRE_EMITS_MAX, "count");
		for (uint32_t i = 0; i < m->count && !r.bad; i++)
			stream_wire_get_emit(&r, &m->emits[i]);
		break;
	case STREAM_MSG_ACK:
		m->incarnation = (uint32_t)codec_read_le(&r, 4, "incarnation");
		m->next = codec_read_le(&r, 8, "next seq");
		break;
	default:
		codec_read_check(&r, false, "type");
	}
	codec_read_check(&r, r.used == size, "trailing bytes");
	if (r.bad)
		return errbuf_set(eb, -EBADMSG, "bad %s", r.bad);
	return 0;
}

uint32_t stream_key_partition(uint64_t key, uint32_t operators)
{
	ASSERT(operators >= 1);
	return (uint32_t)(codec_fnv1a(CODEC_FNV1A_BASIS, &key, sizeof(key)) % operators);
}
