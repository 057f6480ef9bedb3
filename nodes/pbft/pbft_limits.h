/* SPDX-License-Identifier: MIT */
/* pbft_limits.h - every bound of the PBFT replica core, in one place (STYLE S18, S19). */
#ifndef PBFT_LIMITS_H
#define PBFT_LIMITS_H

#include "fl_assert.h"

enum {
	PBFT_REPLICAS_MAX = 10,         /* n = 3f+1 <= 10: f is 1..3 */
	PBFT_CLIENTS_MAX = 64,          /* client ids 0..63; principal id = n + client */
	PBFT_KEYS_MAX = 32,             /* KV keys are ids 0..31 */
	PBFT_BATCH_MAX = 8,             /* requests in one pre-prepare (B) */
	PBFT_LOG_SEQS_MAX = 32,         /* the window L = h+L - h, and the log's slots */
	PBFT_PENDING_MAX = 256,         /* client requests waiting for execution */
	PBFT_DIGEST_BYTES = 32,         /* BLAKE2b-256 (crypto_generichash) */
	PBFT_MAC_BYTES = 32,            /* crypto_auth (HMAC-SHA512-256) */
	PBFT_KEY_BYTES = 32,            /* crypto_auth_KEYBYTES */
	PBFT_SECRET_BYTES = 32,         /* the cluster secret the pair keys derive from */
	/* Wire: u8 type, u32 sender, u64 view, u64 seq, digest. */
	PBFT_HEADER_BYTES = 1 + 4 + 8 + 8 + PBFT_DIGEST_BYTES,
	/* A value: u8 present, i64. An op: u8 verb, u32 key, two values. */
	PBFT_VALUE_BYTES = 1 + 8,
	PBFT_REQUEST_BYTES = 4 + 8 + 1 + 4 + 2 * PBFT_VALUE_BYTES,
	PBFT_BATCH_BYTES_MAX = 1 + PBFT_BATCH_MAX * PBFT_REQUEST_BYTES,
	/* A prepared certificate in a view-change or new-view: seq, view, digest, batch. */
	PBFT_CERT_BYTES_MAX = 8 + 8 + PBFT_DIGEST_BYTES + PBFT_BATCH_BYTES_MAX,
	/* A view-change's Q set (pbft_vouch): pre-prepared (digest, view) pairs kept per seq. */
	PBFT_VOUCHES_PER_SEQ = 3,
	PBFT_VOUCHES_MAX = PBFT_LOG_SEQS_MAX * PBFT_VOUCHES_PER_SEQ,
	PBFT_VOUCH_BYTES = 8 + 8 + PBFT_DIGEST_BYTES,
	PBFT_CKPT_CLAIM_BYTES = 8 + PBFT_DIGEST_BYTES,
	/* The largest body, a view-change (a new-view's u32 mask fits in the claims' place): u8
	 * count and certificates, u8 count and checkpoint claims, u8 count and vouches. */
	PBFT_BODY_BYTES_MAX = 4 + 1 + PBFT_LOG_SEQS_MAX * PBFT_CERT_BYTES_MAX +
			      1 + PBFT_LOG_SEQS_MAX * PBFT_CKPT_CLAIM_BYTES +
			      1 + PBFT_VOUCHES_MAX * PBFT_VOUCH_BYTES,
	PBFT_MSG_BYTES_MAX = PBFT_HEADER_BYTES + PBFT_BODY_BYTES_MAX,   /* plain, no MAC */
	/* A STATE body: every register, then per client u64 timestamp, u8 ok, value. */
	PBFT_SNAPSHOT_BYTES = PBFT_KEYS_MAX * PBFT_VALUE_BYTES +
			      PBFT_CLIENTS_MAX * (8 + 1 + PBFT_VALUE_BYTES),
	/* State transfer: checkpoint claims kept per replica above the executed seq. */
	PBFT_CLAIMS_PER_REPLICA = 4,
	/* replay: the ring of own earlier messages, each up to this size, one kept in so many. */
	PBFT_REPLAY_RING = 16,
	PBFT_REPLAY_BYTES_MAX = 1024,
	PBFT_REPLAY_SAMPLE = 4,
	PBFT_REPLAY_PER_TICK = 2,
	PBFT_SEALED_BYTES_MAX = PBFT_MSG_BYTES_MAX + PBFT_MAC_BYTES,
	/* What one step may emit (a retransmission tick of the primary is the largest). */
	PBFT_OUT_SENDS_MAX = PBFT_LOG_SEQS_MAX * (PBFT_BATCH_MAX + 2 * PBFT_REPLICAS_MAX + 4),
	PBFT_OUT_BYTES_MAX = 4 * PBFT_MSG_BYTES_MAX +
			     PBFT_LOG_SEQS_MAX * PBFT_REPLICAS_MAX * (PBFT_HEADER_BYTES +
								      PBFT_BATCH_BYTES_MAX) * 2,
	/* A replica's promises (pbft_replica_promises()): a head, a view-change, a STATE. */
	PBFT_PROMISES_BYTES_MAX = 6 + PBFT_MSG_BYTES_MAX + PBFT_HEADER_BYTES + PBFT_SNAPSHOT_BYTES,
	PBFT_OUT_EVENTS_MAX = PBFT_LOG_SEQS_MAX * (2 * PBFT_BATCH_MAX + 2),
};

STATIC_ASSERT(PBFT_REPLICAS_MAX <= 32, "replica sets are u32 bit masks");
STATIC_ASSERT(PBFT_LOG_SEQS_MAX <= 255, "certificate counts fit a u8");
STATIC_ASSERT(PBFT_BATCH_MAX <= 255, "batch counts fit a u8");
STATIC_ASSERT(PBFT_VOUCHES_MAX <= 255, "vouch counts fit a u8");
STATIC_ASSERT(PBFT_MSG_BYTES_MAX <= 65507 - PBFT_MAC_BYTES, "a sealed message fits a datagram");
STATIC_ASSERT(PBFT_OUT_BYTES_MAX >= 2 * PBFT_MSG_BYTES_MAX, "a step holds a view change");
STATIC_ASSERT(PBFT_SNAPSHOT_BYTES <= PBFT_BODY_BYTES_MAX, "a STATE message fits");
STATIC_ASSERT(PBFT_REPLAY_BYTES_MAX >= PBFT_HEADER_BYTES + PBFT_BATCH_BYTES_MAX,
	      "the replay ring holds any pre-prepare");

#endif /* PBFT_LIMITS_H */
