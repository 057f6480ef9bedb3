/* SPDX-License-Identifier: MIT */
/*
 * test_run_help.c - `faultline run --help` and `run SYSTEM --help` match behaviour: every
 * system, option, bug, checker and fault the texts list is read back from them and tried
 * on the real binary with --dry-run (accepted), every bug reaches the node program (or,
 * client-side, is not the node's), and what the texts leave out is refused.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "checker_table.h"
#include "cluster.h"
#include "system.h"

#ifndef FAULTLINE_EXE
#error "FAULTLINE_EXE must name the faultline binary"
#endif

enum {
	TEXT_BYTES_MAX = 64 * 1024,     /* one command's output */
	ITEMS_MAX = 64,                 /* entries of one help section */
	ITEM_BYTES_MAX = 64,
	HELP_COLUMN = 32,               /* where run_options.c starts an entry's help */
};

static char text[TEXT_BYTES_MAX];

/* Runs @cmd (stderr into stdout) and keeps its output in text. Return: the exit code. */
static int run(const char *fmt, ...)
{
	char cmd[1024];
	size_t n = 0, got;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	p = popen(cmd, "r");
	cr_assert(p, "%s", cmd);
	while ((got = fread(text + n, 1, sizeof(text) - 1 - n, p)) > 0)
		n += got;
	text[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct section {
	char items[ITEMS_MAX][ITEM_BYTES_MAX];  /* each entry's lead: "--nodes N", "quorum-2f" */
	char lines[ITEMS_MAX][512];             /* its lines, joined */
	unsigned count;
};

/* The entries under the header line that starts with @header: lines indented by exactly
 * two spaces, until a blank line. */
static void section_read(const char *help, const char *header, struct section *s)
{
	const char *p = strstr(help, header);

	memset(s, 0, sizeof(*s));
	cr_assert(p, "no section '%s' in:\n%s", header, help);
	p = strchr(p, '\n');
	while (p && p[1] && p[1] != '\n') {
		const char *line = p + 1, *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ') {
			size_t lead = len < HELP_COLUMN ? len : HELP_COLUMN;

			cr_assert(s->count < ITEMS_MAX);
			snprintf(s->items[s->count], ITEM_BYTES_MAX, "%.*s", (int)lead - 2,
				 line + 2);
			snprintf(s->lines[s->count], sizeof(s->lines[0]), "%.*s", (int)len, line);
			for (char *t = s->items[s->count] + strlen(s->items[s->count]);
			     t > s->items[s->count] && t[-1] == ' '; t--)
				t[-1] = '\0';
			s->count++;
		} else if (s->count > 0) {      /* a continuation of the entry */
			char *joined = s->lines[s->count - 1];
			size_t used = strlen(joined);

			snprintf(joined + used, sizeof(s->lines[0]) - used, " %.*s", (int)len,
				 line);
		}
		p = end;
	}
	cr_assert(s->count > 0, "section '%s' is empty", header);
}

/* A value to try for an option's argument; NULL when the test knows none (a new option
 * must add one here). */
static const char *sample(const char *name, const char *arg, const char *first_bug)
{
	static const struct { const char *name, *arg, *value; } samples[] = {
		{ "nodes", "N", NULL }, { "time", "S", "2" }, { "rate", "R", "20" },
		{ "concurrency", "C", "4" }, { "nemesis", "LIST", "partition" },
		{ "nemesis-interval", "S", "2" }, { "shapes", "LIST", "halves" },
		{ "seed", "X", "7" }, { "store", "DIR", "/tmp/fl-help-test" },
		{ "op-timeout-ms", "MS", "500" }, { "capture-max-mb", "MB", "8" },
		{ "byzantine", "MODE[,MODE]", "silent" },
		{ "msgdrop-types", "TYPE[,TYPE]", "commit" },
		{ "bits", "M", "16" }, { "succ-list", "R", "2" },
		{ "spares", "S", "1" }, { "sources", "S", "2" }, { "operators", "W", "1" },
		{ "window", "SPEC", "sliding:1000:250" }, { "offset", "MS", "100" },
		{ "lateness", "MS", "500" }, { "out-of-order", "MS", "200" },
		{ "idle-timeout", "MS", "800" }, { "guarantee", "MODE", "at-least-once" },
		{ "workers", "N", "2" }, { "maps", "M", "4" }, { "reduces", "R", "3" },
		{ "app", "wc|index|grep:PATTERN", "index" },
		{ "input", "DIR", "/usr/share/common-licenses" }, /* Debian's, always there */
		{ "crash-in-task", "P", "0.2" },
	};

	if (strcmp(name, "bug") == 0)
		return first_bug;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		if (strcmp(samples[i].name, name) == 0 && strcmp(samples[i].arg, arg) == 0)
			return samples[i].value ? samples[i].value : "";
	}
	return NULL;
}

