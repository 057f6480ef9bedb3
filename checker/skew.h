/* SPDX-License-Identifier: MIT */
/* skew.h - the clock offsets a history shows per node over time, and the clock faults asked. */
#ifndef SKEW_H
#define SKEW_H

#include <stdint.h>
#include <stdio.h>

#include "chk_limits.h"

struct errbuf;
struct history;
struct json_t;

#define SKEW_BUCKET_NS 1000000000ll     /* buckets of 1 s of campaign (op) time */

/*
 * One sample is an ok completion whose value is a JSON object with a "clock" object holding
 * integer "wall" (the node's clock when it served the op) and "host" (the harness's clock
 * when the reply arrived): offset = wall - host. The node read its clock somewhere between
 * the invocation and the reply, so the true offset lies in [offset, offset + latency],
 * where latency = completion time - invocation time: the sample's uncertainty.
 */
struct skew_bucket {
	int64_t start_ns;               /* campaign time, a multiple of SKEW_BUCKET_NS */
	int64_t offset_ns_min, offset_ns_max;
	uint32_t sample_count;          /* > 0 */
};

/* Invariants: buckets[] are in increasing start_ns order, bucket_count <=
 * CHK_SKEW_BUCKETS_MAX; samples past that bound are counted in samples_dropped (they still
 * count for the extreme). extreme_* describe the sample with the largest |offset| (the
 * first such), valid when sample_count > 0. */
struct skew_node {
	char *name;                     /* owned */
	uint64_t sample_count, samples_dropped;
	int64_t extreme_offset_ns;
	int64_t extreme_time_ns;        /* the completion's campaign time */
	int64_t extreme_uncertainty_ns;
	uint64_t extreme_index;         /* the completion's op index */
	struct skew_bucket *buckets;    /* owned */
	uint32_t bucket_count, bucket_capacity;
};

/* A nemesis clock op (process "nemesis", f bump/strobe/drift/reset), as invoked. */
struct skew_event {
	uint64_t index;                 /* of the invocation */
	int64_t time_ns;                /* of the invocation */
	char f[8];                      /* "bump", "strobe", "drift" or "reset" */
	struct json_t *value;           /* owned: the invocation's value (what was asked) */
	struct json_t *result;          /* owned: the completion's value; NULL if in flight */
};

/* Invariants: node_count <= CHK_NODES_MAX, event_count <= CHK_SKEW_EVENTS_MAX, the rest
 * counted in events_dropped; samples_unnamed counts samples whose op named no node, and
 * clocks_malformed "clock" objects without integer wall and host (both skipped). */
struct skew {
	struct skew_node nodes[CHK_NODES_MAX];
	uint32_t node_count;
	struct skew_event *events;      /* owned, CHK_SKEW_EVENTS_MAX slots */
	uint32_t event_count;
	uint64_t events_dropped, samples_unnamed, clocks_malformed;
};

/**
 * skew_summarize() - scan @h for clock samples and nemesis clock ops.
 * @out: receives a skew_new()'d summary, or NULL when the history has neither.
 * Return: 0; -ENOMEM; -E2BIG past CHK_NODES_MAX nodes (@eb says so). Reads only.
 */
int skew_summarize(const struct history *h, struct skew **out, struct errbuf *eb);

/* skew_free() - free a summary; NULL is allowed. */
void skew_free(struct skew *skew);

/**
 * skew_fprint() - a few human lines: per node "skew n2: max +250.1 ms at 6.2 s (±0.4 ms)",
 * then the clock ops asked. Return: 0 or -EIO.
 */
int skew_fprint(FILE *out, const struct skew *skew);

#endif /* SKEW_H */
