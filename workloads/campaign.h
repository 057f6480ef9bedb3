/* SPDX-License-Identifier: MIT */
/* campaign.h - one run: cluster up, workload and nemesis against it, final reads, verdict. */
#ifndef CAMPAIGN_H
#define CAMPAIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "checker.h"
#include "hist.h"
#include "schedule.h"

struct errbuf;
struct system_desc;

enum {
	CAMPAIGN_CONCURRENCY_MAX = 256,
	CAMPAIGN_SHAPES_MAX = SCHEDULE_SHAPES_MAX,
};

struct campaign_opts {
	const struct system_desc *system; /* the system under test (system.h) */
	void *system_opts;              /* its own options: system->opts_size bytes */
	uint32_t node_count;
	double time_s;                  /* how long clients run */
	double rate;                    /* ops per second, all clients together */
	uint32_t concurrency;           /* client threads */
	struct schedule_fault faults[SCHEDULE_FAULTS_MAX]; /* what the nemesis does, and when */
	uint32_t fault_count;           /* 0: no nemesis */
	double nemesis_interval_s;      /* default interval of a fault given without one */
	const char *shapes[CAMPAIGN_SHAPES_MAX]; /* partition shapes to draw from; NULL-ended */
	uint64_t seed;
	const char *bug;                /* --bug NAME, or NULL */
	const char *store_root;         /* "store" */
	const char *node_exe;           /* the system's node program */
	bool keep;                      /* named namespaces, for debugging with `ip netns` */
	bool capture;                   /* record every node's packets to capture.pcapng */
	uint64_t capture_bytes_max;     /* the capture file never grows past this */
	bool progress;                  /* one-line progress display on stderr */
	int64_t op_timeout_ns;          /* a client op taking longer is info */
	int64_t quiet_timeout_ns;       /* give up waiting for quiet replicas after this */
	int argc;                       /* the command line, recorded in config.json */
	char **argv;
};

/* campaign_opts_has_fault() - whether @o's schedule includes the fault NEM_F_* @bit. */
static inline bool campaign_opts_has_fault(const struct campaign_opts *o, uint32_t bit)
{
	for (uint32_t i = 0; i < o->fault_count; i++) {
		if (o->faults[i].fault == bit)
			return true;
	}
	return false;
}

/* Sensible defaults: 20 s, 50 ops/s, 10 clients, partitions every 3 s; no system yet. */
extern const struct campaign_opts campaign_defaults;

struct campaign_report {
	char run_dir[HIST_PATH_BYTES_MAX];
	enum verdict verdict;
	uint64_t ok, fail, info, nemesis_ops;
	bool quiet;                     /* replicas went quiet before the final reads */
	uint64_t captured_packets;      /* in capture.pcapng */
	bool capture_capped;            /* the capture reached its size cap */
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

/**
 * campaign_crash_point() - a place where tests may kill the harness: when the environment
 * variable FAULTLINE_CRASH_POINT is N, the Nth call raises SIGKILL on this process, so a test
 * can stop a run at any step of set-up, load or teardown and check what `faultline clean`
 * leaves. @where names the step on stderr first. A no-op when the variable is unset.
 */
void campaign_crash_point(const char *where);

#endif /* CAMPAIGN_H */
