/* SPDX-License-Identifier: MIT */
/* chord.h - a Chord node (Stoica et al. 2001) with ring maintenance as Zave corrected it
 * (../shared/CHORD.md) as a pure step function: messages, ticks and commands in; messages to
 * send and evidence events out. No sockets, clocks or randomness inside: time is the count
 * of tick inputs, and a request unanswered for rpc_timeout_ticks means its node is dead. */
#ifndef CHORD_H
#define CHORD_H

#include <stdbool.h>
#include <stdint.h>

#include "chord_id.h"
#include "chord_kv.h"
#include "chord_msg.h"

struct errbuf;
struct chord_node;

enum {
	CHORD_RPCS_MAX = 64,            /* requests awaiting a reply; more are not sent */
	CHORD_LOOKUPS_MAX = 32,         /* lookups in progress: clients', fingers', a join */
	/* A lookup's path: the origin, then at most bits + r nodes asked, then the next hop
	 * that made no progress (if one did). */
	CHORD_PATH_MAX = 1 + CHORD_BITS_MAX + CHORD_SUCC_MAX + 1,
	CHORD_OUT_SENDS_MAX = 64,
	CHORD_OUT_EVENTS_MAX = 64,
	CHORD_KV_KEYS_MAX = 128,        /* keys a node stores; a store past it is refused */
	CHORD_KV_PENDING_MAX = 16,      /* puts awaiting their replicas' acks */
};

/* Seeded bugs, flags in chord_config.bugs (PROTOCOL.md). */
enum chord_bug {
	CHORD_BUG_NO_WRAPAROUND = 1u << 0,      /* "no-wraparound": arcs ignore the wrap */
	CHORD_BUG_ORIGINAL_STABILIZE = 1u << 1, /* "original-stabilize": 2001 pseudocode */
	CHORD_BUG_SUCC_LIST_1 = 1u << 2,        /* "succ-list-1": r forced to 1 */
	CHORD_BUG_CLOSEST_PRECEDING_SELF = 1u << 3, /* "closest-preceding-self" */
	CHORD_BUG_NO_FIX_FINGERS = 1u << 4,     /* "no-fix-fingers" */
	CHORD_BUG_NO_HANDOFF = 1u << 5,         /* "no-handoff": a joiner gets no keys */
	CHORD_BUG_NO_REREPLICATE = 1u << 6,     /* "no-rereplicate": copies lost stay lost */
};

struct chord_config {
	struct chord_peer self;
	uint32_t bits;                  /* m: CHORD_BITS_MIN .. CHORD_BITS_MAX */
	uint32_t succ_max;              /* r: 1 .. CHORD_SUCC_MAX */
	uint32_t stabilize_ticks;       /* >= 1: stabilize every so many ticks */
	uint32_t fix_fingers_ticks;     /* >= 1: refresh the next finger every so many */
	uint32_t check_pred_ticks;      /* >= 1: ping the predecessor every so many */
	uint32_t rpc_timeout_ticks;     /* >= 1 */
	uint32_t bugs;                  /* enum chord_bug flags; 0 for the correct build */
};

enum chord_input_type {
	CHORD_IN_MESSAGE = 1,           /* msg arrived */
	CHORD_IN_TICK,                  /* one unit of time passed */
	CHORD_IN_JOIN,                  /* join the ring through member via */
	CHORD_IN_LOOKUP,                /* a client's lookup of key, answered by a LOOKUP event */
	CHORD_IN_MERGE,                 /* look up our own id through via, a node remembered:
					 * a closer successor found there is adopted (rings that a
					 * partition split merge again; see PROTOCOL.md) */
	CHORD_IN_LEAVE,                 /* leave gracefully: tell the predecessor and the
					 * successor, then stop being a member (LEFT event) */
	CHORD_IN_PUT,                   /* store value under key at successor(key) and its
					 * r-1 successors; a KV event answers */
	CHORD_IN_GET,                   /* read key at successor(key); a KV event answers */
};

struct chord_input {
	uint8_t type;                   /* enum chord_input_type */
	const struct chord_msg *msg;    /* MESSAGE, borrowed */
	struct chord_peer via;          /* JOIN, MERGE */
	uint64_t key;                   /* LOOKUP, PUT, GET: an id of the space */
	uint64_t tag;                   /* LOOKUP, PUT, GET: the caller's, echoed in its event */
	int64_t value;                  /* PUT */
};

struct chord_send {
	uint32_t to;                    /* the receiver's addr */
	struct chord_msg msg;
};

