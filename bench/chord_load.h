/* SPDX-License-Identifier: MIT */
/* chord_load.h - bench-chord-nodes's lookups: a closed loop of "lookup TAG KEY" datagrams
 * from one UDP socket to random members of a chord_procs ring, and what came back. */
#ifndef CHORD_LOAD_H
#define CHORD_LOAD_H

#include <signal.h>
#include <stdint.h>

#include "chord.h"
#include "chord_procs.h"

struct prng;

enum {
	CLOAD_OUTSTANDING_MAX = 32,     /* as many as one node runs at once (CHORD_LOOKUPS_MAX) */
	CLOAD_HOPS_MAX = CHORD_BITS_MAX + CHORD_SUCC_MAX,       /* a lookup asks no more */
	CLOAD_TIMEOUT_MS = 3000,        /* a lookup unanswered so long is lost */
};

/*
 * One batch: sent = answered + lost; answered = ok + failed (a status other than ok, or an
 * error line); wrong counts the ok ones whose owner is not successor(key) over the
 * members. Hops are every answer's that carries them; latencies the ok ones'.
 */
struct cload_stats {
	uint32_t sent, answered, ok, wrong, failed, lost;
	uint64_t hops_sum;
	uint32_t hops[CLOAD_HOPS_MAX + 1];      /* by hop count */
	uint32_t *latency_us;           /* [lookups]: [0 .. ok) used */
	double seconds, cpu_s;          /* the batch's, and the nodes' CPU over it */
};

/*
 * cload_run() - @lookups of random keys (@prng) from random members of @c, @outstanding
 * (1 .. CLOAD_OUTSTANDING_MAX) in flight, over @fd (UDP, bound where it reaches the nodes).
 * Return: 0; -EINTR once *@stop is set; -ENOMEM. Free @st with cload_free() either way.
 */
int cload_run(struct cprocs *c, int fd, struct prng *prng, const volatile sig_atomic_t *stop,
	      uint32_t lookups, uint32_t outstanding, struct cload_stats *st);

void cload_free(struct cload_stats *st);

double cload_hops_mean(const struct cload_stats *st);

/* cload_hops_quantile() - the smallest hop count at least @q of the answers did not pass. */
uint32_t cload_hops_quantile(const struct cload_stats *st, double q);

/* cload_latency_quantile() - the ok answers' latency at @q (1.0: the max), in µs. Sorts. */
uint32_t cload_latency_quantile(struct cload_stats *st, double q);

#endif /* CHORD_LOAD_H */
