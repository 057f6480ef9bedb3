/* SPDX-License-Identifier: MIT */
/* stream_task_checkpoint.c - an operator's checkpoint: its inputs' offsets at the aligned
 * barriers, the window operator's snapshot, the output not yet acked; and the start count. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "durable_file.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "stream_task_internal.h"

/*
 * Layout, little-endian: magic u32, level u64, acked u64, next_seq u64, end_emitted u8,
 * inputs u32 and per input offset u64, barrier u64 and logged idle u8; the operator's
 * snapshot (length u32, bytes); the outbox from acked to next_seq (STREAM_WIRE_EMIT_BYTES
 * each); CRC-32 u32 of all before it.
 */
#define CHECKPOINT_MAGIC 0x324b5453u    /* "STK2" */

enum { CHECKPOINT_HEADER_BYTES = 4 + 3 * 8 + 1 + 4, CHECKPOINT_INPUT_BYTES = 17 };

size_t task_checkpoint_bytes_max(const struct task *t)
{
	return CHECKPOINT_HEADER_BYTES + STREAM_JOB_SOURCES_MAX * CHECKPOINT_INPUT_BYTES + 4 +
	       stream_operator_snapshot_size_max(t->op) +
	       (size_t)TASK_OUTBOX_MAX * STREAM_WIRE_EMIT_BYTES + 4;
}

int task_checkpoint_encode(struct task *t, const uint64_t *offsets)
{
	size_t max = task_checkpoint_bytes_max(t);
	struct codec_writer w;
	ssize_t snap;

	if (t->checkpoint_capacity < max) {
		uint8_t *grown = realloc(t->checkpoint, max);

		if (!grown)
			return -ENOMEM;
		t->checkpoint = grown;
		t->checkpoint_capacity = max;
	}
	w = codec_writer_of(t->checkpoint, max);
	codec_write_le(&w, CHECKPOINT_MAGIC, 4);
	codec_write_le(&w, t->level, 8);
	codec_write_le(&w, t->acked, 8);
	codec_write_le(&w, t->next_seq, 8);
	codec_write_le(&w, t->end_emitted, 1);
	codec_write_le(&w, t->job->sources, 4);
	for (uint32_t i = 0; i < t->job->sources; i++) {
		codec_write_le(&w, offsets[i], 8);
		codec_write_le(&w, t->inputs[i].barrier, 8);
		codec_write_le(&w, t->inputs[i].logged_idle, 1);
	}
	snap = stream_operator_snapshot(t->op, t->checkpoint + w.used + 4, max - w.used - 4);
	ASSERT(snap > 0);
	codec_write_le(&w, (uint64_t)snap, 4);
	w.used += (size_t)snap;
	for (uint64_t seq = t->acked; seq < t->next_seq; seq++)
		stream_wire_put_emit(&w, &t->outbox[seq % TASK_OUTBOX_MAX]);
	codec_write_le(&w, codec_crc32(t->checkpoint, w.used), 4);
	ASSERT(!w.overflow);
	t->checkpoint_size = w.used;
	return 0;
}

/* The outbox from the checkpoint: its seqs kept under exactly-once (the sink stores each
 * once), numbered from 0 for this incarnation under at-least-once. */
static void outbox_restore(struct task *t, struct codec_reader *r, uint64_t acked,
			   uint64_t next_seq)
{
	uint64_t base = t->job->at_least_once ? 0 : acked;

	for (uint64_t seq = acked; seq < next_seq && !r->bad; seq++)
		stream_wire_get_emit(r, &t->outbox[(seq - acked + base) % TASK_OUTBOX_MAX]);
	t->acked = base;
	t->next_seq = t->released = base + (next_seq - acked);
}

int task_checkpoint_restore(struct task *t, const uint8_t *bytes, size_t size,
			    struct errbuf *eb)
{
	struct codec_reader r = codec_reader_of(bytes, size >= 4 ? size - 4 : 0);
	uint64_t level, acked, next_seq, snap;
	bool end_emitted;
	int err;

	if (size < CHECKPOINT_HEADER_BYTES + 4 ||
	    codec_crc32(bytes, size - 4) != (uint32_t)codec_get_le(bytes + size - 4, 4))
		return errbuf_set(eb, -EBADMSG, "checkpoint: bad length or CRC");
	codec_read_check(&r, codec_read_le(&r, 4, "magic") == CHECKPOINT_MAGIC, "magic");
	level = codec_read_le(&r, 8, "level");
	acked = codec_read_le(&r, 8, "acked");
	next_seq = codec_read_le(&r, 8, "next seq");
	codec_read_check(&r, acked <= next_seq && next_seq - acked <= TASK_OUTBOX_MAX, "outbox");
	end_emitted = codec_read_le(&r, 1, "end emitted") != 0;
	codec_read_check(&r, codec_read_le(&r, 4, "inputs") == t->job->sources, "inputs");
	for (uint32_t i = 0; i < t->job->sources && !r.bad; i++) {
		struct task_input *in = &t->inputs[i];

		in->offset = in->barrier_offset = codec_read_le(&r, 8, "offset");
		in->barrier = codec_read_le(&r, 8, "barrier");
		in->logged_idle = codec_read_le(&r, 1, "logged idle") != 0;
	}
	snap = codec_read_le(&r, 4, "snapshot length");
	codec_read_check(&r, snap <= r.size - r.used, "snapshot length");
	if (r.bad)
		return errbuf_set(eb, -EBADMSG, "checkpoint: bad %s", r.bad);
	err = stream_operator_restore(t->op, bytes + r.used, snap, eb);
	if (err < 0)
		return err == -EINVAL ? -EBADMSG : err;
	r.used += snap;
	outbox_restore(t, &r, acked, next_seq);
	codec_read_check(&r, r.used == r.size, "trailing bytes");
	if (r.bad)
		return errbuf_set(eb, -EBADMSG, "checkpoint: bad %s", r.bad);
	t->level = level;
	t->end_emitted = end_emitted;
	return 0;
}

int task_incarnation_next(const char *dir, uint32_t *out, struct errbuf *eb)
{
	char buf[32];
	struct durable_file f = { .dir_fd = -1 };
	ssize_t n;
	unsigned long long last = 0;
	int err = durable_file_open(&f, dir, "incarnation", buf, sizeof(buf) - 1, eb);

	n = err ? err : durable_file_read(&f, eb);
	if (n >= 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%llu", &last) != 1 || last >= UINT32_MAX - 1)
			err = errbuf_set(eb, -EBADMSG, "%s: expected a start count", f.path);
		else
			last++;
	} else if (n != -ENOENT) {
		err = (int)n;
	}
	if (err == 0) {
		*out = (uint32_t)last;
		n = snprintf(buf, sizeof(buf), "%llu\n", last);
		err = durable_file_write(&f, (size_t)n, eb);
	}
	durable_file_close(&f);
	return err;
}
