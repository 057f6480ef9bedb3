/* SPDX-License-Identifier: MIT */
/* byzantine.h - the Byzantine nemesis: turns replicas Byzantine and back at run time. */
#ifndef BYZANTINE_H
#define BYZANTINE_H

#include <stdint.h>

#include "nemesis.h"

struct errbuf;

enum {
	NEM_BYZANTINE_MODES_MAX = 16,   /* mode names a system may declare, "none" included */
	NEM_BYZANTINE_TIMEOUT_NS = 1000 * 1000000, /* per node: connect, request, reply */
};

/*
 * What the system under test says about its Byzantine modes: the TCP line port where its
 * nodes take "byzantine MODE" and answer "ok ...", and the mode names, the correct one
 * ("none") first, NULL-ended. nem_params.modes index this list.
 */
struct nem_byzantine_config {
	uint16_t port;
	const char *const *modes;
};

/*
 * The "byzantine" nemesis (fs NEM_F_BYZANTINE). invoke understands:
 *   "start-byzantine": each node i in params->nodes gets "byzantine <mode>" with mode
 *     params->modes[i] (1.. past "none") on its line port; nodes 0: one node and mode drawn
 *     from the prng. Value {"byzantine":{"n1":"equivocate"}}, plus "failed":["n2"] for nodes
 *     that did not say ok (down, paused or partitioned from the harness).
 *   "stop-byzantine": "byzantine none" to the nodes given; nodes 0: every node this nemesis
 *     made Byzantine and has not made correct since. Value {"correct":["n1"]}, "failed" too.
 * The first failure's -errno is returned (the others are still tried). Blocks up to
 * NEM_BYZANTINE_TIMEOUT_NS per node; allocates nothing. teardown makes every node it made
 * Byzantine correct again (best effort).
 */
extern const struct nemesis_ops nem_byzantine_ops;

/* nem_byzantine_new() - an idle Byzantine nemesis for @config (copied; its names are
 * borrowed). Return: 0, -EINVAL for a bad config, -ENOMEM. */
int nem_byzantine_new(struct nemesis **out, const struct nem_byzantine_config *config,
		      struct errbuf *eb);

#endif /* BYZANTINE_H */
