/* SPDX-License-Identifier: MIT */
/* lww.h - a last-writer-wins register store as a pure core: registers and their merge
 * (lww_store.h), HLC stamping at a physical time the caller passes in, client requests and
 * replies (STYLE S27). No sockets, clocks or randomness inside. */
#ifndef LWW_H
#define LWW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hlc.h"
#include "lww_limits.h"
#include "lww_store.h"

struct errbuf;

/* Deliberate bugs, as flags in struct lww_config.bugs (PROTOCOL.md). */
enum lww_bug {
	LWW_BUG_WALLCLOCK = 1u << 0,    /* "wallclock-lww": stamp with the raw wall clock */
};

struct lww_config {
	uint32_t id;                    /* this node, < replicas */
	uint32_t replicas;              /* 1..LWW_REPLICAS_MAX */
	uint32_t bugs;                  /* enum lww_bug flags; 0 for the correct node */
	int64_t max_offset_ns;          /* hlc_recv() refuses a remote this far ahead; 0: off */
};

/* Invariant (without wallclock-lww): every ts in store is <= hlc_pack(&hlc.last). */
struct lww_node {
	struct lww_config config;
	struct hlc hlc;
	struct lww_store store;
	uint64_t refused_count;         /* gossip registers refused (clock bound, no slot) */
};

/**
 * lww_node_init() - an empty node in caller storage, its HLC at (0, 0).
 * Return: 0; -EINVAL for a bad @config, with @eb set.
 */
int lww_node_init(struct lww_node *n, const struct lww_config *config, struct errbuf *eb);

/* lww_bug_parse() - "wallclock-lww" to its flag. Return: 0; -EINVAL if unknown. */
int lww_bug_parse(const char *name, uint32_t *bug);

enum lww_verb { LWW_VERB_READ = 1, LWW_VERB_WRITE };

struct lww_request {
	enum lww_verb verb;
	char key[LWW_KEY_BYTES_MAX + 1];        /* valid, NUL-terminated */
	uint32_t key_size;
	int64_t value;                          /* write only */
	uint64_t after;                         /* write only: 0, or a TS (<= INT64_MAX) */
};

/**
 * lww_request_parse() - "read KEY" or "write KEY VALUE AFTER", with or without its "\n"
 * (a "\r" before it is tolerated). Words are separated by exactly one space.
 * Return: 0; -EINVAL with the reply reason in @eb: "bad syntax", "unknown verb", "bad key",
 *         "bad value" or "bad after".
 */
int lww_request_parse(const char *line, size_t size, struct lww_request *req,
		      struct errbuf *eb);

/* What serving one request produced; lww_reply_format() makes the line. */
struct lww_reply {
	const char *error;              /* NULL: ok; else a static reason, no newline */
	enum lww_verb verb;
	struct lww_register reg;        /* read: the register; write: the write's own stamp */
	int64_t wall_ns;                /* the physical time the request was served at */
	uint64_t hlc;                   /* hlc_pack(&hlc.last) after serving */
	bool persist;                   /* an applied write: save before replying */
};

/**
 * lww_node_serve() - serve @req at physical time @pt_ns (CLOCK_REALTIME, read by the
 * caller). A write is stamped (see PROTOCOL.md, Timestamps) and merged into the store; a
 * read changes no register. Errors are replies: "too many keys", "after too far ahead",
 * "clock overflow", "clock before epoch"; a failed write changes nothing.
 */
void lww_node_serve(struct lww_node *n, const struct lww_request *req, int64_t pt_ns,
		    struct lww_reply *out);

/**
 * lww_reply_format() - "ok VALUE TS WRITER WALL HLC\n" (read; VALUE and WRITER "-" when
 * never written), "ok TS WRITER WALL HLC\n" (write) or "err REASON\n", NUL-terminated.
 * Return: the length; -EMSGSIZE if @size < LWW_REPLY_BYTES_MAX + 1 does not hold it.
 */
ssize_t lww_reply_format(const struct lww_reply *r, char *buf, size_t size);

/**
 * lww_node_gossip() - the whole store as one datagram (lww_wire.h) into @buf.
 * Return: its size; -EMSGSIZE if @size is too small (LWW_DATAGRAM_BYTES_MAX always fits).
 */
ssize_t lww_node_gossip(const struct lww_node *n, void *buf, size_t size);

/**
 * lww_node_receive() - validate the untrusted datagram @bytes whole, then merge it at
 * physical time @pt_ns. Without wallclock-lww, each register not already below the clock
 * first goes through hlc_recv(); one it refuses is not merged (so the clock stays past
 * every ts held). With it, the HLC only ticks (hlc_now(), errors ignored).
 * @changed: set true if the store changed.
 * Return: 0; -EBADMSG (malformed), -EPROTO (wrong cluster size or sender) with nothing
 *         merged; -E2BIG (no slot for a key) or -ERANGE/-EOVERFLOW (clock refused a
 *         register) with the other registers merged. @eb says why.
 */
int lww_node_receive(struct lww_node *n, const void *bytes, size_t size, int64_t pt_ns,
		     bool *changed, struct errbuf *eb);

/**
 * lww_node_save() - the state file (lww_wire.h) of the store into @buf.
 * Return: its size; -EMSGSIZE if @size is too small (LWW_STORE_BYTES_MAX always fits).
 */
ssize_t lww_node_save(const struct lww_node *n, void *buf, size_t size);

/**
 * lww_node_load() - restore an untrusted state file into a node that holds no key yet,
 * and put its HLC at the largest stored ts, so every later stamp is above all of them.
 * Return: 0; -EBADMSG (corrupt) or -EPROTO (another node id or replica count) with @eb
 *         set; the node is then unchanged.
 */
int lww_node_load(struct lww_node *n, const void *buf, size_t size, struct errbuf *eb);

#endif /* LWW_H */
