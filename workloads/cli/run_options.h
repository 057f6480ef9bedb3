/* SPDX-License-Identifier: MIT */
/* run_options.h - `faultline run`'s options common to every system, and its help text, both
 * from tables: the common options here, each system's own from its descriptor (system.h). */
#ifndef RUN_OPTIONS_H
#define RUN_OPTIONS_H

#include <stdio.h>

struct system_desc;

/* One option every system takes. */
struct run_option {
	const char *name;               /* "nodes": given as --nodes */
	const char *arg;                /* "N"; NULL for a flag */
	const char *help;               /* one line; "%n" is not used */
	int code;                       /* getopt_long's val */
};

/* Every common option, ended by a NULL name. */
extern const struct run_option run_common_options[];

/*
 * run_help_print() - `faultline run --help` (@desc NULL: the systems, the common options and
 * the generic faults) or `faultline run SYSTEM --help` (that system's options, node counts,
 * bugs with the faults that expose them, checkers and faults, then the common options).
 */
void run_help_print(FILE *out, const struct system_desc *desc);

#endif /* RUN_OPTIONS_H */
