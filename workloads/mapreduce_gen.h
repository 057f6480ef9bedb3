/* SPDX-License-Identifier: MIT */
/* mapreduce_gen.h - the ops of a MapReduce campaign: job after job, each to the coordinator. */
#ifndef MAPREDUCE_GEN_H
#define MAPREDUCE_GEN_H

#include "gen.h"

enum { MAPREDUCE_GEN_VALUE_BYTES_MAX = 48 };

/* Op k is f "job" with value {"job": k + 1}, to node 0 (the coordinator): the client submits
 * job k + 1 and waits for it, so jobs run back to back for the whole campaign and every fault
 * lands in some job. Job numbers only grow, as the coordinator wants them. */
struct mapreduce_gen {
	struct gen base;
};

void mapreduce_gen_init(struct mapreduce_gen *g);

#endif /* MAPREDUCE_GEN_H */
