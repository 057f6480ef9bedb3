/* SPDX-License-Identifier: MIT */
/* cmd.h - the faultline subcommands; each returns the process exit code (see --help). */
#ifndef CMD_H
#define CMD_H

enum cmd_exit {
	CMD_EXIT_VALID = 0,
	CMD_EXIT_INVALID = 1,
	CMD_EXIT_UNKNOWN = 2,
	CMD_EXIT_USAGE = 64,
	CMD_EXIT_INTERNAL = 70,
};

#include <stdio.h>

/* cmd_print_warnings() - each '\n'-separated line of @lines (NULL: none) after @prefix. */
void cmd_print_warnings(FILE *out, const char *prefix, const char *lines);

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_nemesis(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif /* CMD_H */