/* Every option of @sys's help is accepted with --dry-run (each alternative of a|b|c). */
static void options_accepted(const char *sys, const struct section *s, const char *first_bug)
{
	const struct system_desc *desc = system_desc_find(sys);

	for (unsigned i = 0; i < s->count; i++) {
		char name[ITEM_BYTES_MAX], arg[ITEM_BYTES_MAX] = "", value[ITEM_BYTES_MAX];
		const char *v;

		cr_assert_eq(sscanf(s->items[i], "--%63s %63s", name, arg) >= 1, 1, "%s",
			     s->items[i]);
		if (!arg[0]) {
			cr_expect_eq(run("%s run %s --dry-run --%s", FAULTLINE_EXE, sys, name), 0,
				     "%s --%s: %s", sys, name, text);
			continue;
		}
		if (strchr(arg, '|')) {
			for (char *save, *alt = strtok_r(arg, "|", &save); alt;
			     alt = strtok_r(NULL, "|", &save))
				cr_expect_eq(run("%s run %s --dry-run --%s %s", FAULTLINE_EXE, sys,
						 name, alt), 0, "%s --%s %s: %s", sys, name, alt,
					     text);
			continue;
		}
		v = sample(name, arg, first_bug);
		cr_assert(v, "%s --%s %s: the test has no sample value; add one", sys, name, arg);
		snprintf(value, sizeof(value), "%s", v[0] ? v : "");
		if (strcmp(name, "nodes") == 0)
			snprintf(value, sizeof(value), "%u", desc->nodes_default);
		cr_expect_eq(run("%s run %s --dry-run --%s %s", FAULTLINE_EXE, sys, name, value), 0,
			     "%s --%s %s: %s", sys, name, value, text);
	}
}

/* The node program the dry run names. */
static void node_program(const char *sys, char *out, size_t size)
{
	const char *p;

	cr_assert_eq(run("%s run %s --dry-run", FAULTLINE_EXE, sys), 0, "%s", text);
	p = strstr(text, "node program: ");
	cr_assert(p, "%s", text);
	snprintf(out, size, "%.*s", (int)strcspn(p + 14, "\n"), p + 14);
}

/* Each bug is taken by run, and reaches the node: its node program knows it (a bogus name
 * it refuses, so this can fail), unless the help says the client has it. */
static void bugs_reach_the_node(const char *sys, const struct section *s)
{
	char node[512];

	node_program(sys, node, sizeof(node));
	cr_expect_neq(run("%s --bug no-such-bug --help", node), 0, "%s refuses a bogus bug", node);
	for (unsigned i = 0; i < s->count; i++) {
		bool client_side = strstr(s->lines[i], "client-side") != NULL;
		const char *bug = s->items[i];

		cr_expect_eq(run("%s run %s --dry-run --bug %s", FAULTLINE_EXE, sys, bug), 0, "%s",
			     text);
		cr_expect(strstr(text, " --bug ") && strstr(text, bug), "%s: %s", bug, text);
		if (client_side)
			continue;
		cr_expect_eq(run("%s --bug %s --help", node, bug), 0, "%s --bug %s: %s", node, bug,
			     text);
	}
}

Test(run_help, lists_every_system_of_the_registry)
{
	const struct system_desc *d;
	struct section s;
	size_t i;

	cr_assert_eq(run("%s run --help", FAULTLINE_EXE), 0);
	section_read(text, "systems:", &s);
	for (i = 0; (d = system_desc_at(i)); i++) {
		cr_assert(i < s.count);
		cr_expect_str_eq(s.items[i], d->name);
	}
	cr_expect_eq(s.count, i, "no system listed that the registry lacks");
	cr_expect_eq(run("%s run nosuch --dry-run", FAULTLINE_EXE), 64, "%s", text);
}