enum chord_event_type {
	CHORD_EV_JOINED = 1,            /* the join completed; succ is the list taken */
	CHORD_EV_JOIN_FAILED,           /* a step of the join timed out; join again */
	CHORD_EV_SUCC,                  /* the successor list changed to succ */
	CHORD_EV_PRED,                  /* the predecessor changed to peer (none: !has_peer) */
	CHORD_EV_FINGER,                /* finger index changed to peer */
	CHORD_EV_LOOKUP,                /* a client lookup ended: lookup */
	CHORD_EV_LEFT,                  /* a graceful leave is done: no longer a member */
	CHORD_EV_KV,                    /* a put or get ended: kv */
	CHORD_EV_STORED,                /* this node stored stored.key at a new version */
};

enum chord_lookup_status {
	CHORD_LOOKUP_OK = 1,            /* owner found */
	CHORD_LOOKUP_TIMEOUT,           /* a node asked did not answer */
	CHORD_LOOKUP_NO_PROGRESS,       /* a next hop no closer to the key (last in the path) */
	CHORD_LOOKUP_TOO_LONG,          /* bits + r nodes asked without an answer */
	CHORD_LOOKUP_BUSY,              /* CHORD_LOOKUPS_MAX already in progress */
	CHORD_LOOKUP_NOT_JOINED,        /* this node is not (yet) a member */
};

struct chord_lookup_result {
	uint64_t tag, key;
	uint8_t status;                 /* enum chord_lookup_status */
	struct chord_peer owner;        /* OK: successor(key) as the ring answered */
	uint32_t hops;                  /* FIND requests sent */
	uint32_t path_count;
	uint64_t path[CHORD_PATH_MAX];  /* ids: the origin, each node asked in turn, ... */
};

struct chord_event {
	uint8_t type;                   /* enum chord_event_type */
	uint32_t index;                 /* FINGER */
	bool has_peer;
	struct chord_peer peer;         /* PRED, FINGER */
	uint8_t succ_count;             /* JOINED, SUCC */
	struct chord_peer succ[CHORD_SUCC_MAX];
	struct chord_lookup_result lookup;      /* LOOKUP */
	struct chord_kv_result kv;              /* KV */
	struct chord_stored stored;             /* STORED */
};

/* What one step produced; caller storage, reset by each chord_step(). */
struct chord_outputs {
	uint32_t send_count, event_count;
	struct chord_send sends[CHORD_OUT_SENDS_MAX];
	struct chord_event events[CHORD_OUT_EVENTS_MAX];
};

/* A node's pointers now: its state dump. */
struct chord_view {
	bool joined;
	bool has_pred;
	struct chord_peer pred;
	uint8_t succ_count;
	struct chord_peer succ[CHORD_SUCC_MAX];
	bool finger_set[CHORD_BITS_MAX];
	struct chord_peer finger[CHORD_BITS_MAX];
	uint64_t overflow_count;        /* sends, events, requests or lookups over a bound */
	uint64_t timeout_count;         /* requests that timed out */
	uint32_t key_count;             /* keys stored */
};

/* chord_node_new() - a node that is not yet a member. Return: 0; -EINVAL (@eb names the
 * field); -ENOMEM. */
int chord_node_new(const struct chord_config *config, struct chord_node **out,
		   struct errbuf *eb);

void chord_node_free(struct chord_node *n);

/*
 * chord_node_start_base() - make @n a member of the stable base (Zave): the @count nodes of
 * @base (@n among them, ids distinct) form the first ring, each with exact pointers.
 * Return: 0; -EINVAL if @n is not in @base or ids repeat.
 */
int chord_node_start_base(struct chord_node *n, const struct chord_peer *base, uint32_t count);

/*
 * chord_node_start_ideal() - as chord_node_start_base(), for a ring of any size: @n takes
 * exact pointers over the @count members of @sorted (borrowed, not copied; ids ascending
 * and distinct, @n among them). O(bits · log count): checks the order only around @n.
 * Return: 0; -EINVAL if @count is 0, @n is not in @sorted, the order around it is wrong,
 * or @n is already a member or joining.
 */
int chord_node_start_ideal(struct chord_node *n, const struct chord_peer *sorted,
			   uint32_t count);

/*
 * chord_step() - feed one input; @out is reset, then filled. Messages are untrusted: one
 * that answers nothing asked, or asks while this node cannot answer, is ignored.
 * Return: 0; -EINVAL for a bad command (LOOKUP key outside the space, JOIN via self).
 */
int chord_step(struct chord_node *n, const struct chord_input *in, struct chord_outputs *out);

void chord_node_view(const struct chord_node *n, struct chord_view *view);

/* chord_node_keys() - the keys @n stores, at most @max of them, into @out. Return: how many. */
uint32_t chord_node_keys(const struct chord_node *n, struct chord_stored *out, uint32_t max);

/* chord_bug_parse() - a PROTOCOL.md name to its flag. Return: 0; -EINVAL if unknown. */
int chord_bug_parse(const char *name, uint32_t *flag);

/* chord_bug_name() - the PROTOCOL.md name of one flag, or NULL. */
const char *chord_bug_name(uint32_t flag);

#endif /* CHORD_H */
