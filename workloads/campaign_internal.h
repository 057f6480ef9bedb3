/* SPDX-License-Identifier: MIT */
/* campaign_internal.h - state shared by the campaign's threads; private to workloads/. */
#ifndef CAMPAIGN_INTERNAL_H
#define CAMPAIGN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "campaign.h"
#include "fault.h"
#include "prng.h"
#include "system.h"

struct capture;
struct cluster;
struct nemesis;

/*
 * Client ops form one sequence: op k is due at start + k / rate and its kind, node and value
 * come from (seed, k). Threads take numbers in order and record invocations in number order,
 * so the same seed gives the same sequence of ops whatever the thread timing. @end is the
 * first number that will never be recorded (UINT64_MAX while open).
 */
struct op_sequence {
	pthread_mutex_t lock;
	pthread_cond_t turn;
	uint64_t next_take, next_record, end;
};

enum { CAMPAIGN_NEMESIS_MEMBERS_MAX = 8 };

/*
 * Invariants: @writer is open from the first recorded op to the last; processes are handed
 * out by atomic increments of @next_process, so no number is used twice; the nemesis runs
 * only on the main thread, which owns the cluster (node restarts fork there).
 */
struct campaign {
	const struct campaign_opts *opts;
	struct campaign_report *report;
	struct cluster *cluster;
	struct nemesis *nemesis;        /* the composition of @members, or NULL */
	struct nemesis *members[CAMPAIGN_NEMESIS_MEMBERS_MAX];
	struct nemesis *clock;          /* the clock member, or NULL: node starts ask it */
	uint32_t member_count;
	struct schedule schedule;
	struct capture *capture;        /* NULL when not capturing */
	const char *delay_backend;      /* static text; NULL without delay or reorder */
	struct op_sequence sequence;
	struct system *sys;             /* the system under test: gen, db, clients, final reads */
	struct hist_writer *writer;
	struct prng prng;               /* the root generator; threads get split streams */
	int64_t start_ns;               /* monotonic start of the history */
	atomic_int_fast32_t next_process;
	atomic_uint_fast64_t ok, fail, info, nemesis_ops;
	atomic_uint active_faults;      /* NEM_F_* bits of the faults in force, for progress */
	atomic_bool clients_done;       /* tells the nemesis and progress threads to finish */
};

/* ---- campaign_control.c: what the other parts call down into -------------------------- */

/* campaign_start_node() - (re)start node @node as the campaign first did, under the clock
 * nemesis when there is one; its output goes to <run>/nodes/<name>.log. Main thread only. */
int campaign_start_node(struct campaign *cp, uint32_t node, struct errbuf *eb);

/* campaign_stopping() - a stop was asked for (campaign_stop()). */
bool campaign_stopping(void);

/* campaign_sleep_until() - sleep to the monotonic @deadline_ns, or until a stop request. */
void campaign_sleep_until(int64_t deadline_ns);

/* campaign_record() - append @op to the history (one write per line). */
int campaign_record(struct campaign *cp, struct op *op, struct errbuf *eb);

#endif /* CAMPAIGN_INTERNAL_H */
