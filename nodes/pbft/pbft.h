/* SPDX-License-Identifier: MIT */
/* pbft.h - a PBFT replica (Castro & Liskov) as a pure step function: sealed messages and
 * ticks in; messages to send and evidence events out (STYLE S27). No sockets, clocks or
 * randomness inside: time is the count of tick inputs. */
#ifndef PBFT_H
#define PBFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pbft_limits.h"
#include "pbft_wire.h"

struct errbuf;
struct pbft_replica;

/* Byzantine behaviours of this replica, flags in pbft_config.byzantine (PROTOCOL.md). */
enum pbft_byzantine {
	PBFT_BYZ_SILENT = 1u << 0,              /* "silent": sends nothing */
	PBFT_BYZ_EQUIVOCATE = 1u << 1,          /* "equivocate": two batches per seq */
	PBFT_BYZ_CORRUPT_DIGEST = 1u << 2,      /* "corrupt-digest": digests do not match */
	PBFT_BYZ_CONFLICTING_VOTES = 1u << 3,   /* "conflicting-votes": votes for anything */
	PBFT_BYZ_WRONG_RESULTS = 1u << 4,       /* "wrong-results": lies in every reply */
	PBFT_BYZ_REPLAY = 1u << 5,              /* "replay": resends its own old messages */
	PBFT_BYZ_FORGE_SENDER = 1u << 6,        /* "forge-sender": claims other senders */
	PBFT_BYZ_FAKE_CERTIFICATES = 1u << 7,   /* "fake-certificates": lies in view-changes */
};

/* Seeded bugs of this replica, flags in pbft_config.bugs (PROTOCOL.md). */
enum pbft_bug {
	PBFT_BUG_QUORUM_2F = 1u << 0,           /* "quorum-2f" */
	PBFT_BUG_NO_DIGEST_CHECK = 1u << 1,     /* "no-digest-check" */
	PBFT_BUG_COUNT_MESSAGES = 1u << 2,      /* "count-messages-not-senders" */
	PBFT_BUG_VC_DROPS_PREPARED = 1u << 3,   /* "view-change-drops-prepared" */
};

struct pbft_config {
	uint32_t id;                    /* this replica, < replicas */
	uint32_t replicas;              /* n = 3f+1, 4..PBFT_REPLICAS_MAX */
	uint32_t batch_max;             /* B: 1..PBFT_BATCH_MAX requests per pre-prepare */
	uint32_t checkpoint_interval;   /* K: >= 1; divides window */
	uint32_t window;                /* L: K..PBFT_LOG_SEQS_MAX; seqs in (h, h+L] */
	uint32_t view_timeout_ticks;    /* >= 1: no progress for this long starts a view change */
	uint32_t retransmit_ticks;      /* >= 1: resend what is in flight every so many ticks */
	uint32_t byzantine;             /* enum pbft_byzantine flags; 0 for a correct replica */
	uint32_t bugs;                  /* enum pbft_bug flags; 0 for the correct build */
	/* Tentative execution (PBFT 5.1.2): a prepared batch executes and is replied to before it
	 * commits, and is undone if a view change comes first. Only for clients that wait for
	 * 2f+1 matching replies (f+1 could then accept a result that is undone). */
	bool tentative;
	uint8_t secret[PBFT_SECRET_BYTES];      /* the cluster secret; pair keys derive from it */
};

enum pbft_input_type { PBFT_IN_MESSAGE = 1, PBFT_IN_TICK };

struct pbft_input {
	uint8_t type;                   /* enum pbft_input_type */
	const uint8_t *bytes;           /* MESSAGE: sealed bytes, borrowed */
	size_t size;
};

enum pbft_target { PBFT_TO_REPLICA = 1, PBFT_TO_ALL, PBFT_TO_CLIENT };

/* One message to send: plain bytes at outputs.bytes[offset..offset+size), to be sealed
 * per receiver with pbft_replica_seal(). TO_ALL means every replica but the sender. */
struct pbft_send {
	uint8_t target_kind;            /* enum pbft_target */
	uint32_t target;                /* replica id or client id; unused for TO_ALL */
	uint32_t offset, size;
};

enum pbft_event_type {
	PBFT_EV_COMMIT = 1,
	PBFT_EV_EXECUTE,
	PBFT_EV_CHECKPOINT,
	PBFT_EV_STATE_TRANSFER,         /* took a stable checkpoint's state: seq, state digest */
};

/* Evidence for the replica's log. COMMIT and EXECUTE: one per request of the batch
 * (a null batch gives one event with index = 0 and client = UINT32_MAX); digest is the
 * batch digest. CHECKPOINT: seq and the state digest. */
struct pbft_event {
	uint8_t type;                   /* enum pbft_event_type */
	uint64_t view, seq;
	uint8_t digest[PBFT_DIGEST_BYTES];
	uint32_t index;                 /* the request's place in the batch */
	uint32_t client;
	uint64_t timestamp;
	struct pbft_op op;              /* EXECUTE: the op executed */
	uint32_t voters;                /* COMMIT: bit i: replica i's matching commit is held */
};

/* What one step produced; caller storage, reset by each pbft_step(). */
struct pbft_outputs {
	uint32_t send_count, bytes_used, event_count;
	struct pbft_send sends[PBFT_OUT_SENDS_MAX];
	uint8_t bytes[PBFT_OUT_BYTES_MAX];
	struct pbft_event events[PBFT_OUT_EVENTS_MAX];
};

