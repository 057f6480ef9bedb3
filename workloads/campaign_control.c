/* SPDX-License-Identifier: MIT */
/* campaign_control.c - what every part of a campaign calls down into: recording an op,
 * stop requests, sleeping, crash points for tests, and (re)starting a node. */
#include "campaign_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

static volatile sig_atomic_t stop_requested;

void campaign_stop(void)
{
	stop_requested = 1;
}

bool campaign_stopping(void)
{
	return stop_requested != 0;
}

void campaign_sleep_until(int64_t deadline_ns)
{
	/* Sleeps in slices so a stop request is noticed within 50 ms. */
	for (;;) {
		int64_t left = deadline_ns - monotime_ns();
		struct timespec ts;

		if (left <= 0 || campaign_stopping())
			return;
		ts = (struct timespec){ .tv_nsec = left < 50000000 ? left : 50000000 };
		nanosleep(&ts, NULL);
	}
}

void campaign_crash_point(const char *where)
{
	static long target = -1, reached;
	char *end;

	if (target < 0) {
		const char *env = getenv("FAULTLINE_CRASH_POINT");

		target = env ? strtol(env, &end, 10) : 0;
		if (!env || *end || target < 0)
			target = 0;
	}
	if (target == 0 || ++reached != target)
		return;
	fprintf(stderr, "faultline: crash point %ld (%s): SIGKILL\n", reached, where);
	raise(SIGKILL);
}

int campaign_record(struct campaign *cp, struct op *op, struct errbuf *eb)
{
	int err = hist_writer_append(cp->writer, op, eb);

	/* The writer checks the same rules as the reader: a rejected op is a harness bug. */
	ASSERT(err != -EINVAL);
	return err;
}

int campaign_start_node(struct campaign *cp, uint32_t node, struct errbuf *eb)
{
	struct cluster_start_opts opts = { .timens_fd = -1 };
	char log_path[HIST_PATH_BYTES_MAX + 64];
	struct nem_clock_start clock;

	if (cp->clock) {
		int err = nem_clock_node_start(cp->clock, node, &clock);

		if (err < 0)
			return errbuf_set(eb, err, "clock environment for node %u", node);
		opts.env = clock.env;
		opts.timens_fd = clock.timens_fd;
	}
	snprintf(log_path, sizeof(log_path), "%s/%s/%s.log", cp->report->run_dir,
		 hist_run_file_name(HIST_RUN_NODES), cluster_node_name(cp->cluster, node));
	return db_start(cp->sys->db, cp->cluster, node, log_path, &opts, eb);
}
