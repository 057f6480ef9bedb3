/* SPDX-License-Identifier: MIT */
/* pbft_wire.h - PBFT messages in memory and on the wire: bounded encode and decode of the
 * plain message, and per-pair MACs (libsodium crypto_auth) that seal and open it. */
#ifndef PBFT_WIRE_H
#define PBFT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sodium.h>

#include "pbft_limits.h"

struct errbuf;

enum pbft_msg_type {
	PBFT_MSG_REQUEST = 1,           /* client -> replicas: request */
	PBFT_MSG_PRE_PREPARE,           /* primary -> backups: view, seq, digest, batch */
	PBFT_MSG_PREPARE,               /* backup -> all: view, seq, digest */
	PBFT_MSG_COMMIT,                /* replica -> all: view, seq, digest */
	PBFT_MSG_CHECKPOINT,            /* replica -> all: seq, state digest */
	PBFT_MSG_VIEW_CHANGE,           /* view = new view; seq, digest = stable checkpoint */
	PBFT_MSG_NEW_VIEW,              /* new primary -> all: view, certificates */
	PBFT_MSG_REPLY,                 /* replica -> client: view, reply */
	PBFT_MSG_FETCH_STATE,           /* replica -> replica: seq, digest = certified checkpoint */
	PBFT_MSG_STATE,                 /* replica -> replica: seq, digest, snapshot */
	PBFT_MSG_READ_ONLY,             /* client -> replicas: a read, answered unordered */
	PBFT_MSG_TYPE_END,
};

enum pbft_verb { PBFT_VERB_READ = 1, PBFT_VERB_WRITE, PBFT_VERB_CAS, PBFT_VERB_END };

/* A register value: null (present == false, v == 0) or an int64. */
struct pbft_value {
	bool present;
	int64_t v;
};

/* read: no values; write: a = new; cas: a = old, b = new. Unused values are null. */
struct pbft_op {
	uint8_t verb;                   /* enum pbft_verb */
	uint32_t key;                   /* < PBFT_KEYS_MAX */
	struct pbft_value a, b;
};

struct pbft_request {
	uint32_t client;                /* < PBFT_CLIENTS_MAX */
	uint64_t timestamp;             /* > 0, increasing per client */
	struct pbft_op op;
};

struct pbft_batch {
	uint32_t count;                 /* 0 (the null request) .. PBFT_BATCH_MAX */
	struct pbft_request requests[PBFT_BATCH_MAX];
};

/* The result of one request: read/write/cas ok with the value read (read) or fail (cas). */
struct pbft_result {
	uint32_t client;
	uint64_t timestamp;
	bool ok;
	struct pbft_value value;
};

/* A prepared certificate as a view-change or new-view carries it. */
struct pbft_cert {
	uint64_t seq;
	uint64_t view;                  /* the view it prepared in (new-view: the new view) */
	uint8_t digest[PBFT_DIGEST_BYTES];
	struct pbft_batch batch;
};

/* In a view-change (TOCS 2002, 4.5): a checkpoint taken above the stable one (the C set),
 * and for a seq and digest the latest view a pre-prepare for it was accepted in (Q). */
struct pbft_ckpt_claim {
	uint64_t seq;
	uint8_t digest[PBFT_DIGEST_BYTES];
};
struct pbft_vouch {
	uint64_t seq, view;
	uint8_t digest[PBFT_DIGEST_BYTES];
};

/* One client's entry of the reply cache in a snapshot. */
struct pbft_snapshot_client {
	uint64_t last_timestamp;        /* 0: nothing executed (then ok is false, value null) */
	bool ok;
	struct pbft_value value;
};

/* The service state at a checkpoint: the KV store and the reply cache. Its digest (the
 * checkpoint's state digest) is BLAKE2b-256 of its encoding, which is the STATE body. */
struct pbft_snapshot {
	struct pbft_value values[PBFT_KEYS_MAX];
	struct pbft_snapshot_client clients[PBFT_CLIENTS_MAX];
};

struct pbft_msg {
	uint8_t type;                   /* enum pbft_msg_type */
	uint32_t sender;                /* a replica id, or n + client for a request */
	uint64_t view;
	uint64_t seq;
	uint8_t digest[PBFT_DIGEST_BYTES];
	/* request, read-only: the request; pre-prepare: the batch; reply: the result. */
	struct pbft_request request;
	struct pbft_batch batch;
	struct pbft_result result;
	/* view-change: prepared certificates above seq (P), checkpoints taken above it (C) and
	 * pre-prepares accepted above it (Q); new-view: the re-proposals. */
	uint32_t vc_mask;               /* new-view: the senders of the view-changes it used */
	uint32_t cert_count, claim_count, vouch_count;  /* <= L, L, PBFT_VOUCHES_MAX */
	struct pbft_cert certs[PBFT_LOG_SEQS_MAX];
	struct pbft_ckpt_claim claims[PBFT_LOG_SEQS_MAX];
	struct pbft_vouch vouches[PBFT_VOUCHES_MAX];
	struct pbft_snapshot snapshot;  /* state: the state at seq, whose digest is digest */
};

