/* SPDX-License-Identifier: MIT */
/* run_options.c - the common options of `faultline run` and help generated from the tables. */
#include "run_options.h"

#include <stdbool.h>
#include <string.h>

#include "campaign.h"
#include "checker_table.h"
#include "cluster.h"
#include "fault.h"
#include "system.h"

enum {
	HELP_COLUMN = 32,               /* where an option's help starts */
	HELP_WIDTH = 79,                /* lines wrap before this column */
};

const struct run_option run_common_options[] = {
	{ "nodes", "N", NULL, 'n' },    /* help depends on the system: see print_nodes() */
	{ "time", "S", "seconds of client load (default 20)", 't' },
	{ "rate", "R", "ops/s over all clients (default 50)", 'r' },
	{ "concurrency", "C", "client threads (default 10)", 'c' },
	{ "nemesis", "LIST", "faults, comma-separated, each given as "
	  "name[:interval_s[:probability]] (see faults below); or none (default partition, "
	  "or the faults a --bug recommends)", 'N' },
	{ "nemesis-interval", "S", "default interval: every S seconds each fault starts (with "
	  "its probability) or stops (default 3)", 'i' },
	{ "shapes", "LIST", "partition shapes drawn at random, comma-separated, from isolate, "
	  "halves, bridge, majorities-ring and random (default: all the cluster fits)", 'S' },
	{ "seed", "X", "seed for every random choice (default: random)", 's' },
	{ "bug", "NAME", "run deliberately broken nodes (see bugs in run SYSTEM --help); the "
	  "bug's \"with:\" settings are defaults, any option given wins", 'b' },
	{ "store", "DIR", "where runs are written (default store)", 'd' },
	{ "keep", NULL, "name the namespaces fl-<id>-*, so that `ip netns exec` works; "
	  "`faultline clean` removes them if the run dies", 'k' },
	{ "op-timeout-ms", "MS", "client op timeout, then info (default 1000)", 'o' },
	{ "no-capture", NULL, "do not record packets (default: every node's traffic into "
	  "capture.pcapng in the run dir)", 'C' },
	{ "capture-max-mb", "MB", "cap on the capture file (default 64)", 'M' },
	{ "dry-run", NULL, "check the options, print the campaign's reproduce line, and exit "
	  "without running it", 'D' },
	{ NULL, NULL, NULL, 0 },
};

/* @lead padded to @column (or on a line of its own when longer), then @text wrapped at
 * word boundaries under HELP_WIDTH, continued at @column. */
