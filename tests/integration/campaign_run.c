/* SPDX-License-Identifier: MIT */
/* campaign_run.c - spawns faultline, reads results.json with jansson. */
#include "campaign_run.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t faultline_spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	cr_assert(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(FAULTLINE_EXE, argv);
		_exit(127);
	}
	return pid;
}

int faultline_wait(pid_t pid)
{
	int status;

	cr_assert(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void read_results(struct campaign_outcome *out)
{
	char path[300];
	json_error_t err;
	json_t *root, *anomalies, *a;
	size_t i;

	snprintf(path, sizeof(path), "%s/latest/results.json", out->store);
	root = json_load_file(path, 0, &err);
	if (!root)
		return;
	snprintf(out->verdict, sizeof(out->verdict), "%s",
		 json_string_value(json_object_get(root, "verdict")) ?: "");
	out->final_reads = (int)json_integer_value(json_object_get(root, "final_reads"));
	anomalies = json_object_get(root, "anomalies");
	json_array_foreach(anomalies, i, a) {
		const char *kind = json_string_value(json_object_get(a, "kind"));
		size_t used = strlen(out->kinds);

		if (kind && !strstr(out->kinds, kind))
			snprintf(out->kinds + used, sizeof(out->kinds) - used, "%s ", kind);
	}
	json_decref(root);
}

/* Runs `faultline run @system` with the common arguments plus @extra (NULL-ended, at most
 * 12); @model (crdt) and @nodes may be NULL. */
static void run_system(struct campaign_outcome *out, const char *system, const char *model,
		       const char *nodes, const char *seed, const char *bug, const char *time_s,
		       const char *const *extra)
{
	char *argv[40];
	int argc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->store, sizeof(out->store), "/tmp/faultline-it-XXXXXX");
	cr_assert(mkdtemp(out->store), "mkdtemp");
	snprintf(out->log_path, sizeof(out->log_path), "%s/run.log", out->store);
#define ARG(x) (argv[argc++] = (char *)(x))
	ARG("faultline"); ARG("run"); ARG(system);
	if (model) {
		ARG("--model"); ARG(model);
	}
	if (nodes) {
		ARG("--nodes"); ARG(nodes);
	}
	ARG("--time"); ARG(time_s); ARG("--rate"); ARG("100");
	ARG("--seed"); ARG(seed); ARG("--store"); ARG(out->store);
	for (int i = 0; extra[i]; i++)
		ARG(extra[i]);
	if (bug) {
		ARG("--bug");
		ARG(bug);
	}
#undef ARG
	argv[argc] = NULL;
	out->exit_code = faultline_wait(faultline_spawn(argv, out->log_path));
	read_results(out);
}

/* A NULL @model runs lww, any other crdt with that model; five nodes. */
static void run_with(struct campaign_outcome *out, const char *model, const char *seed,
		     const char *bug, const char *time_s, const char *const *extra)
{
	run_system(out, model ? "crdt" : "lww", model, "5", seed, bug, time_s, extra);
}

void campaign_outcome_run(struct campaign_outcome *out, const char *model, const char *seed,
			  const char *bug, const char *time_s, const char *interval_s)
{
	const char *extra[] = { "--nemesis", "partition", "--nemesis-interval", interval_s, NULL };

	run_with(out, model, seed, bug, time_s, extra);
}

void campaign_outcome_run_cut(struct campaign_outcome *out, const char *model, const char *seed,
			      const char *bug, const char *time_s, const char *interval_s)
{
	const char *extra[] = { "--nemesis", "partition", "--nemesis-interval", interval_s,
				"--shapes", "halves,isolate,random", NULL };

	run_with(out, model, seed, bug, time_s, extra);
}

void campaign_outcome_run_nemesis(struct campaign_outcome *out, const char *model,
				  const char *seed, const char *bug, const char *time_s,
				  const char *nemesis)
{
	const char *extra[] = { "--nemesis", nemesis, NULL };

	run_with(out, model, seed, bug, time_s, extra);
}

void campaign_outcome_run_lww(struct campaign_outcome *out, const char *seed, const char *bug,
			      const char *time_s, const char *nemesis)
{
	const char *extra[] = { "--nemesis", nemesis, NULL };

	run_with(out, NULL, seed, bug, time_s, extra);
}

void campaign_outcome_run_pbft(struct campaign_outcome *out, const char *nodes,
			       const char *seed, const char *bug, const char *byzantine,
			       const char *time_s, const char *nemesis)
{
	campaign_outcome_run_pbft_at(out, nodes, seed, bug, byzantine, time_s, nemesis, "100");
}

void campaign_outcome_run_pbft_at(struct campaign_outcome *out, const char *nodes,
				  const char *seed, const char *bug, const char *byzantine,
				  const char *time_s, const char *nemesis, const char *rate)
{
	/* The later --rate wins over run_system()'s. */
	const char *extra[] = { "--nemesis", nemesis, "--concurrency", "8", "--rate", rate,
				NULL, NULL, NULL };

	if (byzantine) {
		extra[6] = "--byzantine";
		extra[7] = byzantine;
	}
	run_system(out, "pbft", NULL, nodes, seed, bug, time_s, extra);
}

void campaign_outcome_run_pbft_fast(struct campaign_outcome *out, const char *nodes,
				    const char *seed, const char *byzantine, const char *time_s,
				    const char *nemesis)
{
	const char *extra[] = { "--nemesis", nemesis, "--concurrency", "8", "--fast",
				byzantine ? "--byzantine" : NULL, byzantine, NULL };

	run_system(out, "pbft", NULL, nodes, seed, NULL, time_s, extra);
}

void campaign_outcome_run_system(struct campaign_outcome *out, const char *system,
				 const char *nodes, const char *seed, const char *bug,
				 const char *time_s, const char *const *extra)
{
	run_system(out, system, NULL, nodes, seed, bug, time_s, extra);
}

bool campaign_outcome_has_kind(const struct campaign_outcome *out, const char *kind)
{
	char word[64];

	snprintf(word, sizeof(word), "%s ", kind);
	return strstr(out->kinds, word) != NULL;
}

void campaign_outcome_fini(struct campaign_outcome *out, bool as_expected)
{
	char cmd[300];

	/* Keep the run for inspection when anything about it was unexpected. */
	if (!as_expected) {
		fprintf(stderr, "kept for inspection: %s\n", out->store);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out->store);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", out->store);
}
