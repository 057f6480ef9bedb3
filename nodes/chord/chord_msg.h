/* SPDX-License-Identifier: MIT */
/* chord_msg.h - the messages Chord nodes exchange, in memory (chord_wire.h puts them on the
 * wire). Every request carries an rpc number that its reply echoes. */
#ifndef CHORD_MSG_H
#define CHORD_MSG_H

#include <stdbool.h>
#include <stdint.h>

enum {
	CHORD_SUCC_MAX = 8,             /* r: successor list entries, at most */
	CHORD_NO_ADDR = 0,              /* no address: an absent peer */
};

/* A node: its id on the ring and where to reach it (the daemon's IPv4 address in host
 * order, or a simulator's index + 1; never CHORD_NO_ADDR for a real node). */
struct chord_peer {
	uint64_t id;
	uint32_t addr;
};

enum chord_msg_type {
	CHORD_MSG_PING = 1,             /* are you alive? */
	CHORD_MSG_PONG,                 /* yes */
	CHORD_MSG_GET_NEIGHBOURS,       /* your predecessor and successor list? */
	CHORD_MSG_NEIGHBOURS,           /* pred (if has_pred) and succ[0 .. succ_count) */
	CHORD_MSG_NOTIFY,               /* the sender may be the receiver's predecessor */
	CHORD_MSG_FIND,                 /* one lookup step for key */
	CHORD_MSG_FOUND,                /* key is in (sender, next]: next owns it; succ is the
					 * sender's successor list (a joiner takes it) */
	CHORD_MSG_NEXT,                 /* ask next, which precedes key and is closer to it */
	CHORD_MSG_LEAVING,              /* the sender leaves the ring (no reply): forget it;
					 * succ is its successor list, for its predecessor */
	CHORD_MSG_KV_PUT,               /* store value under key, as its owner */
	CHORD_MSG_KV_GET,               /* key's value, as its owner */
	CHORD_MSG_KV_STORE,             /* keep value at version for key (a copy); rpc 0:
					 * no answer wanted */
	CHORD_MSG_KV_ACK,               /* the answer to the three: status, value, version */
	CHORD_MSG_TYPE_END,
};

struct chord_msg {
	uint8_t type;                   /* enum chord_msg_type */
	uint32_t rpc;                   /* a request's number; its reply carries the same */
	struct chord_peer from;         /* the sender */
	uint64_t key;                   /* FIND, FOUND, NEXT, and the KV messages */
	struct chord_peer next;         /* FOUND: the owner; NEXT: the next hop */
	bool has_pred;                  /* NEIGHBOURS */
	struct chord_peer pred;         /* NEIGHBOURS, when has_pred */
	uint8_t succ_count;             /* NEIGHBOURS, FOUND, LEAVING: 0 .. CHORD_SUCC_MAX */
	struct chord_peer succ[CHORD_SUCC_MAX];
	int64_t value;                  /* KV_PUT, KV_STORE, KV_ACK */
	uint64_t version;               /* KV_STORE, KV_ACK */
	uint8_t status;                 /* KV_ACK: enum chord_kv_status */
};

/* chord_msg_type_name() - "ping", "pong", "get-neighbours", ...; NULL for an unknown type. */
const char *chord_msg_type_name(unsigned type);

#endif /* CHORD_MSG_H */
