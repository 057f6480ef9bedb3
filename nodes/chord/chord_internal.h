/* SPDX-License-Identifier: MIT */
/* chord_internal.h - the node's state, shared by chord.c (pointers, stabilize, rectify,
 * joins) and chord_lookup.c (lookups, fingers). Not for use outside nodes/chord. */
#ifndef CHORD_INTERNAL_H
#define CHORD_INTERNAL_H

#include "chord.h"

enum { CHORD_BASE_MAX = 64 };   /* members of the stable base */

enum rpc_purpose {
	RPC_FREE = 0,
	RPC_STABILIZE,          /* GET_NEIGHBOURS to the successor */
	RPC_ADOPT,              /* GET_NEIGHBOURS to its predecessor, before adopting it */
	RPC_RECTIFY,            /* PING the predecessor; dead: take the candidate */
	RPC_CHECK_PRED,         /* PING the predecessor; dead: forget it */
	RPC_FIND,               /* one lookup step */
	RPC_JOIN_SUCC,          /* GET_NEIGHBOURS to the successor a join found */
	RPC_MERGE,              /* GET_NEIGHBOURS to a closer successor a merge found */
	RPC_CONFIRM,            /* PING the owner a client's lookup found, before answering */
	RPC_KV,                 /* KV_PUT or KV_GET to the owner a put's or get's lookup found */
	RPC_KV_COPY,            /* KV_STORE to a replica, before a put is acknowledged */
};

struct rpc {
	uint8_t purpose;        /* enum rpc_purpose; RPC_FREE: slot unused */
	uint32_t number;
	struct chord_peer peer; /* asked */
	uint64_t deadline;      /* tick at which it times out */
	uint32_t lookup;        /* FIND: the lookup's slot; KV_COPY: the pending put's */
	struct chord_peer candidate;    /* RECTIFY: the notifier */
	struct chord_kv_result kv;      /* KV: the result so far (tag, key, op, value, hops) */
};

enum lookup_kind { LOOKUP_FREE = 0, LOOKUP_CLIENT, LOOKUP_FINGER, LOOKUP_JOIN, LOOKUP_MERGE,
		   LOOKUP_KV };

/* Invariants: path[0] is this node; path_count == hops + 1 while in progress; current is
 * path[path_count - 1]. */
struct lookup {
	uint8_t kind;           /* enum lookup_kind; LOOKUP_FREE: slot unused */
	uint32_t finger;        /* FINGER: which */
	uint64_t tag, key;
	uint64_t current;       /* the id asked last */
	uint32_t hops;
	uint32_t path_count;
	uint64_t path[CHORD_PATH_MAX];
	bool confirming;        /* CLIENT: the owner found is being asked whether it lives */
	struct chord_peer owner;        /* while confirming */
	uint8_t kv_op;          /* KV: enum chord_kv_op */
	int64_t kv_value;       /* KV: a put's value */
};

/* A stored key (chord_kv.c). */
struct kv_entry {
	bool used;
	uint64_t key, version;
	int64_t value;
};

/* A put this node, the owner, took: answered once every replica acked or timed out. */
struct kv_pending {
	bool used;
	struct chord_peer origin;
	uint32_t origin_rpc;
	uint64_t key, version;
	int64_t value;
	uint32_t waiting;       /* replicas not yet heard from */
	/* A replica held another value at this version or a newer one: the put is stored
	 * again above the newest version heard (newest), at most KV_PUT_REDOS_MAX times. */
	bool superseded;
	uint64_t newest;
	uint32_t redos;
	struct chord_kv_result kv;      /* a local put's result so far (origin is this node) */
};