Test(run_help, every_option_bug_checker_and_fault_listed_is_accepted, .timeout = 120)
{
	const struct system_desc *d;
	static char help[TEXT_BYTES_MAX];

	for (size_t i = 0; (d = system_desc_at(i)); i++) {
		char header[64];
		struct section own, common, bugs, checkers, faults;

		cr_assert_eq(run("%s run %s --help", FAULTLINE_EXE, d->name), 0, "%s", text);
		memcpy(help, text, sizeof(help));
		snprintf(header, sizeof(header), "%s options:", d->name);
		section_read(help, "bugs (", &bugs);
		section_read(help, "\noptions:", &common);
		options_accepted(d->name, &common, bugs.items[0]);
		if (!strstr(help, "  (none)")) {
			section_read(help, header, &own);
			options_accepted(d->name, &own, bugs.items[0]);
		}
		bugs_reach_the_node(d->name, &bugs);
		section_read(help, "checkers (", &checkers);
		for (unsigned k = 0; k < checkers.count; k++)
			cr_expect(checker_entry_find(checkers.items[k]), "%s: checker %s",
				  d->name, checkers.items[k]);
		section_read(help, "faults (", &faults);
		for (unsigned k = 0; k < faults.count; k++)
			cr_expect_eq(run("%s run %s --dry-run --nemesis %s", FAULTLINE_EXE, d->name,
					 faults.items[k]), 0, "%s --nemesis %s: %s", d->name,
				     faults.items[k], text);
		cr_expect_eq(run("%s run %s --dry-run --no-such-option", FAULTLINE_EXE, d->name),
			     64);
		cr_expect_eq(run("%s run %s --dry-run --bug no-such-bug", FAULTLINE_EXE, d->name),
			     64);
	}
}

Test(run_help, what_a_system_does_not_list_is_refused)
{
	cr_assert_eq(run("%s run crdt --help", FAULTLINE_EXE), 0);
	cr_expect_null(strstr(text, "byzantine"), "crdt lists no Byzantine anything");
	cr_expect_null(strstr(text, "  msgdrop"), "crdt declares no message types");
	cr_expect_eq(run("%s run crdt --dry-run --nemesis byzantine", FAULTLINE_EXE), 64);
	cr_expect_eq(run("%s run crdt --dry-run --nemesis msgdrop", FAULTLINE_EXE), 64);
	cr_expect_eq(run("%s run crdt --dry-run --byzantine silent", FAULTLINE_EXE), 64);
	cr_expect_eq(run("%s run lww --dry-run --model gset", FAULTLINE_EXE), 64);
	cr_expect_eq(run("%s run pbft --dry-run --nodes 5", FAULTLINE_EXE), 64, "3f+1: %s",
		     text);
	cr_expect(strstr(text, "3f+1"), "%s", text);
}

/* --nodes takes 1..CLUSTER_NODES_MAX (64), then each system's own bound; past either, a
 * message names the bound. */
Test(run_help, nodes_are_taken_up_to_64_and_each_system_s_bound)
{
	const struct system_desc *d;

	cr_assert_eq(CLUSTER_NODES_MAX, 64);
	cr_expect_eq(run("%s run crdt --dry-run --nodes 65", FAULTLINE_EXE), 64, "%s", text);
	cr_expect(strstr(text, "--nodes: expected 1..64"), "%s", text);
	cr_expect_eq(run("%s run crdt --dry-run --nodes 0", FAULTLINE_EXE), 64, "%s", text);
	cr_expect(strstr(text, "--nodes: expected 1..64"), "%s", text);
	cr_assert_eq(run("%s run --help", FAULTLINE_EXE), 0);
	cr_expect(strstr(text, "nodes, 1..64 "), "%s", text);
	for (size_t i = 0; (d = system_desc_at(i)); i++) {
		cr_assert_leq(d->nodes_max, CLUSTER_NODES_MAX, "%s", d->name);
		cr_expect_eq(run("%s run %s --dry-run --nodes %u", FAULTLINE_EXE, d->name,
				 d->nodes_max), 0, "%s --nodes %u: %s", d->name, d->nodes_max,
			     text);
		cr_expect_eq(run("%s run %s --dry-run --nodes 64", FAULTLINE_EXE, d->name),
			     d->nodes_max == 64 ? 0 : 64, "%s --nodes 64: %s", d->name, text);
		if (d->nodes_max == 64)
			continue;
		/* Taken by the common parser, refused by the system's bound. */
		cr_expect_null(strstr(text, "expected 1.."), "%s", text);
		cr_expect(strstr(text, " nodes"), "%s --nodes 64: %s", d->name, text);
		cr_expect_eq(run("%s run %s --dry-run --nodes %u", FAULTLINE_EXE, d->name,
				 d->nodes_max + 1), 64, "%s", d->name);
	}
}
