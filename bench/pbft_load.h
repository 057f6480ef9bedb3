/* SPDX-License-Identifier: MIT */
/* pbft_load.h - bench-pbft's load: closed-loop clients sending sealed KV requests from one
 * UDP socket to a PBFT cluster or an unreplicated pbft-node, and what they measured. */
#ifndef PBFT_LOAD_H
#define PBFT_LOAD_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "errbuf.h"
#include "pbft_limits.h"
#include "pbft_wire.h"

enum {
	LOAD_REPLICAS_MAX = 4,
	LOAD_KEYS = 32,                 /* requests pick a key uniformly */
	LOAD_RETRANSMIT_MS = 200,       /* an op without its replies is resent to every replica */
	LOAD_HIST_BUCKETS = 1000000,    /* 1 us each; the last one holds everything >= 1 s */
};

/*
 * Where a target's replicas are, the pair keys of every client with each, and what the
 * clients learned: the view (pbft_replies_view() of the last accepted op's replies) and which
 * clients every replica has heard from (so replies find them when a write goes to the
 * primary alone).
 */
struct load_target {
	const char *name;
	uint32_t n, f;                  /* n = 1: unreplicated */
	bool fast;                      /* reads as READ-ONLY; 2f+1 matching replies */
	uint64_t view;
	uint64_t announced;             /* bit c: client c's address is known to all */
	struct sockaddr_in addrs[LOAD_REPLICAS_MAX];
	struct pbft_mac_key send_keys[PBFT_CLIENTS_MAX][LOAD_REPLICAS_MAX];     /* key(n + c, j) */
	struct pbft_mac_key recv_keys[PBFT_CLIENTS_MAX][LOAD_REPLICAS_MAX];     /* key(j, n + c) */
};

/* What a target did at a client count, summed over every load_run() on it. */
struct load_phase {
	struct load_target *t;
	uint32_t clients;               /* 1..PBFT_CLIENTS_MAX */
	int64_t measured_ns;
	uint64_t ops, retransmits, reads;
	int64_t latency_sum_ns, read_latency_sum_ns;
	uint32_t *hist;                 /* LOAD_HIST_BUCKETS latencies, in us */
};

struct load;

/* load_new() - the load's socket (bound in the caller's namespace) and buffers. */
int load_new(struct load **out, struct errbuf *eb);
void load_free(struct load *l);

/* load_target_init() - @t for @n replicas at @addrs (port @port) of cluster @secret. */
void load_target_init(struct load_target *t, const char *name, const struct in_addr *addrs,
		      uint32_t n, uint16_t port, const uint8_t secret[PBFT_SECRET_BYTES]);

/* load_phase_init() - @p for @clients on @t. Return: 0, or -ENOMEM. */
int load_phase_init(struct load_phase *p, struct load_target *t, uint32_t clients);
void load_phase_free(struct load_phase *p);

/**
 * load_run() - @p's clients in a closed loop: @warmup_ns unmeasured, then ops invoked for
 * @measure_ns are measured; those still out then complete (and count) or, after a drain
 * period, are abandoned. Each write goes to the primary alone once every replica has heard
 * from its client; reads on the fast path go as READ-ONLY to all; resends go to all.
 * Return: 0, or -EINTR once *@stopping.
 */
int load_run(struct load *l, struct load_phase *p, int64_t warmup_ns, int64_t measure_ns,
	     const volatile sig_atomic_t *stopping);

/* load_percentile_us() - the latency at or below which @q of @p's ops completed. */
double load_percentile_us(const struct load_phase *p, double q);

#endif /* PBFT_LOAD_H */
