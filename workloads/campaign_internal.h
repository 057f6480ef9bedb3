/* SPDX-License-Identifier: MIT */
/* campaign_internal.h - state shared by the campaign's threads; private to workloads/. */
#ifndef CAMPAIGN_INTERNAL_H
#define CAMPAIGN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "campaign.h"
#include "crdt_db.h"
#include "crdt_gen.h"
#include "prng.h"

struct cluster;
struct nemesis;

/*
 * Invariants: @writer is open from the first recorded op to the last; processes are handed
 * out by atomic increments of @next_process, so no number is used twice; @fault_name is
 * written only by the nemesis thread.
 */
struct campaign {
	const struct campaign_opts *opts;
	struct campaign_report *report;
	struct cluster *cluster;
	struct nemesis *nemesis;
	struct crdt_db db;
	struct crdt_gen gen;
	struct hist_writer *writer;
	struct prng prng;               /* the root generator; threads get split streams */
	int64_t start_ns;               /* monotonic start of the history */
	atomic_int_fast32_t next_process;
	atomic_uint_fast64_t ok, fail, info, nemesis_ops;
	_Atomic(const char *) fault_name; /* current fault for the progress line, "none" */
	atomic_bool clients_done;       /* tells the nemesis and progress threads to finish */
	char object[16];                /* the object every client works on */
};

/* campaign_clients.c */
int campaign_clients_run(struct campaign *cp, struct errbuf *eb);
int campaign_wait_ready(struct campaign *cp, struct errbuf *eb);
int campaign_final_reads(struct campaign *cp, struct errbuf *eb);

/* campaign_nemesis.c */
int campaign_nemesis_start(struct campaign *cp, pthread_t *thread, struct errbuf *eb);
int campaign_nemesis_finish(struct campaign *cp, pthread_t thread, struct errbuf *eb);

/* campaign_config.c */
int campaign_config_write(const struct campaign *cp, const char *run_id, struct errbuf *eb);
void campaign_print_reproduce(const struct campaign_opts *opts, FILE *out);

/* campaign.c */
bool campaign_stopping(void);
int campaign_record(struct campaign *cp, struct op *op, struct errbuf *eb);

#endif /* CAMPAIGN_INTERNAL_H */