struct chord_node {
	struct chord_config cfg;
	struct chord_space space;
	uint32_t r;             /* successor list length in force */
	uint64_t now;           /* ticks so far */
	bool joined, joining;
	bool has_pred;
	struct chord_peer pred;
	uint8_t succ_count;
	struct chord_peer succ[CHORD_SUCC_MAX];
	/* The only successor left timed out: it is kept (and asked again) rather than leave
	 * an empty list, since a partition, not a failure, may be why; a merge may replace
	 * it with any live node it finds. Cleared when a successor answers. */
	bool succ_stale;
	/* Successors that left the list, oldest first (at most CHORD_SUCC_MAX): after a
	 * timeout, or pushed out by a list taken from a successor. One timeout does not
	 * prove a death (a joiner not answering yet, a reply delayed), and a successor's
	 * list may name nodes that just died (a reply sent before they did), so when
	 * every entry has timed out these are asked again, in turn. */
	uint32_t dropped_count;
	struct chord_peer dropped[CHORD_SUCC_MAX];
	bool finger_set[CHORD_BITS_MAX];
	struct chord_peer finger[CHORD_BITS_MAX];
	uint32_t next_finger;   /* fix-fingers refreshes this one next */
	uint64_t next_stabilize, next_fix, next_check_pred;    /* ticks */
	bool stabilizing;       /* a stabilize round awaits a reply */
	bool checking_pred;
	uint32_t rpc_next;
	struct rpc rpcs[CHORD_RPCS_MAX];
	struct lookup lookups[CHORD_LOOKUPS_MAX];
	uint64_t overflow_count, timeout_count;
	struct kv_entry kv[CHORD_KV_KEYS_MAX];
	uint32_t kv_next;       /* the maintenance tick looks at this slot next */
	struct kv_pending pending[CHORD_KV_PENDING_MAX];
	struct chord_outputs *out;      /* during a step only */
};

/* chord.c */
bool node_between(const struct chord_node *n, uint64_t x, uint64_t y, uint64_t z);
bool node_in_half_open(const struct chord_node *n, uint64_t x, uint64_t y, uint64_t z);
struct chord_event *node_event(struct chord_node *n, uint8_t type);
void node_send(struct chord_node *n, struct chord_peer to, const struct chord_msg *m);
struct rpc *node_request(struct chord_node *n, uint8_t purpose, struct chord_peer to,
			 struct chord_msg *m);
void node_set_succ(struct chord_node *n, const struct chord_peer *list, uint32_t count);
void node_set_pred(struct chord_node *n, bool has, struct chord_peer p);
void node_set_finger(struct chord_node *n, uint32_t j, bool set, struct chord_peer p);
void node_forget(struct chord_node *n, uint64_t dead);
void node_join_found(struct chord_node *n, struct chord_peer owner,
		     const struct chord_peer *list, uint32_t count);
void node_merge_found(struct chord_node *n, const struct chord_peer *list, uint32_t count);

/* chord_lookup.c */
void node_lookup_start(struct chord_node *n, uint8_t kind, uint64_t key, uint64_t tag,
		       uint32_t finger, const struct chord_peer *via);
void node_lookup_start_kv(struct chord_node *n, uint8_t op, uint64_t key, int64_t value,
			  uint64_t tag);
bool node_find_answer(const struct chord_node *n, uint64_t key, struct chord_msg *reply);
void node_lookup_reply(struct chord_node *n, const struct rpc *r, const struct chord_msg *m);
void node_lookup_timeout(struct chord_node *n, const struct rpc *r);
void node_fix_next_finger(struct chord_node *n);
bool node_lookup_busy(const struct chord_node *n, uint8_t kind);
void node_lookup_confirmed(struct chord_node *n, const struct rpc *r, bool alive);
void node_lookups_abandon(struct chord_node *n);

/* chord_kv.c */
void node_kv_found(struct chord_node *n, const struct lookup *l, uint8_t lookup_status,
		   struct chord_peer owner);
bool node_kv_answer(struct chord_node *n, const struct chord_msg *m);
void node_kv_reply(struct chord_node *n, const struct rpc *r, const struct chord_msg *m);
void node_kv_timeout(struct chord_node *n, const struct rpc *r);
void node_kv_tick(struct chord_node *n);
void node_kv_leave(struct chord_node *n);
uint32_t node_kv_count(const struct chord_node *n);

#endif /* CHORD_INTERNAL_H */