/**
 * pbft_encode() - the plain bytes of @m (no MAC) into @buf. Only the fields its type uses
 * are written; they are asserted valid (the message is ours: STYLE S17).
 * Return: the size; -EMSGSIZE if @size is too small (PBFT_MSG_BYTES_MAX always fits).
 */
ssize_t pbft_encode(const struct pbft_msg *m, uint8_t *buf, size_t size);

/**
 * pbft_decode() - parse untrusted plain bytes into @m; every count, enum and flag is
 * checked and all @size bytes must be used. Never reads past @size. Fields the type does
 * not carry are zeroed, but for the large tail (certs[] to snapshot), which only a
 * view-change, new-view or state message sets (zeroed first); others leave it as it was.
 * @principals: ids >= this are refused as senders (n + PBFT_CLIENTS_MAX).
 * Return: 0; -EBADMSG with @eb naming the field.
 */
int pbft_decode(const uint8_t *buf, size_t size, uint32_t principals, struct pbft_msg *m,
		struct errbuf *eb);

/* pbft_batch_digest() - BLAKE2b-256 of the batch's encoding into @digest. */
void pbft_batch_digest(const struct pbft_batch *b, uint8_t digest[PBFT_DIGEST_BYTES]);
/* pbft_snapshot_digest() - BLAKE2b-256 of the snapshot's encoding (the STATE body). */
void pbft_snapshot_digest(const struct pbft_snapshot *s, uint8_t digest[PBFT_DIGEST_BYTES]);

/**
 * pbft_key_derive() - the MAC key for messages from principal @source to @target:
 * BLAKE2b-256 keyed by @secret of the string "pbft-pair" and both ids (little-endian u32).
 * The key of (i, j) differs from that of (j, i).
 */
void pbft_key_derive(const uint8_t secret[PBFT_SECRET_BYTES], uint32_t source, uint32_t target,
		     uint8_t key[PBFT_KEY_BYTES]);

/**
 * pbft_seal() - @plain followed by its MAC under @key into @out.
 * Return: @plain_size + PBFT_MAC_BYTES; -EMSGSIZE if @out_size is too small.
 */
ssize_t pbft_seal(const uint8_t key[PBFT_KEY_BYTES], const uint8_t *plain, size_t plain_size,
		  uint8_t *out, size_t out_size);

/*
 * A pair key made ready for MACs (pbft_mac_key_init()): HMAC-SHA512-256's inner and outer
 * states after the key block. pbft_mac_seal() and pbft_mac_open() give the same bytes and
 * verdicts as pbft_seal() and pbft_open() with the raw key, hashing two blocks fewer.
 */
struct pbft_mac_key {
	crypto_auth_hmacsha512256_state state;
};

/* pbft_mac_key_init() - @k ready for the raw pair key @key. pbft_mac_seal() and
 * pbft_mac_open(): pbft_seal() and pbft_open() with a ready key. */
void pbft_mac_key_init(struct pbft_mac_key *k, const uint8_t key[PBFT_KEY_BYTES]);
ssize_t pbft_mac_seal(const struct pbft_mac_key *k, const uint8_t *plain, size_t plain_size,
		      uint8_t *out, size_t out_size);
int pbft_mac_open(const struct pbft_mac_key *k, const uint8_t *sealed, size_t size,
		  size_t *plain_size);

/* pbft_sender_peek() - the sender field of sealed bytes. Return: 0; -EBADMSG if short. */
int pbft_sender_peek(const uint8_t *sealed, size_t size, uint32_t *sender);
/**
 * pbft_open() - check the MAC of @sealed under @key. On success *@plain_size is the size
 * of the plain prefix. Return: 0; -EBADMSG if too short; -EPERM if the MAC is wrong.
 */
int pbft_open(const uint8_t key[PBFT_KEY_BYTES], const uint8_t *sealed, size_t size,
	      size_t *plain_size);

/* pbft_replies_matching() - how many of the replies of replicas in @mask (bit j: @replies[j],
 * j < @n) equal @r: the same ok and the same value. */
uint32_t pbft_replies_matching(const struct pbft_result *replies, uint32_t mask, uint32_t n,
			       const struct pbft_result *r);

/**
 * pbft_replies_view() - the view a client should believe from the replies of replicas in
 * @mask (bit j: replica j replied, naming @views[j]) out of @n = 3f+1: the (f+1)-th highest.
 * At least one correct replica is in that view or a later one, and one is at or past it, so
 * f liars, or a replica alone in a view change nobody joined, can neither hold the client
 * back nor send it past every correct replica.
 * Return: true with *@view set; false if fewer than f+1 replied.
 */
bool pbft_replies_view(const uint64_t *views, uint32_t mask, uint32_t n, uint64_t *view);

#endif /* PBFT_WIRE_H */
