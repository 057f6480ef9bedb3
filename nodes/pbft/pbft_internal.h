/* SPDX-License-Identifier: MIT */
/* pbft_internal.h - the replica's state and the core's private functions, shared by the
 * core's .c files (PROTOCOL.md, Files). Not part of the API. */
#ifndef PBFT_INTERNAL_H
#define PBFT_INTERNAL_H

#include "pbft.h"
#include "pbft_kv.h"

/*
 * One sequence number's agreement state. Invariants: seq == 0 or stable_seq < seq <=
 * stable_seq + window; has_pp implies digest is the digest the pre-prepare named (and, unless
 * no-digest-check, batch's digest); a vote is kept per sender, the first one of the view wins;
 * committed implies prepared in some view; executed implies committed.
 */
struct pbft_slot {
	uint64_t seq;                   /* 0: free */
	uint64_t view;                  /* the view of the votes below */
	bool has_pp;
	uint8_t digest[PBFT_DIGEST_BYTES];
	struct pbft_batch batch;
	uint32_t prepare_mask, commit_mask;             /* senders that voted this view */
	uint8_t prepare_digest[PBFT_REPLICAS_MAX][PBFT_DIGEST_BYTES];
	uint8_t commit_digest[PBFT_REPLICAS_MAX][PBFT_DIGEST_BYTES];
	uint32_t prepare_msgs[PBFT_REPLICAS_MAX];       /* messages per sender (the bug) */
	uint32_t commit_msgs[PBFT_REPLICAS_MAX];
	bool prepared, commit_sent, committed, executed;
	/* The last prepared certificate, kept across views for view-change messages (P). */
	bool has_cert;
	struct pbft_cert cert;
	/* The pre-prepares accepted here (Q): per digest the latest view; when full, the one
	 * of the oldest view gives way (pbft_vouch_record()). */
	uint32_t vouch_count;
	struct pbft_vouch vouches[PBFT_VOUCHES_PER_SEQ];
	uint32_t echoed_mask;           /* conflicting-votes: peers already answered */
};

/* Checkpoint votes for one seq (a multiple of K). */
struct pbft_ckpt {
	uint64_t seq;                   /* 0: free */
	uint32_t mask;
	uint8_t digest[PBFT_REPLICAS_MAX][PBFT_DIGEST_BYTES];
	uint32_t msgs[PBFT_REPLICAS_MAX];
	bool own;                       /* we executed through seq */
	uint8_t own_digest[PBFT_DIGEST_BYTES];
	struct pbft_snapshot own_snap;  /* own: the state at seq, for STATE replies */
};

/* A checkpoint some replica announced for a seq above our executed seq (state transfer). */
struct pbft_claim {
	uint64_t seq;                   /* 0: free */
	uint8_t digest[PBFT_DIGEST_BYTES];
};

struct pbft_client {
	uint64_t last_timestamp;        /* 0: nothing executed */
	struct pbft_result reply;       /* the reply to last_timestamp */
};

/* What executing one request changed, to undo a tentative execution. */
struct pbft_undo {
	bool applied;                   /* false: skipped (its client had a later timestamp) */
	uint32_t client, key;
	struct pbft_value key_was;
	struct pbft_client client_was;
};

/*
 * The one batch executed tentatively (config.tentative): prepared but not committed, at
 * executed_seq + 1, with what each of its requests changed. seq == 0: none. Invariant:
 * seq == 0 or seq == executed_seq + 1 and that slot is prepared in the current view.
 */
struct pbft_tentative {
	uint64_t seq;
	uint32_t count;                 /* the batch's requests */
	struct pbft_undo undo[PBFT_BATCH_MAX];
};

/* A READ-ONLY read held until everything prepared here when it came has executed. */
struct pbft_read_wait {
	struct pbft_request request;
	uint64_t until_seq;             /* the highest seq prepared here when it came */
};

struct pbft_pending {
	struct pbft_request request;
	bool proposed;                  /* in a pre-prepare of the current view */
};

struct pbft_replica {
	struct pbft_config config;
	uint32_t f;
	struct pbft_mac_key key_send[PBFT_REPLICAS_MAX + PBFT_CLIENTS_MAX];    /* (id, j) */
	struct pbft_mac_key key_recv[PBFT_REPLICAS_MAX + PBFT_CLIENTS_MAX];    /* (j, id) */
	uint64_t view;
	bool view_changing;             /* sent a view-change for view, no new-view yet */
	uint64_t next_seq;              /* primary: the next seq to assign */
	uint64_t stable_seq;
	uint8_t stable_digest[PBFT_DIGEST_BYTES];
	struct pbft_snapshot stable_snap;               /* the state at stable_seq */
	uint64_t executed_seq;
	uint64_t ticks, progress_tick;  /* progress_tick: last execution or view start */
	uint64_t wait_tick;             /* when pending[] last stopped being empty */
	struct pbft_slot slots[PBFT_LOG_SEQS_MAX];      /* index seq % window */
	struct pbft_ckpt ckpts[PBFT_LOG_SEQS_MAX];      /* index (seq / K) % window */
	struct pbft_kv kv;
	struct pbft_client clients[PBFT_CLIENTS_MAX];
	struct pbft_tentative tentative;
	uint64_t read_waiting;                          /* bit c: read_wait[c] holds one */
	struct pbft_read_wait read_wait[PBFT_CLIENTS_MAX];
	uint32_t pending_count;
	struct pbft_pending pending[PBFT_PENDING_MAX];
	uint32_t vc_mask;                               /* senders of vcs[] for view */
	struct pbft_msg vcs[PBFT_REPLICAS_MAX];         /* the view-changes for view */
	bool nv_valid;
	struct pbft_msg nv;                             /* new primary: its new-view */
	struct pbft_msg inbox;                          /* the message being handled */
	struct pbft_msg scratch;                        /* the message being built */
	struct pbft_msg byz;                            /* pbft_byz.c's own */
	/* State transfer (pbft_state.c): per sender its latest checkpoint claims. */
	struct pbft_claim claims[PBFT_REPLICAS_MAX][PBFT_CLAIMS_PER_REPLICA];
	uint32_t fetch_rotor;                           /* which claimant to ask next */
	uint64_t state_sent[PBFT_REPLICAS_MAX];         /* tick + 1 of the last STATE to each */
	/* replay: a ring of own earlier plain messages. */
	uint8_t replay[PBFT_REPLAY_RING][PBFT_REPLAY_BYTES_MAX];
	uint32_t replay_size[PBFT_REPLAY_RING];
	uint32_t replay_seen, replay_count, replay_next, replay_cursor;
	struct pbft_status counters;                    /* the *_count fields */
	struct pbft_outputs *out;                       /* during a step only */
};

