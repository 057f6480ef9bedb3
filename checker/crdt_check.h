/* SPDX-License-Identifier: MIT */
/* crdt_check.h - private to checker/: the scanned CRDT history shared by the CRDT checks. */
#ifndef CRDT_CHECK_H
#define CRDT_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "checker.h"
#include "crdt_model.h"
#include "hist.h"
#include "chk_limits.h"

struct errbuf;

/* One ok final read. Sets are sorted and deduplicated copies, owned by the scan. */
struct crdt_final {
	const char *node;               /* NULL when the op named none */
	uint64_t invoke_index;
	uint64_t result_index;
	int64_t counter;                /* gcounter */
	int64_t *elements;              /* gset, orset */
	uint32_t element_count;
};

/* A node named by some client op, and what became of its final read. */
struct crdt_node {
	const char *name;
	bool final_invoked;             /* a final read was invoked against it */
	bool final_ok;                  /* ... and one completed ok */
	enum op_type final_outcome;     /* of the last final read invoked (OP_INFO if in flight) */
	uint64_t final_invoke_index;
};

/*
 * Invariants: adds/removes/reads hold invocation indices in increasing order, restricted to
 * client ops of that f; reads only those that completed ok (their value is a valid value for
 * the model); every add and remove value is an integer (>= 0 for gcounter); finals are the
 * ok final reads in index order; node_count <= CHK_NODES_MAX.
 */
struct crdt_scan {
	const struct history *h;
	enum crdt_model model;
	uint64_t memory_bytes_max;
	uint64_t *adds, *removes, *reads;
	uint64_t add_count, remove_count, read_count;
	struct crdt_final *finals;
	uint32_t final_count;
	struct crdt_node nodes[CHK_NODES_MAX];
	uint32_t node_count;
};

/* The invocation's completion index, HIST_NO_PAIR while in flight. */
static inline uint64_t crdt_result_index(const struct history *h, uint64_t invoke_index)
{
	return hist_pair(h, invoke_index);
}

/* The outcome of an invocation; in flight at the end counts as info (it may have happened). */
static inline enum op_type crdt_outcome(const struct history *h, uint64_t invoke_index)
{
	uint64_t r = hist_pair(h, invoke_index);

	return r == HIST_NO_PAIR ? OP_INFO : h->ops[r].type;
}

/* The node an invocation was sent to: named on the invocation, else on its completion. */
static inline const char *crdt_op_node(const struct history *h, uint64_t invoke_index)
{
	uint64_t r = hist_pair(h, invoke_index);

	if (op_node(&h->ops[invoke_index]) || r == HIST_NO_PAIR)
		return op_node(&h->ops[invoke_index]);
	return op_node(&h->ops[r]);
}

static inline const char *crdt_node_name(const char *node)
{
	return node ? node : "(no node)";
}

/* convergence.c */
int crdt_finals_build(struct crdt_scan *scan, struct errbuf *eb);
void crdt_finals_free(struct crdt_scan *scan);
void crdt_convergence_check(const struct crdt_scan *scan, struct check_result *result);
bool crdt_final_has(const struct crdt_final *final, int64_t element);

/* crdt_gcounter.c */
int crdt_gcounter_check(const struct crdt_scan *scan, struct check_result *result,
			struct errbuf *eb);

/* crdt_set.c (G-Set and OR-Set) */
int crdt_set_check(const struct crdt_scan *scan, struct check_result *result,
		   struct errbuf *eb);

#endif /* CRDT_CHECK_H */
