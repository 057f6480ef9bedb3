/* SPDX-License-Identifier: MIT */
/* cmd_convert.c - `faultline convert`: any history form (Jepsen EDN or log, ours) as JSONL. */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "jepsen_import.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faultline convert [--strict] FILE\n"
		"  Read a history in any form faultline knows, detected from its content, and\n"
		"  write it to stdout as faultline JSON Lines (histories/FORMAT.md):\n"
		"  - faultline JSONL (copied through the validating reader);\n"
		"  - Jepsen EDN: one op map per line, or one vector or list of op maps;\n"
		"  - Jepsen console log: \"INFO  jepsen.util - <process> :<type> :<f> <value>\".\n"
		"  Without :index or :time, file order is real-time order: index and time are\n"
		"  the position. Errors name the input as FILE:LINE. What Jepsen writes but\n"
		"  the format does not allow is fitted with a warning naming its line\n"
		"  (`faultline check --help` lists it); --strict refuses it instead.\n"
		"exit codes: 0 converted, 2 bad history, 64 usage error, 70 write error\n");
}

struct convert_opts {
	const char *source;
	bool strict;
};

static const struct convert_opts convert_defaults = { .source = NULL };

void cmd_print_warnings(FILE *out, const char *prefix, const char *lines)
{
	/* Bounded by the text: each pass prints one line. */
	while (lines && *lines) {
		int n = (int)strcspn(lines, "\n");

		fprintf(out, "%s%.*s\n", prefix, n, lines);
		lines += n + (lines[n] == '\n');
	}
}

int cmd_convert(int argc, char **argv)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' },
						 { "strict", no_argument, NULL, 's' }, { 0 } };
	struct convert_opts o = convert_defaults;
	struct errbuf eb = { "" };
	struct history h;
	int c, err = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 's') {
			o.strict = true;
			continue;
		}
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : CMD_EXIT_USAGE;
	}
	if (argc - optind != 1) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	o.source = argv[optind];
	err = jepsen_import_load(&h, o.source, &(struct jepsen_import_opts){ .strict = o.strict },
				 NULL, &eb);
	if (err < 0) {
		fprintf(stderr, "faultline: convert: %s\n", eb.msg[0] ? eb.msg : strerror(-err));
		return CMD_EXIT_UNKNOWN;
	}
	cmd_print_warnings(stderr, "faultline: convert: warning: ", h.warning);
	for (uint64_t i = 0; i < h.count && !err; i++)
		err = hist_writer_print(stdout, &h.ops[i], &eb);
	if (!err && fflush(stdout) != 0)
		err = errbuf_set(&eb, -EIO, "stdout: write failed");
	hist_fini(&h);
	if (err < 0) {
		fprintf(stderr, "faultline: convert: %s: %s\n", o.source, eb.msg);
		return err == -EIO ? CMD_EXIT_INTERNAL : CMD_EXIT_UNKNOWN;
	}
	return 0;
}