/* Counters and positions, for tests and the daemon's log. */
struct pbft_status {
	uint64_t view;
	bool view_changing;
	uint64_t stable_seq;            /* h: the last stable checkpoint */
	uint64_t executed_seq;          /* the last seq executed */
	uint32_t log_slots_used;        /* slots holding a seq; all > stable_seq */
	uint32_t pending_count;
	uint64_t forged_count;          /* MAC did not verify (or sender not a principal) */
	uint64_t malformed_count;       /* failed pbft_decode() */
	uint64_t refused_count;         /* authentic but invalid here (wrong view, window...) */
	uint64_t bad_digest_count;      /* pre-prepares whose digest is not their batch's */
	uint64_t overflow_count;        /* outputs or pending full: something was not sent */
	uint64_t bad_state_count;       /* STATE snapshots whose digest is not the certified one */
	uint64_t state_transfer_count;  /* snapshots installed (PBFT_EV_STATE_TRANSFER) */
	uint64_t read_only_count;       /* READ-ONLY requests answered from committed state */
	uint64_t rollback_count;        /* tentative executions undone by a view change */
	uint64_t lag_count;             /* view timeouts not acted on: f+1 others were ahead */
	uint64_t undecided_count;       /* new primary: view-changes that did not decide yet */
};

/**
 * pbft_replica_new() - a replica in view 0 with an empty log and store.
 * Return: 0 with *@out set; -EINVAL for a bad @config (@eb names the field); -ENOMEM.
 */
int pbft_replica_new(const struct pbft_config *config, struct pbft_replica **out,
		     struct errbuf *eb);

/* pbft_replica_free() - release @r; NULL is fine. */
void pbft_replica_free(struct pbft_replica *r);

/**
 * pbft_step() - feed one input. Outputs are reset, then filled.
 * Bytes are untrusted: a bad MAC is counted as forged, bad encoding as malformed, and
 * neither changes the state nor returns an error.
 * Return: 0; -E2BIG if an output bound was hit (what fit is in @out; counted).
 */
int pbft_step(struct pbft_replica *r, const struct pbft_input *in, struct pbft_outputs *out);

/**
 * pbft_replica_seal() - seal plain bytes from this replica to replica @target
 * (kind PBFT_TO_REPLICA) or client @target (PBFT_TO_CLIENT) into @buf.
 * Return: the sealed size; -EMSGSIZE if @size < plain_size + PBFT_MAC_BYTES.
 */
ssize_t pbft_replica_seal(const struct pbft_replica *r, uint8_t target_kind, uint32_t target,
			  const uint8_t *plain, size_t plain_size, uint8_t *buf, size_t size);

/* pbft_replica_status() - the counters and positions of @r. */
void pbft_replica_status(const struct pbft_replica *r, struct pbft_status *status);

/* pbft_replica_read_waiting() - does a READ-ONLY read wait here for something to commit? */
bool pbft_replica_read_waiting(const struct pbft_replica *r);

/* pbft_replica_state_digest() - the digest of the KV store and reply cache now: that of
 * their snapshot (pbft_snapshot_digest()). */
void pbft_replica_state_digest(const struct pbft_replica *r, uint8_t digest[PBFT_DIGEST_BYTES]);

/**
 * pbft_replica_set_byzantine() - switch this replica's Byzantine modes at run time (the
 * byzantine nemesis): @flags is enum pbft_byzantine flags, 0 for correct behaviour again.
 * Return: 0; -EINVAL for an unknown flag.
 */
int pbft_replica_set_byzantine(struct pbft_replica *r, uint32_t flags);

/**
 * pbft_replica_promises() - what @r promised so far, as bytes to keep across a restart
 * (PROTOCOL.md, Promises): its view and whether it is changing into it, its stable
 * checkpoint with the state there, and the P and Q sets a view-change of its would carry.
 * Call it between steps, and keep the bytes before the step's PRE-PREPARE, PREPARE, COMMIT,
 * VIEW-CHANGE or NEW-VIEW messages leave.
 * Return: the size (at most PBFT_PROMISES_BYTES_MAX); -EMSGSIZE if @size is too small.
 */
ssize_t pbft_replica_promises(struct pbft_replica *r, uint8_t *buf, size_t size);

/**
 * pbft_replica_restore() - a fresh replica (pbft_replica_new(), no step yet) takes up the
 * promises of its earlier life: the stable checkpoint, the P and Q sets, and the view. A
 * backup goes on in its view; a replica that was changing view goes on changing; a primary
 * leaves its view for the next. The bytes are untrusted (a damaged file).
 * Return: 0; -EBADMSG with @eb saying what is wrong (@r must then be freed, not used).
 */
int pbft_replica_restore(struct pbft_replica *r, const uint8_t *bytes, size_t size,
			 struct errbuf *eb);

/* pbft_primary() - the primary of @view among @replicas. */
uint32_t pbft_primary(uint64_t view, uint32_t replicas);

/* pbft_byzantine_parse(), pbft_bug_parse() - a PROTOCOL.md name to its flag.
 * Return: 0; -EINVAL if unknown. */
int pbft_byzantine_parse(const char *name, uint32_t *flag);
int pbft_bug_parse(const char *name, uint32_t *flag);

/* pbft_byzantine_name(), pbft_bug_name() - the PROTOCOL.md name of one flag, or NULL. */
const char *pbft_byzantine_name(uint32_t flag);
const char *pbft_bug_name(uint32_t flag);

#endif /* PBFT_H */
