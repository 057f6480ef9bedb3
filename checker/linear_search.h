/* SPDX-License-Identifier: MIT */
/* linear_search.h - private to checker/: one key's linearizability search and what it found
 * (the verdict and, when invalid, the evidence linear_report.c explains). */
#ifndef LINEAR_SEARCH_H
#define LINEAR_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "linear_core.h"

enum {
	LINEAR_EVIDENCE_CALLS = 6,      /* last calls of the longest linearizable prefix kept */
	LINEAR_FRONTIER_STATES_MAX = 16, /* distinct states kept at the failure's frontier */
	LINEAR_FRONTIER_LEGAL_MAX = 4,   /* of those where the blocked call is legal */
};

/*
 * What one key's search found. On INVALID: the call that could not be linearized after the
 * longest linearizable prefix (prefix_count calls; the last few in prefix_tail, oldest
 * first), the model state after that prefix, and the frontier: the distinct model states
 * of every configuration the search explored that reached the blocked call's return (each
 * ok call returning before it linearized, the blocked one not) and in which the blocked
 * call was illegal. The first frontier_count found are kept, sorted by value id (the order
 * the values first appeared); frontier_total were found (more than kept past
 * LINEAR_FRONTIER_STATES_MAX; 0 when the frontier was not collected: unproduced, or no
 * memory left for it).
 * frontier_legal counts the distinct states of such configurations where the blocked call
 * was legal (only at a shallower depth: every way on from there failed later); the first
 * legal_count are kept in legal, sorted the same way.
 */
struct linear_outcome {
	enum verdict verdict;
	uint64_t steps;
	uint32_t blocked;                       /* call index within the key */
	uint32_t prefix_count;
	uint32_t prefix_tail[LINEAR_EVIDENCE_CALLS];
	uint32_t prefix_tail_count;
	uint32_t state;
	uint32_t frontier[LINEAR_FRONTIER_STATES_MAX];  /* value ids */
	uint32_t frontier_count;                /* <= LINEAR_FRONTIER_STATES_MAX */
	uint64_t frontier_total;                /* >= frontier_count */
	uint64_t frontier_legal;                /* distinct states there where it was legal */
	uint32_t legal[LINEAR_FRONTIER_LEGAL_MAX];      /* value ids */
	uint32_t legal_count;                   /* <= LINEAR_FRONTIER_LEGAL_MAX */
	const char *unknown_reason;             /* static text when UNKNOWN */
	bool out_of_steps;                      /* UNKNOWN for want of steps (not memory) */
	bool unproduced;                        /* INVALID before any search (linear_unproduced) */
	bool stale;                             /* INVALID before any search (linear_stale) */
	uint32_t witness;                       /* stale: the write that overwrote the value */
};

/**
 * linear_search() - is the sequence @calls (@count calls of one key, in invocation order)
 * linearizable? @events lists 2 * @count entries in real-time order: call c's invocation
 * as 2c, its return as 2c + 1. @memory_bytes_max bounds the search's cache and stack.
 * On INVALID the frontier is collected from the cache after the search (no cost while it
 * runs, one pass over the cached configurations once it has failed).
 * Return: 0 with @out filled (UNKNOWN past steps_max or the memory budget); -ENOMEM.
 */
int linear_search(struct linear_model_state *ms, const struct linear_call *calls,
		  uint32_t count, const uint32_t *events, uint64_t steps_max,
		  uint64_t memory_bytes_max, struct linear_outcome *out);

#endif /* LINEAR_SEARCH_H */
