/* SPDX-License-Identifier: MIT */
/* stream_wire.h - what stream-nodes say: partition log records (a text line each on disk) and
 * the datagrams between sources, operators and the sink. */
#ifndef STREAM_WIRE_H
#define STREAM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stream_operator.h"

struct errbuf;

enum {
	STREAM_WIRE_DATAGRAM_BYTES_MAX = 1400,  /* below the links' MTU */
	STREAM_WIRE_RECORD_BYTES = 41,
	STREAM_WIRE_EMIT_BYTES = 66,
	STREAM_WIRE_RECORDS_HEADER_BYTES = 31,
	STREAM_WIRE_OUT_HEADER_BYTES = 19,
	/* Records of one RECORDS datagram, emitted records of one OUT datagram. */
	STREAM_WIRE_RECORDS_MAX = (STREAM_WIRE_DATAGRAM_BYTES_MAX -
				   STREAM_WIRE_RECORDS_HEADER_BYTES) / STREAM_WIRE_RECORD_BYTES,
	STREAM_WIRE_EMITS_MAX = (STREAM_WIRE_DATAGRAM_BYTES_MAX - STREAM_WIRE_OUT_HEADER_BYTES) /
				STREAM_WIRE_EMIT_BYTES,
	STREAM_WIRE_LINE_BYTES_MAX = 96,        /* a log line with its '\n' */
};

/* One record of a source's partition log; @offset is its index in the log. */
enum stream_record_kind {
	STREAM_RECORD_EVENT = 1,        /* id, key, time_ms, value */
	STREAM_RECORD_WATERMARK,        /* time_ms: no later event of this source is older
					 * than this, by the declared bound */
	STREAM_RECORD_IDLE,             /* the source has had no event for the idle timeout */
	STREAM_RECORD_ACTIVE,           /* ... and has one again (the event follows) */
	STREAM_RECORD_BARRIER,          /* id: the barrier's number, increasing in a log */
	STREAM_RECORD_END,              /* end of input: the watermark is +infinity */
};

struct stream_record {
	enum stream_record_kind kind;
	uint64_t offset;
	uint64_t id, key;
	int64_t time_ms, value;
};

/* stream_record_line() - @r as a log line "e ID KEY T V\n", "w T\n", "i\n", "a\n", "b N\n",
 * "x\n" (offset not written). Return: its length, < STREAM_WIRE_LINE_BYTES_MAX. */
size_t stream_record_line(const struct stream_record *r, char buf[STREAM_WIRE_LINE_BYTES_MAX]);

/* stream_record_parse() - one log line (@size bytes, without its '\n'); offset left 0.
 * Return: 0; -EBADMSG if it is not one of the lines above, with checked fields. */
int stream_record_parse(const char *line, size_t size, struct stream_record *out);

/* One record an operator emits to the sink (stream_output's PANE and LATE_EVENT, and END:
 * its watermark reached end of input). */
enum stream_emit_kind { STREAM_EMIT_PANE = 1, STREAM_EMIT_LATE, STREAM_EMIT_END };

struct stream_emit {
	enum stream_emit_kind kind;
	uint64_t key;
	int64_t window_start_ms, window_end_ms, value;
	enum stream_pane_timing timing;         /* PANE */
	uint64_t pane_index;                    /* PANE */
	int64_t watermark_ms;                   /* PANE: the operator's at emission */
	uint64_t event_id;                      /* LATE */
	int64_t time_ms;                        /* LATE */
};

struct codec_writer;
struct codec_reader;

/* stream_wire_put_emit(), stream_wire_get_emit() - one emitted record, STREAM_WIRE_EMIT_BYTES
 * (the get checks kind and timing: a bad one makes @r bad). */
void stream_wire_put_emit(struct codec_writer *w, const struct stream_emit *e);
void stream_wire_get_emit(struct codec_reader *r, struct stream_emit *e);

/* The datagrams, by their first byte. */
enum stream_msg_type {
	STREAM_MSG_PULL = 'P',          /* operator -> source: records from an offset */
	STREAM_MSG_RECORDS = 'R',       /* source -> operator */
	STREAM_MSG_OUT = 'O',           /* operator -> sink: emitted records from a seq */
	STREAM_MSG_ACK = 'A',           /* sink -> operator: every seq below next is stored */
};

struct stream_msg {
	enum stream_msg_type type;
	uint32_t node;                  /* PULL, OUT, ACK: the operator; RECORDS: the source */
	uint32_t operators;             /* PULL: W, to pick the operator's keys */
	uint32_t incarnation;           /* OUT, ACK */
	uint64_t from;                  /* PULL, RECORDS: a log offset; OUT: the first seq */
	uint64_t next;                  /* RECORDS: scan on from here; ACK: the next seq */
	uint64_t data_end;              /* RECORDS: one past the log's last record that is not
					 * a barrier (0: none): what there is still to read */
	uint64_t want_barrier;          /* PULL: the highest barrier the operator has seen */
	uint32_t count;                 /* RECORDS, OUT */
	struct stream_record records[STREAM_WIRE_RECORDS_MAX];  /* RECORDS */
	struct stream_emit emits[STREAM_WIRE_EMITS_MAX];        /* OUT */
};

/* stream_msg_encode() - @m into @buf. Return: its size (<= DATAGRAM_BYTES_MAX). */
size_t stream_msg_encode(const struct stream_msg *m, uint8_t buf[STREAM_WIRE_DATAGRAM_BYTES_MAX]);

/* stream_msg_decode() - a datagram (untrusted). Return: 0; -EBADMSG (@eb says the field). */
int stream_msg_decode(const uint8_t *bytes, size_t size, struct stream_msg *m,
		      struct errbuf *eb);

/* stream_key_partition() - the operator of @key among @operators (a hash, not key mod W). */
uint32_t stream_key_partition(uint64_t key, uint32_t operators);

#endif /* STREAM_WIRE_H */
