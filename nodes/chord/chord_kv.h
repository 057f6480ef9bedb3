/* SPDX-License-Identifier: MIT */
/* chord_kv.h - the key-value layer's results, as the Chord core reports them (chord.h):
 * each key lives at successor(key) and its r-1 successors (chord_kv.c). */
#ifndef CHORD_KV_H
#define CHORD_KV_H

#include <stdint.h>

#include "chord_msg.h"

enum chord_kv_op { CHORD_KV_PUT = 1, CHORD_KV_GET };

enum chord_kv_status {
	CHORD_KV_OK = 1,                /* put: stored at the owner and its replicas; get: read */
	CHORD_KV_NOT_FOUND,             /* get: the owner has no value */
	CHORD_KV_NO_OWNER,              /* the lookup failed (lookup_status says how): nothing
					 * was asked of any owner */
	CHORD_KV_NOT_OWNER,             /* the node found says the key is not its own */
	CHORD_KV_UNKNOWN,               /* the owner did not answer: a put may have happened */
	CHORD_KV_FULL,                  /* the owner stores CHORD_KV_KEYS_MAX keys, or is busy */
};

/* A put's or get's end. For an ok put, version is the one the owner gave the value. */
struct chord_kv_result {
	uint64_t tag, key;
	uint8_t op;                     /* enum chord_kv_op */
	uint8_t status;                 /* enum chord_kv_status */
	uint8_t lookup_status;          /* NO_OWNER: the lookup's enum chord_lookup_status */
	int64_t value;                  /* put: written; get ok: read */
	uint64_t version;
	struct chord_peer owner;        /* all but NO_OWNER */
	uint32_t hops;                  /* the lookup's */
};

/* A stored key's new value, for the evidence. */
struct chord_stored {
	uint64_t key, version;
	int64_t value;
};

#endif /* CHORD_KV_H */
