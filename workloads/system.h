/* SPDX-License-Identifier: MIT */
/* system.h - the System seam: what `faultline run <system>` needs of one system under test. */
#ifndef SYSTEM_H
#define SYSTEM_H

#include <stdint.h>

#include "client.h"
#include "db.h"
#include "gen.h"

struct campaign_opts;
struct errbuf;

enum { SYSTEM_FINAL_READS_MAX = 16 };   /* final reads taken on each node */

struct system;
struct system_thread;                   /* one client thread's connections, one per node */

/*
 * A system under test as the campaign runner sees it: a generator and a db (system.gen,
 * system.db), clients grouped per client thread (a thread keeps one connection per node and
 * whatever session state its system needs, e.g. the causal token of lww), the reads that end
 * a campaign and the checker model that judges it.
 */
struct system_ops {
	const char *name;               /* "crdt", "lww": `faultline run <name>` */
	/* One client thread's clients, one per node, not connected until used. */
	int (*thread_new)(struct system *sys, uint32_t node_count, struct system_thread **out,
			  struct errbuf *eb);
	struct client *(*thread_client)(struct system_thread *thread, uint32_t node);
	/* Closes every connection and frees; NULL is allowed. */
	void (*thread_free)(struct system_thread *thread);
	/* The reads to take on every node after the final heal: f "read" and key, value null.
	 * Fills up to @max; returns how many. */
	uint32_t (*final_reads)(const struct system *sys, struct op *out, uint32_t max);
	/* A digest of one read's result, to see when replicas stop changing. */
	uint64_t (*digest)(const struct client_result *result);
	void (*free)(struct system *sys);
};

struct system {
	const struct system_ops *ops;
	struct gen *gen;
	struct db *db;
	const char *check_model;        /* the checker model: "gset", "lww", ... */
	int64_t op_timeout_ns;          /* per connect and per request */
};

/* How a system is made from the campaign options; the node binary is @opts->node_exe. */
struct system_kind {
	const char *name;
	const char *node_exe_name;      /* the node program, found beside faultline */
	int (*make)(const struct campaign_opts *opts, const char *data_root,
		    struct system **out, struct errbuf *eb);
};

/* system_kind_find() - the kind named @name ("crdt", "lww"), or NULL. */
const struct system_kind *system_kind_find(const char *name);

/* system_kind_names() - "crdt, lww": for usage and error messages. */
const char *system_kind_names(void);

static inline void system_free(struct system *sys)
{
	if (sys)
		sys->ops->free(sys);
}

/* The systems (crdt_system.c, lww_system.c). */
int crdt_system_new(const struct campaign_opts *opts, const char *data_root,
		    struct system **out, struct errbuf *eb);
int lww_system_new(const struct campaign_opts *opts, const char *data_root,
		   struct system **out, struct errbuf *eb);

#endif /* SYSTEM_H */
