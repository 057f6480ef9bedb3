/* SPDX-License-Identifier: MIT */
/* cmd_clean.c - `faultline clean`: remove what crashed runs left behind. */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: faultline clean\n\n"
		     "Kills processes started by faultline runs (marked with %s in their\n"
		     "environment), removes /run/netns/%s* namespaces, root-namespace links\n"
		     "named %s*, fl-* cgroups with their processes, and %s* files in\n"
		     "/sys/fs/bpf and /dev/shm. Recorded runs in\n"
		     "store/ are never touched. Safe to run at any time; needs root.\n",
		CLUSTER_RUN_ENV, CLUSTER_PREFIX, CLUSTER_PREFIX, CLUSTER_PREFIX);
}

int cmd_clean(int argc, char **argv)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct cluster_clean_report report = { 0 };
	struct errbuf eb = { "" };
	int c, err;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : CMD_EXIT_USAGE;
	}
	if (optind != argc) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	err = cluster_clean(&report, &eb);
	printf("clean: %u processes killed, %u namespaces, %u links, %u cgroups, %u files "
	       "removed\n", report.processes_killed, report.namespaces_removed,
	       report.links_removed, report.cgroups_removed, report.files_removed);
	if (err < 0) {
		fprintf(stderr, "faultline: clean: %s: %s\n", eb.msg, strerror(-err));
		return CMD_EXIT_INTERNAL;
	}
	return 0;
}
