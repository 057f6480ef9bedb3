/* SPDX-License-Identifier: MIT */
/* stream_task_internal.h - a window operator node's state, shared by stream_task.c (pulls,
 * steps, output) and stream_task_checkpoint.c (checkpoints and restore). */
#ifndef STREAM_TASK_INTERNAL_H
#define STREAM_TASK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "replica_args.h"
#include "stream_job.h"
#include "stream_operator.h"
#include "stream_wire.h"

struct errbuf;

enum {
	TASK_PANE_ENTRIES_MAX = 1 << 15,
	TASK_WINDOW_ENTRIES_MAX = 1 << 14,
	TASK_OUTBOX_MAX = 1 << 17,              /* emitted records not yet acked by the sink */
	TASK_OUT_DATAGRAMS_PER_TICK = 16,
};

/* One upstream source, as this operator reads its partition log. */
struct task_input {
	uint64_t offset;                /* the next log record to read */
	uint64_t barrier;               /* the last barrier read; 0: none */
	uint64_t barrier_offset;        /* the record after that barrier */
	bool blocked;                   /* aligned: past a barrier the others have not reached */
	bool logged_idle;               /* its last idle or active record said idle */
	bool idle;                      /* what the operator is told: logged idle, and nothing
					 * but barriers left to read (data_end) */
	uint64_t data_end;              /* the source's last word on it; UINT64_MAX: none yet */
	bool pulling;                   /* a pull is out */
	int64_t pull_sent_ns;
};

/*
 * Invariants: acked <= released <= next_seq; next_seq - acked <= TASK_OUTBOX_MAX (the ring
 * holds seqs acked .. next_seq - 1 at index seq % TASK_OUTBOX_MAX); released == next_seq
 * under at-least-once; level is the last checkpoint's barrier (0: none).
 */
struct task {
	const struct replica_args *args;
	const struct stream_job *job;
	uint32_t index;                 /* the operator's number, 0 .. operators - 1 */
	uint32_t incarnation;           /* starts of this operator so far, from 0 */
	struct stream_operator *op;
	struct stream_outputs outs;
	struct task_input inputs[STREAM_JOB_SOURCES_MAX];
	uint64_t level;
	int64_t watermark_ms;           /* the operator's, INT64_MIN: none yet */
	bool end_emitted;
	struct stream_emit *outbox;     /* the ring */
	uint64_t acked, released, next_seq;
	uint8_t *checkpoint;            /* the last checkpoint's bytes, what a save writes */
	size_t checkpoint_size, checkpoint_capacity;
	int evidence_fd;
	int64_t next_tick_ns;
	uint64_t steps_refused;         /* events the operator's bounds refused (retried) */
	uint8_t datagram[STREAM_WIRE_DATAGRAM_BYTES_MAX];
	struct stream_msg msg;          /* the datagram received */
	struct stream_msg out_msg;      /* the datagram to send */
};

/* task_evidence() - one line of evidence.jsonl (printf format without the incarnation). */
void task_evidence(struct task *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* task_checkpoint_encode() - the operator's state, inputs at @offsets, the outbox not yet
 * acked and the counters, into t->checkpoint. Return: 0 or -ENOMEM. */
int task_checkpoint_encode(struct task *t, const uint64_t *offsets);

/* task_checkpoint_restore() - @bytes (a state file) back into @t. Return: 0; -EBADMSG. */
int task_checkpoint_restore(struct task *t, const uint8_t *bytes, size_t size,
			    struct errbuf *eb);

/* task_checkpoint_bytes_max() - the largest checkpoint @t can write. */
size_t task_checkpoint_bytes_max(const struct task *t);

/* task_incarnation_next() - read DIR/incarnation, write it plus one, durably: this start's
 * number (0 the first time). Return: 0; -errno with @eb set. */
int task_incarnation_next(const char *dir, uint32_t *out, struct errbuf *eb);

#endif /* STREAM_TASK_INTERNAL_H */
