/* SPDX-License-Identifier: MIT */
/* campaign.h - one run: cluster up, workload and nemesis against it, final reads, verdict. */
#ifndef CAMPAIGN_H
#define CAMPAIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "checker.h"
#include "hist.h"

struct errbuf;

enum {
	CAMPAIGN_CONCURRENCY_MAX = 256,
	CAMPAIGN_SHAPES_MAX = 8,
};

struct campaign_opts {
	const char *system;             /* "crdt" */
	enum crdt_model model;
	uint32_t node_count;
	double time_s;                  /* how long clients run */
	double rate;                    /* ops per second, all clients together */
	uint32_t concurrency;           /* client threads */
	const char *nemesis;            /* "partition" or "none" */
	double nemesis_interval_s;      /* a fault lasts this long, then a heal as long */
	const char *shapes[CAMPAIGN_SHAPES_MAX]; /* partition shapes to draw from; NULL-ended */
	uint64_t seed;
	const char *bug;                /* node --bug NAME, or NULL */
	const char *store_root;         /* "store" */
	const char *node_exe;           /* crdt-node binary */
	bool keep;                      /* named namespaces, for debugging with `ip netns` */
	bool progress;                  /* one-line progress display on stderr */
	int64_t op_timeout_ns;          /* a client op taking longer is info */
	int64_t quiet_timeout_ns;       /* give up waiting for quiet replicas after this */
	int argc;                       /* the command line, recorded in config.json */
	char **argv;
};

/* Sensible defaults: 5 nodes, 20 s, 50 ops/s, 10 clients, partitions every 3 s. */
extern const struct campaign_opts campaign_defaults;

struct campaign_report {
	char run_dir[HIST_PATH_BYTES_MAX];
	enum verdict verdict;
	uint64_t ok, fail, info, nemesis_ops;
	bool quiet;                     /* replicas went quiet before the final reads */
	bool interrupted;               /* stopped early by SIGINT/SIGTERM */
};

/**
 * campaign_run() - run one campaign and check it. Prints the seed first, progress while it
 * runs (if asked), and the reproduce command, verdict and run directory at the end.
 * Return: 0 when the campaign ran and was checked (the verdict is in @report), or -errno
 * when it could not run; whatever was recorded so far stays in the run directory.
 */
int campaign_run(const struct campaign_opts *opts, struct campaign_report *report,
		 struct errbuf *eb);

/* campaign_stop() - ask a running campaign to wind down early (async-signal-safe). */
void campaign_stop(void);

#endif /* CAMPAIGN_H */
