/* SPDX-License-Identifier: MIT */
/* campaign_config.h - a run's config.json and the command that reproduces it. */
#ifndef CAMPAIGN_CONFIG_H
#define CAMPAIGN_CONFIG_H

#include <stdio.h>

struct campaign;
struct campaign_opts;
struct errbuf;

/* campaign_config_write() - every parameter, the seed and the schedule, in config.json. */
int campaign_config_write(const struct campaign *cp, const char *run_id, struct errbuf *eb);

/* campaign_print_reproduce() - the `faultline run ...` line that repeats @opts. */
void campaign_print_reproduce(const struct campaign_opts *opts, FILE *out);

#endif /* CAMPAIGN_CONFIG_H */
