/* SPDX-License-Identifier: MIT */
/* chord_judge.h - what the chord checker knows of a run, shared by its parts: lookups
 * (chord_check.c), puts and gets (chord_kv_check.c). Private to checker/chord_*.c. */
#ifndef CHORD_JUDGE_H
#define CHORD_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "chord_final.h"
#include "chord_id.h"

struct check_result;
struct history;

enum {
	NODES_MAX = 256,
	DISTURBANCES_MAX = 4096,        /* fault intervals and nemesis ops judged against */
	STINTS_MAX = 4096,              /* membership intervals over all nodes */
	ANSWERED_MAX = 1 << 18,         /* ok lookups compared for `inconsistent`; more are not */
	PATH_MAX_IDS = 64,
	MIN_QUIET_FOR_ROUTING = 20,     /* quiet lookups before slow-routing is judged */
};

struct ring {
	struct chord_space space;
	uint32_t succ_list;
	int64_t settle_ns;
	int64_t stabilize_ns;           /* the nodes' stabilize period; 0 if not stated */
	uint32_t count;
	uint64_t ids[NODES_MAX];        /* sorted */
	char names[NODES_MAX][CHORD_FINAL_NAME_BYTES];  /* names[k] is the node of ids[k] */
	bool spare[NODES_MAX];          /* spare[k]: node k starts idle (config "chord_spares") */
};

/* Node @k may have been a member during [from, to]: from a join's invocation (or the start,
 * for the members the run starts with) to its removal's completion (or the end). */
struct stint {
	uint32_t k;
	int64_t from, to;
};

/* [from, to]: a fault in force, or one nemesis op (from == to). */
struct span {
	int64_t from, to;
	bool churn;                     /* a churn op (crash, leave, join): a membership change */
};

/* A node surely down: from its kill's completion to its restart's invocation (or the end). */
struct down {
	char node[16];
	int64_t from, to;
};

struct judge {
	const struct history *h;
	struct ring ring;
	uint32_t span_count;
	struct span spans[DISTURBANCES_MAX];
	bool spans_overflow;
	uint32_t down_count;
	struct down downs[DISTURBANCES_MAX];
	uint32_t stint_count;
	struct stint stints[STINTS_MAX];
	int64_t unknown_from;           /* membership unknown from here (a churn op failed) */
	uint64_t unknown_skipped;       /* lookups not judged for that */
	uint64_t quiet, churned, churned_wrong, hops_quiet_total;
	uint32_t hops_quiet[PATH_MAX_IDS + 1];  /* histogram */
	struct answered *answered;      /* ok lookups with an owner, for `inconsistent` */
	struct lookup_mark *marks;      /* judged lookups, exact or not, for liveness */
	uint32_t mark_count;            /* bounded by answered_max, as answered is */
	uint32_t answered_count, answered_max;
	uint64_t inconsistent, inconsistent_first[2];
};

/* An ok lookup's answer, kept to compare with the lookups of the same key beside it. */
struct answered {
	uint64_t key, owner_id;
	int64_t from, to;
	const char *origin;             /* the node asked, borrowed from the history */
	uint64_t ops[2];
};

/* A lookup judged against the membership at its completion @at: ok with successor(key)? */
struct lookup_mark {
	int64_t at;
	bool exact;
};

/* quiet() - no fault and no nemesis op within [@from - S, @to], and S past the start. */
bool chord_judge_quiet(const struct judge *j, int64_t from, int64_t to);

/* chord_judge_quiet_key() - as chord_judge_quiet(), but a churn op within the window counts
 * only if it changed @key's r owners (a get reads them; others' changes do not touch it). */
bool chord_judge_quiet_key(const struct judge *j, uint64_t key, int64_t from, int64_t to);

/* chord_judge_members_at() - the members at @t into @member[]; how many. */
uint32_t chord_judge_members_at(const struct judge *j, int64_t t, bool *member);

/* chord_judge_owner_of() - successor(@key) over @member[] (some member exists). */
uint32_t chord_judge_owner_of(const struct ring *r, const bool *member, uint64_t key);

/* chord_judge_owners() - @key's owners over @member[] (some member exists): successor(@key)
 * and the members after it, at most r, into @owners[] (room for r); how many. */
uint32_t chord_judge_owners(const struct ring *r, const bool *member, uint64_t key,
			    uint32_t *owners);

/* chord_judge_find() - the ring index of the node named @name, or -1. */
int32_t chord_judge_find(const struct ring *r, const char *name);

/* chord_liveness_report() - how long after each disturbance lookups were exact again, as
 * figures (chord_liveness.c); reported apart from the verdict. Sorts j->marks. */
void chord_liveness_report(struct judge *j, struct check_result *result);

/* chord_kv_judge() - every put and get of the history (chord_kv_check.c). */
void chord_kv_judge(struct judge *j, struct check_result *result);

#endif /* CHORD_JUDGE_H */
