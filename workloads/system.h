/* SPDX-License-Identifier: MIT */
/* system.h - the System seam: what `faultline run <system>` needs of one system under test. */
#ifndef SYSTEM_H
#define SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client.h"
#include "db.h"
#include "gen.h"

struct campaign_opts;
struct cluster;
struct errbuf;
struct fault_kind;
struct json_t;

enum {
	SYSTEM_FINAL_READS_MAX = 16,    /* final reads taken on each node */
	SYSTEM_START_VALUE_BYTES_MAX = 512, /* the value of a system's start op */
	SYSTEM_OPTS_BYTES_MAX = 256,    /* a system's own options (system_desc.opts_size) */
};

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
	const char *name;               /* `faultline run <name>` */
	size_t client_size;             /* bytes of one client, which embeds struct client */
	size_t session_size;            /* bytes of a thread's session; 0 for none */
	void (*client_init)(const struct system *sys, struct client *client, void *session);
	/* The reads to take on every node after the final heal: f "read" and key, value null.
	 * Fills up to @max; returns how many. */
	uint32_t (*final_reads)(const struct system *sys, struct op *out, uint32_t max);
	/* A digest of one read's result, to see when replicas stop changing. */
	uint64_t (*digest)(const struct client_result *result);
	void (*free)(struct system *sys);
	/* Optional: learn the cluster once it is set up, before nodes start (its replicas'
	 * addresses, when every request goes to all of them). */
	int (*attach)(struct system *sys, const struct cluster *cluster, struct errbuf *eb);
	/* Optional: is the node at @addr up? Return 0, or -errno while it is not. Without it,
	 * a client's open() is the probe. */
	int (*ready)(const struct system *sys, struct in_addr addr, int64_t deadline_ns,
		     struct errbuf *eb);
	/* Optional: the faults the nodes start with (a replica started Byzantine), recorded as
	 * one nemesis invoke/info pair at the start of the history: sets *@f and writes the
	 * JSON value into @value. Return: 1 when there is one, 0 when none, -errno. */
	int (*start_faults)(const struct system *sys, const struct cluster *cluster,
			    const char **f, char *value, size_t size, struct errbuf *eb);
	/*
	 * True when reads go through the replicas' agreement: there is no quiet to wait
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
	/* The system's declared settle time: after the final heal, the final phase waits this
	 * long before it probes for quiet (0: no wait); a checker may judge the final reads
	 * as those of a settled system (chord: an ideal ring). */
	int64_t settle_ns;
	/* Take the final reads (not marked final, one process a round) in each quiet spell of
	 * the run too: no fault in force, S after the last nemesis op, and the next not yet
	 * due (chord: state dumps judged by Zave's invariants while the run goes on). */
	bool quiet_snapshots;
};

/* ---- The descriptor: what a system says it is (one per system, in its own file) ------- */

/* One option of a system's own, e.g. --model NAME; parsed into the system's options. */
struct system_option {
	const char *name;               /* "model": given as --model */
	const char *arg;                /* "gcounter|gset|orset"; NULL for a flag */
	const char *help;               /* one line */
	/* @opts: the system's own options (opts_size bytes); @arg NULL for a flag. */
	int (*parse)(void *opts, const char *arg, struct errbuf *eb);
};

/* One seeded bug, and the settings that expose it when the user gives none. */
struct system_bug {
	const char *name;               /* --bug NAME */
	const char *help;               /* one line */
	const char *with;               /* run arguments it gets by default ("" for none) */
	const char *caught_as;          /* the anomaly kinds that name it, comma-separated */
	bool client_side;               /* the client has it; the nodes are correct */
};

struct system_desc {
	const char *name;               /* `faultline run NAME` */
	const char *summary;            /* one line for `run --help` */
	const char *node_program;       /* found beside faultline in nodes/<name>/ */
	uint32_t nodes_default, nodes_min, nodes_max;
	const char *nodes_rule;         /* help for --nodes, e.g. "3f+1: 4, 7 or 10" */
	/* Optional: a count in [min, max] the system still refuses (3f+1). */
	int (*nodes_check)(uint32_t count, struct errbuf *eb);
	const struct system_option *options; /* ended by a NULL name */
	const struct system_bug *bugs;  /* ended by a NULL name */
	const char *checkers;           /* the checkers (checker_table.h) that judge its runs:
					 * "a,b", one per --model when it has several */
	/* The faults it adds to the generic ones (fault.h); NULL-ended; NULL for none. */
	const struct fault_kind *const *faults;
	/* msgdrop: the first payload bytes of its datagrams that may be dropped; 0-ended. */
	const uint8_t *msg_types;
	/* Optional: the subset of @msg_types msgdrop draws from under @opts (0-ended), or NULL
	 * for all of them. */
	const uint8_t *(*msgdrop_types)(const void *opts);
	size_t opts_size;               /* bytes of its own options */
	void (*opts_defaults)(void *opts);
	/* Optional: checks across fields once every option is parsed; may set defaults. */
	int (*opts_check)(void *opts, struct campaign_opts *o, struct errbuf *eb);
	/* Makes the system from the campaign options; node state under @data_root. */
	int (*make)(const struct campaign_opts *o, const char *data_root, struct system **out,
		    struct errbuf *eb);
	/* Optional: its options in config.json (added to @root) and the reproduce line. */
	void (*config_json)(const void *opts, struct json_t *root);
	void (*reproduce)(const void *opts, FILE *out);
};

/* system_desc_find() - the system named @name, or NULL. */
const struct system_desc *system_desc_find(const char *name);

/* system_desc_at() - the @i-th system of the table, NULL past the end. */
const struct system_desc *system_desc_at(size_t i);

/* system_desc_names() - "crdt, lww": every system's name, for usage and error messages. */
const char *system_desc_names(void);

/* system_bug_find() - @desc's bug named @name, or NULL. */
const struct system_bug *system_bug_find(const struct system_desc *desc, const char *name);

/* ---- Helpers for the systems (system_thread.c) ---------------------------------------- */

/* system_thread_new() - a thread's @node_count clients (not connected) and their session.
 * Return: 0 or -ENOMEM. */
int system_thread_new(const struct system *sys, uint32_t node_count,
		      struct system_thread **out, struct errbuf *eb);

/* system_thread_client() - the thread's client of node @node. */
struct client *system_thread_client(struct system_thread *thread, uint32_t node);

/* system_thread_free() - close every client and free; NULL is allowed. */
void system_thread_free(struct system_thread *thread);

struct replica_db;

/**
 * system_init() - fill @sys and start @db (the replica programs share its command line)
 * from @opts: node program, bug, seed; node state under @data_root.
 * Return: 0 or -ENAMETOOLONG (@eb names the paths).
 */
int system_init(struct system *sys, const struct system_ops *ops, struct gen *gen,
		struct replica_db *db, const char *check_model,
		const struct campaign_opts *opts, const char *data_root, struct errbuf *eb);


static inline void system_free(struct system *sys)
{
	if (sys)
		sys->ops->free(sys);
}

#endif /* SYSTEM_H */