static void print_wrapped(FILE *out, const char *lead, int column, const char *text)
{
	int at = fprintf(out, "%s", lead);

	if (at > 0 && at >= column) {
		fputc('\n', out);
		at = 0;
	}
	fprintf(out, "%*s", column - at, "");
	at = column;
	while (*text) {
		size_t word = strcspn(text, " ");

		if (at > column && at + 1 + (int)word > HELP_WIDTH) {
			fprintf(out, "\n%*s", column, "");
			at = column;
		}
		if (at > column)
			at += fprintf(out, " ");
		at += fprintf(out, "%.*s", (int)word, text);
		text += word;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

static void print_option(FILE *out, const char *name, const char *arg, const char *help)
{
	char lead[64];

	snprintf(lead, sizeof(lead), "  --%s%s%s", name, arg ? " " : "", arg ? arg : "");
	print_wrapped(out, lead, HELP_COLUMN, help);
}

static void print_nodes(FILE *out, const struct system_desc *desc)
{
	char help[160];

	if (desc)
		snprintf(help, sizeof(help), "nodes, %u..%u%s%s (default %u)", desc->nodes_min,
			 desc->nodes_max, desc->nodes_rule ? ", " : "",
			 desc->nodes_rule ? desc->nodes_rule : "", desc->nodes_default);
	else
		snprintf(help, sizeof(help), "nodes, 1..%d (default and bounds: see run SYSTEM "
			 "--help)", CLUSTER_NODES_MAX);
	print_option(out, "nodes", "N", help);
}

static void print_common(FILE *out, const struct system_desc *desc)
{
	for (const struct run_option *o = run_common_options; o->name; o++) {
		if (o->code == 'n')
			print_nodes(out, desc);
		else
			print_option(out, o->name, o->arg, o->help);
	}
}

static void print_faults(FILE *out, const struct system_desc *desc)
{
	const struct fault_kind *k;
	char lead[64], help[256];

	fprintf(out, "\nfaults (--nemesis NAME[:interval_s[:probability]],...):\n");
	for (size_t i = 0; (k = fault_at(desc, i)); i++) {
		if (desc == NULL && k->bit == NEM_F_MSGDROP)
			snprintf(help, sizeof(help), "%s; draws %s (systems that declare message "
				 "types)", k->help, k->params);
		else
			snprintf(help, sizeof(help), "%s; draws %s", k->help, k->params);
		snprintf(lead, sizeof(lead), "  %s", k->name);
		print_wrapped(out, lead, HELP_COLUMN, help);
	}
}

/* The system's checkers, each with its help from the checker registry. */
static void print_checkers(FILE *out, const struct system_desc *desc)
{
	const char *p = desc->checkers;
	char lead[64];

	fprintf(out, "\ncheckers (faultline check --model NAME):\n");
	while (p && *p) {
		size_t len = strcspn(p, ",");
		const struct checker_entry *e;

		snprintf(lead, sizeof(lead), "  %.*s", (int)len, p);
		e = checker_entry_find(lead + 2);
		print_wrapped(out, lead, HELP_COLUMN,
			      e ? e->help : "(not in the checker registry)");
		p += len + (p[len] == ',');
	}
}

static void print_system(FILE *out, const struct system_desc *desc)
{
	char lead[96], text[512];

	fprintf(out, "usage: faultline run %s [options]\n\n", desc->name);
	print_wrapped(out, "", 0, desc->summary);
	fprintf(out, "\n%s options:\n", desc->name);
	if (!desc->options || !desc->options[0].name)
		fprintf(out, "  (none)\n");
	for (const struct system_option *o = desc->options; o && o->name; o++)
		print_option(out, o->name, o->arg, o->help);
	fprintf(out, "\nbugs (--bug NAME):\n");
	for (const struct system_bug *b = desc->bugs; b && b->name; b++) {
		snprintf(lead, sizeof(lead), "  %s", b->name);
		print_wrapped(out, lead, HELP_COLUMN, b->help);
		if (b->with && b->with[0]) {
			snprintf(text, sizeof(text), "with: %s", b->with);
			print_wrapped(out, "", HELP_COLUMN, text);
		}
		snprintf(text, sizeof(text), "caught as: %s%s", b->caught_as,
			 b->client_side ? " (a client-side bug: the nodes are correct)" : "");
		print_wrapped(out, "", HELP_COLUMN, text);
	}
	print_checkers(out, desc);
	print_faults(out, desc);
	fprintf(out, "\noptions:\n");
	print_common(out, desc);
}

void run_help_print(FILE *out, const struct system_desc *desc)
{
	const struct system_desc *d;
	char lead[64];

	if (desc) {
		print_system(out, desc);
	} else {
		fprintf(out, "usage: faultline run SYSTEM [options]\n"
			"       faultline run SYSTEM --help   (its options, bugs, checkers and "
			"faults)\n\nsystems:\n");
		for (size_t i = 0; (d = system_desc_at(i)); i++) {
			snprintf(lead, sizeof(lead), "  %s", d->name);
			print_wrapped(out, lead, HELP_COLUMN, d->summary);
		}
		fprintf(out, "\noptions:\n");
		print_common(out, NULL);
		print_faults(out, NULL);
	}
	fprintf(out, "\nexit codes: 0 valid, 1 invalid, 2 unknown, 64 usage, 70 internal error\n");
}
