/* SPDX-License-Identifier: MIT */
/* main.c - the faultline command table and dispatch (STYLE S43). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "run", cmd_run, "run a campaign: nodes in namespaces, workload, nemesis, verdict" },
	{ "check", cmd_check, "check a recorded history (run dir or history.jsonl)" },
	{ "convert", cmd_convert, "write a Jepsen history (EDN or log) as faultline JSONL" },
	{ "clean", cmd_clean, "remove every leftover of crashed runs (namespaces, processes...)" },
	{ "nemesis", cmd_nemesis, "one fault by hand on a live `run --keep` cluster (--list)" },
	{ "help", cmd_help, "show this help" },
};

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: faultline <command> [options]   (faultline <command> --help for more)\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-7s %s\n", cmds[i].name, cmds[i].help);
	printf("\nexit codes: 0 valid/success, 1 invalid, 2 unknown or bad history,"
	       " 64 usage error, 70 internal or system error\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(0, NULL);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "faultline: unknown command '%s' (try faultline help)\n", argv[1]);
	return CMD_EXIT_USAGE;
}
