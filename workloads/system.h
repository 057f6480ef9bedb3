/* SPDX-License-Identifier: MIT */
/* system.h - the System seam: what `faultline run <system>` needs of one system under test. */
#ifndef SYSTEM_H
#define SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "db.h"
#include "gen.h"

struct campaign_opts;
struct cluster;
struct errbuf;

enum { SYSTEM_FINAL_READS_MAX = 16 };   /* final reads taken on each node */

struct system;
struct system_thread;                   /* one client thread's clients, one per node */

/*
 * A system under test as the campaign runner sees it: a generator and a db (system.gen,
 * system.db), its clients, the reads that end a campaign and the checker model that judges
 * it. A client thread holds one client per node, all sharing one session of
 * @session_size bytes (zeroed), where a system keeps what a client carries from one op to
 * the next (lww: the causal token); @client_init sets up each client on it.
 */
struct system_ops {
	const char *name;               /* "crdt", "lww": `faultline run <name>` */
	size_t client_size;             /* bytes of one client, which embeds struct client */
	size_t session_size;            /* bytes of a thread's session; 0 for none */
	void (*client_init)(const struct system *sys, struct client *client, void *session);
	/* The reads to take on every node after the final heal: f "read" and key, value null.
	 * Fills up to @max; returns how many. */
	uint32_t (*final_reads)(const struct system *sys, struct op *out, uint32_t max);
	/* A digest of one read's result, to see when replicas stop changing. */
	uint64_t (*digest)(const struct client_result *result);
	void (*free)(struct system *sys);
	/* Optional: learn the cluster once it is set up, before nodes start (pbft: the
	 * replicas' addresses, since every request goes to all of them). */
	int (*attach)(struct system *sys, const struct cluster *cluster, struct errbuf *eb);
	/* Optional: is the node at @addr up? Return 0, or -errno while it is not. Without it,
	 * a client's open() is the probe. */
	int (*ready)(const struct system *sys, struct in_addr addr, int64_t deadline_ns,
		     struct errbuf *eb);
	/*
	 * True when reads go through the replicas' agreement (pbft): there is no quiet to wait
	 * for (and unrecorded probe reads would execute requests no history op stands for);
	 * each final read is retried until one completes ok or the liveness bound passes.
	 */
	bool agreed_reads;
};

struct system {
	const struct system_ops *ops;
	struct gen *gen;
	struct db *db;
	const char *check_model;        /* the checker model: "gset", "lww", ... */
	int64_t op_timeout_ns;          /* per connect and per request */
};

/* system_thread_new() - a thread's @node_count clients (not connected) and their session.
 * Return: 0 or -ENOMEM. */
int system_thread_new(const struct system *sys, uint32_t node_count,
		      struct system_thread **out, struct errbuf *eb);

/* system_thread_client() - the thread's client of node @node. */
struct client *system_thread_client(struct system_thread *thread, uint32_t node);

/* system_thread_free() - close every client and free; NULL is allowed. */
void system_thread_free(struct system_thread *thread);

/* system_digest_fnv() - FNV-1a of @size bytes, continuing from @h (start: SYSTEM_FNV_BASIS). */
#define SYSTEM_FNV_BASIS 1469598103934665603ull
uint64_t system_digest_fnv(uint64_t h, const void *data, size_t size);

struct replica_db;

/**
 * system_init() - fill @sys and start @db (crdt-node and lww-node share its command line)
 * from @opts: node program, bug, seed; node state under @data_root.
 * Return: 0 or -ENAMETOOLONG (@eb names the paths).
 */
int system_init(struct system *sys, const struct system_ops *ops, struct gen *gen,
		struct replica_db *db, const char *check_model,
		const struct campaign_opts *opts, const char *data_root, struct errbuf *eb);

/* How a system is made from the campaign options; the node binary is @opts->node_exe. */
struct system_kind {
	const char *name;
	const char *node_exe_name;      /* the node program, found beside faultline */
	const char *const *bugs;        /* what its nodes take as --bug NAME; NULL-ended */
	bool has_models;                /* it takes --model (crdt: gcounter, gset, orset) */
	bool has_byzantine;             /* it takes --byzantine MODE[,MODE] (pbft) */
	int (*make)(const struct campaign_opts *opts, const char *data_root,
		    struct system **out, struct errbuf *eb);
};

/* system_kind_find() - the kind named @name ("crdt", "lww"), or NULL. */
const struct system_kind *system_kind_find(const char *name);

/* system_kind_names() - "crdt, lww": every kind's name, for usage and error messages. */
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
int pbft_system_new(const struct campaign_opts *opts, const char *data_root,
		    struct system **out, struct errbuf *eb);

enum { SYSTEM_MODE_BYTES_MAX = 32 };

/**
 * pbft_system_modes() - split --byzantine "equivocate,silent" into one mode per replica (the
 * first replicas, in order), each a name pbft-node knows ("none": that replica is correct).
 * Return: 0 with *@count set; -EINVAL or -E2BIG (more than @max) with @eb naming the entry.
 */
int pbft_system_modes(const char *list, char modes[][SYSTEM_MODE_BYTES_MAX], uint32_t max,
		      uint32_t *count, struct errbuf *eb);

#endif /* SYSTEM_H */
