/* SPDX-License-Identifier: MIT */
/* mapreduce_client.h - the Client of a MapReduce job (nodes/mapreduce/PROTOCOL.md): it talks
 * to the coordinator and reads the job's output directory, as a user of the job would. */
#ifndef MAPREDUCE_CLIENT_H
#define MAPREDUCE_CLIENT_H

#include <stdint.h>

#include "client.h"
#include "line_conn.h"

enum {
	MAPREDUCE_CLIENT_PORT = 7000,
	MAPREDUCE_CLIENT_LINE_BYTES_MAX = 256,
	MAPREDUCE_CLIENT_POLL_MS = 20,
	MAPREDUCE_CLIENT_PATH_BYTES_MAX = 512,
};

/*
 * f "job" (value {"job": J}): submit job J (waiting while an earlier one runs), wait until
 * the coordinator says it is done, and at once read OUTPUT/job-J: ok with {"job", "digest",
 * "files", "whole"} (mr_output_snapshot_take()); info if that takes longer than the job
 * timeout. f "read" (the final read): the same for the coordinator's current job, submitted
 * or not by this client ({"job": 0, ...} when there is none).
 */
struct mapreduce_client {
	struct client base;
	int64_t request_timeout_ns;
	int64_t job_timeout_ns;
	uint32_t reduces;
	const char *output;             /* borrowed: the run's output directory */
	struct in_addr addr;
	struct line_conn conn;
	char buffer[MAPREDUCE_CLIENT_LINE_BYTES_MAX];
};

void mapreduce_client_init(struct mapreduce_client *c, int64_t request_timeout_ns,
			   int64_t job_timeout_ns, const char *output, uint32_t reduces);

#endif /* MAPREDUCE_CLIENT_H */
