/* SPDX-License-Identifier: MIT */
/* crdt.h - a CRDT replica as a pure step function: requests, datagrams and ticks in, replies
 * and datagrams out (STYLE S27). No sockets, clocks or randomness inside. */
#ifndef CRDT_H
#define CRDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crdt_limits.h"
#include "crdt_object.h"
#include "errbuf.h"

struct crdt_replica;

struct crdt_config {
	uint32_t id;                    /* this replica, < replicas */
	uint32_t replicas;              /* 1..CRDT_REPLICAS_MAX */
	uint32_t bugs;                  /* enum crdt_bug flags; 0 for the correct build */
	/*
	 * First sequence number of this incarnation's tags, < CRDT_SEQ_LIMIT / 2. A restarted
	 * replica must not reuse a tag it handed out before (peers still hold it, maybe
	 * tombstoned), so the daemon derives it from the wall clock at start-up.
	 */
	uint64_t seq_base;
	/*
	 * Tag pacing, set by the daemon (tests may leave it off): at monotonic time t, only
	 * sequence numbers below seq_base + floor((t - seq_clock_ns) / 1 ms) * CRDT_SEQS_PER_MS
	 * are handed out; beyond that an add (or a remove event) is refused with "err busy".
	 * With seq_base = wall-clock-ms(T) << CRDT_SEQS_PER_MS_BITS, where T was read before
	 * seq_clock_ns, every seq is below the seq_base of any later incarnation (as long as
	 * the wall clock does not step back).
	 */
	bool seq_paced;
	int64_t seq_clock_ns;
	int64_t gossip_interval_ns;     /* anti-entropy period, > 0 */
};

enum crdt_verb { CRDT_VERB_ADD = 1, CRDT_VERB_REMOVE, CRDT_VERB_READ };

/* A parsed client request line. */
struct crdt_request {
	enum crdt_verb verb;
	enum crdt_type type;
	char name[CRDT_NAME_BYTES_MAX + 1];     /* valid, NUL-terminated */
	bool has_value;                         /* add and remove carry one, read does not */
	int64_t value;
};

enum crdt_input_kind { CRDT_INPUT_CLIENT = 1, CRDT_INPUT_PEER, CRDT_INPUT_TICK };

struct crdt_input {
	enum crdt_input_kind kind;
	struct crdt_request request;    /* CRDT_INPUT_CLIENT */
	const void *bytes;              /* CRDT_INPUT_PEER: one datagram, untrusted, borrowed */
	size_t size;
};

/* Destination of every message: all other replicas (the payload is the same for each). */
enum { CRDT_DEST_PEERS = UINT32_MAX };

struct crdt_message {
	uint32_t dest;                  /* CRDT_DEST_PEERS */
	uint32_t size;                  /* <= CRDT_DATAGRAM_BYTES_MAX */
	uint8_t bytes[CRDT_DATAGRAM_BYTES_MAX];
};

/*
 * What the state on disk must catch up with before the shell acts on the outbox. The core
 * does no file I/O (STYLE S27): it only says when the shell must save crdt_replica_save().
 */
enum crdt_persist {
	CRDT_PERSIST_NONE = 0,          /* nothing changed (reads, errors, ticks, old news) */
	CRDT_PERSIST_LAZY,              /* a merge changed the state; peers still hold it */
	CRDT_PERSIST_NOW,               /* a client update: save BEFORE the reply and datagrams */
};

/* What one step produced. Caller-owned (it is large: embed it once, do not stack it). */
struct crdt_outbox {
	enum crdt_persist persist;
	uint32_t reply_size;            /* 0: no reply; else a full line with its '\n' */
	char reply[CRDT_REPLY_BYTES_MAX + 1];
	uint32_t message_count;
	struct crdt_message messages[CRDT_OUTBOX_MSGS_MAX];
	struct errbuf eb;               /* why crdt_step() returned an error */
};

/**
 * crdt_replica_new() - allocate a replica with all its memory (the only allocation).
 * Return: 0; -EINVAL for a bad @config; -ENOMEM.
 */
int crdt_replica_new(struct crdt_replica **out, const struct crdt_config *config,
		     struct errbuf *eb);

/* crdt_replica_free() - @r may be NULL. */
void crdt_replica_free(struct crdt_replica *r);

/* crdt_replica_find() - the object called @name, or NULL; a view until the next step. */
const struct crdt_object *crdt_replica_find(const struct crdt_replica *r, const char *name);

/* crdt_replica_object() - object @index < crdt_replica_object_count(), in creation order. */
uint32_t crdt_replica_object_count(const struct crdt_replica *r);
const struct crdt_object *crdt_replica_object(const struct crdt_replica *r, uint32_t index);

/* crdt_replica_next_tick_ns() - when a tick next has work (anti-entropy); INT64_MAX never. */
int64_t crdt_replica_next_tick_ns(const struct crdt_replica *r);

/**
 * crdt_replica_save() - encode the whole state (objects and the next tag sequence number)
 * as a state file (crdt_store.h) into @buf; CRDT_STORE_BYTES_MAX always suffices.
 * Return: bytes written; -EMSGSIZE if @size is too small.
 */
ssize_t crdt_replica_save(const struct crdt_replica *r, void *buf, size_t size);

/**
 * crdt_replica_load() - restore a state file into a replica that has had no input yet.
 * Tags continue after every sequence number the file holds (or its own tags show). Under
 * the restart-empty bug the file is validated, then ignored. @buf is untrusted.
 * Return: 0; -EBADMSG (corrupt) or -EPROTO (another replica id or count) with @eb set;
 *         the replica is then still empty.
 */
int crdt_replica_load(struct crdt_replica *r, const void *buf, size_t size, struct errbuf *eb);

/**
 * crdt_request_parse() - parse one line "<verb> <type> <object>[ <integer>]", with or
 * without its "\n" (a "\r" before it is tolerated).
 * Return: 0; -EINVAL with the reply reason ("bad syntax", "unknown verb", ...) in @eb.
 */
int crdt_request_parse(const char *line, size_t size, struct crdt_request *req,
		       struct errbuf *eb);

/**
 * crdt_step() - feed one input. A client request always gets a reply line ("ok..." or
 * "err <reason>"), written after the update is applied. Updates and ticks emit datagrams.
 * An applied update sets @out->persist = CRDT_PERSIST_NOW; a merge that changed the state
 * sets CRDT_PERSIST_LAZY.
 * Return: 0; for a peer datagram that was rejected in whole or part, -EBADMSG (malformed),
 *         -EPROTO (wrong cluster, type mismatch) or -E2BIG (a bound), with @out->eb set;
 *         the valid records of a well-formed datagram are still applied.
 */
int crdt_step(struct crdt_replica *r, const struct crdt_input *in, int64_t now_ns,
	      struct crdt_outbox *out);

#endif /* CRDT_H */
