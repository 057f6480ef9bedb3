/* SPDX-License-Identifier: MIT */
/* pbft_sim.h - an in-process deterministic network for PBFT replicas and clients: one seed
 * decides delivery order, drops and duplicates; ticks drive timeouts. It checks agreement,
 * total order, checkpoint digests and integrity from the replicas' evidence events. */
#ifndef PBFT_SIM_H
#define PBFT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pbft.h"

enum {
	SIM_PACKETS_MAX = 1 << 16,      /* in flight; more are dropped and counted */
	SIM_CLIENTS_MAX = 16,
	SIM_REQUESTS_MAX = 256,         /* per client */
	SIM_SEQS_MAX = 8192,            /* evidence table size */
	SIM_EXEC_MAX = SIM_CLIENTS_MAX * SIM_REQUESTS_MAX * 2 + 2 * SIM_SEQS_MAX,
	SIM_CLIENT_TIMEOUT_TICKS = 40,
};

/* Return true to drop the message from @from to @to (a replica id or n + client). */
typedef bool sim_filter_fn(uint32_t from, uint32_t to, const struct pbft_msg *m);

struct sim_opts {
	uint32_t f;
	uint64_t seed;
	uint32_t clients, requests;     /* requests per client */
	uint32_t keys;                  /* ops pick keys below this */
	double drop_p, dup_p;
	uint32_t byzantine[PBFT_REPLICAS_MAX];
	uint32_t bugs;                  /* for every replica */
	uint32_t batch_max, checkpoint_interval, window, view_timeout_ticks, retransmit_ticks;
	uint32_t deliveries_per_tick;
	sim_filter_fn *filter;
	bool run_all_ticks;             /* sim_run() goes on after every request completes */
	/* The fast path: replicas execute tentatively (pbft_config.tentative) and/or clients
	 * send reads as READ-ONLY (resent as REQUEST after a timeout). Either makes clients
	 * wait for 2f+1 matching replies. */
	bool tentative, read_only;
};

struct sim_report {
	uint32_t agreement, order, checkpoint, integrity;       /* violations */
	char first[256];                /* the first violation, for the failure message */
	uint32_t completed;             /* client requests with f+1 (2f+1) matching replies */
	uint32_t results;               /* accepted results that the committed order does not
					 * give (sim_check_results()) */
	uint32_t wrong_replies;         /* replies that differed from the accepted result */
	uint32_t state_transfers;       /* by correct replicas */
	uint64_t delivered, dropped;
};

struct sim;

/* sim_defaults() - n = 3f+1, light reordering, no faults. */
void sim_defaults(struct sim_opts *o, uint32_t f, uint64_t seed);

struct sim *sim_new(const struct sim_opts *o);
void sim_free(struct sim *s);

/* sim_run() - until every client request completes or @ticks pass. Return: all done. */
bool sim_run(struct sim *s, uint32_t ticks);

/* sim_settle() - @ticks more, whether or not every request completed. */
void sim_settle(struct sim *s, uint32_t ticks);

/* sim_report() - the violations found so far (checks the execution logs pairwise). */
const struct sim_report *sim_report(struct sim *s);

/* sim_replica() - the replica @i, to read its status. */
struct pbft_replica *sim_replica(struct sim *s, uint32_t i);

/* sim_inject() - deliver raw @bytes to replica @to as they are. */
void sim_inject(struct sim *s, uint32_t to, const uint8_t *bytes, size_t size);

/*
 * sim_check_results() - replay the committed order (the longest execution log of a correct
 * replica without a state transfer) on a fresh KV store: every accepted result of a request
 * in it must be the replayed one, and every accepted request must be in it (counted in
 * results; the first named in first; run sim_settle() first so the last ones commit). With
 * read_only, reads are not checked here (their replies may mix READ-ONLY answers).
 * Return: the requests compared.
 */
uint32_t sim_check_results(struct sim *s);

/* sim_view_0_commits_only_to_2() - a filter: in view 0 every replica prepares, but only
 * replica 2 receives commits (so only it commits and executes); later views are untouched. */
bool sim_view_0_commits_only_to_2(uint32_t from, uint32_t to, const struct pbft_msg *m);

/* sim_correct() - replica @i has no Byzantine mode. */
bool sim_correct(const struct sim *s, uint32_t i);

/* sim_set_down() - crash (@down) or revive replica @i: while down it gets no ticks and
 * every message from or to it is dropped. */
void sim_set_down(struct sim *s, uint32_t i, bool down);

/* sim_replace() - replica @i restarts empty: a fresh pbft_replica_new() (view 0, nothing
 * executed), up. Its execution log goes on (a state transfer marks the jump). */
void sim_replace(struct sim *s, uint32_t i);

/* sim_restart() - replica @i restarts from its promises (pbft_replica_promises(), taken
 * now, as pbft-node keeps them before every message that carries them), up. */
void sim_restart(struct sim *s, uint32_t i);

/* sim_more_requests() - every client issues @requests more (the finished ones start now). */
void sim_more_requests(struct sim *s, uint32_t requests);

/* sim_seal() - @m encoded and sealed from principal @from to principal @to into @buf, as
 * a peer with the right key would. Return: the sealed size. */
ssize_t sim_seal(const struct sim *s, uint32_t from, uint32_t to, const struct pbft_msg *m,
		 uint8_t *buf, size_t size);

#endif /* PBFT_SIM_H */