static inline uint32_t pbft_quorum(const struct pbft_replica *r)
{
	return 2 * r->f + 1;
}

/* The output queue of a step (pbft_out.c). */
void pbft_out_send(struct pbft_replica *r, const struct pbft_msg *m, uint8_t kind,
		   uint32_t target);
void pbft_out_plain(struct pbft_replica *r, const uint8_t *plain, size_t size, uint8_t kind,
		    uint32_t target);
struct pbft_event *pbft_out_event(struct pbft_replica *r, uint8_t type);
void pbft_msg_init(const struct pbft_replica *r, struct pbft_msg *m, uint8_t type,
		   uint64_t seq, const uint8_t digest[PBFT_DIGEST_BYTES]);

/* The log's slots (pbft_slot.c). */
struct pbft_slot *pbft_slot_get(struct pbft_replica *r, uint64_t seq);
void pbft_slot_reset(struct pbft_slot *s, uint64_t seq);
void pbft_vouch_record(struct pbft_slot *s, uint64_t view);

/* The normal case (pbft.c). */
void pbft_accept_pre_prepare(struct pbft_replica *r, uint64_t view, uint64_t seq,
			     const uint8_t digest[PBFT_DIGEST_BYTES],
			     const struct pbft_batch *batch);
void pbft_try_commit(struct pbft_replica *r, struct pbft_slot *s);
uint32_t pbft_popcount(uint32_t mask);

/* Requests, execution and checkpoints (pbft_exec.c). */
void pbft_pending_propose(struct pbft_replica *r);
void pbft_execute_ready(struct pbft_replica *r);
void pbft_on_checkpoint(struct pbft_replica *r, const struct pbft_msg *m);
void pbft_on_request(struct pbft_replica *r, const struct pbft_request *q);
void pbft_on_read_only(struct pbft_replica *r, const struct pbft_request *q);
void pbft_tentative_undo(struct pbft_replica *r);
void pbft_read_only_answer(struct pbft_replica *r);
void pbft_snapshot_take(const struct pbft_replica *r, struct pbft_snapshot *snap);
void pbft_pending_drop_executed(struct pbft_replica *r);
void pbft_log_collect(struct pbft_replica *r, uint64_t seq, const uint8_t digest[PBFT_DIGEST_BYTES],
		      const struct pbft_snapshot *snap);

/* State transfer (pbft_state.c). */
void pbft_state_claim(struct pbft_replica *r, const struct pbft_msg *checkpoint);
void pbft_state_tick(struct pbft_replica *r);
bool pbft_state_behind(const struct pbft_replica *r);
void pbft_on_fetch_state(struct pbft_replica *r, const struct pbft_msg *m);
void pbft_on_state(struct pbft_replica *r, const struct pbft_msg *m);
void pbft_snapshot_apply(struct pbft_replica *r, const struct pbft_snapshot *snap);

/* View change (pbft_view.c). */
void pbft_view_tick(struct pbft_replica *r);
void pbft_on_view_change(struct pbft_replica *r, const struct pbft_msg *m);
void pbft_on_new_view(struct pbft_replica *r, const struct pbft_msg *m);
void pbft_view_retransmit(struct pbft_replica *r);
void pbft_view_change_fill(const struct pbft_replica *r, struct pbft_msg *m);
void pbft_view_restore(struct pbft_replica *r, bool changing);

/* Byzantine hooks (pbft_byz.c). */
void pbft_byz_pre_prepare(struct pbft_replica *r, const struct pbft_msg *pp);
void pbft_byz_echo(struct pbft_replica *r, const struct pbft_msg *m);
void pbft_byz_view_change(struct pbft_replica *r, struct pbft_msg *vc);
void pbft_byz_reply(const struct pbft_replica *r, struct pbft_result *result);
void pbft_byz_sent(struct pbft_replica *r, const struct pbft_msg *m, uint8_t kind,
		   const uint8_t *plain, size_t size);
void pbft_byz_tick(struct pbft_replica *r);

#endif /* PBFT_INTERNAL_H */
