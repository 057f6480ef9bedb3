/* SPDX-License-Identifier: MIT */
/* test_daemon.c - mapreduce-node processes on 127.0.0.1 (a coordinator and three workers):
 * jobs, one after another, whose output equals the sequential oracle without faults (each
 * task run once, maps on more than one worker), with in-task crashes, and with a worker and
 * the coordinator killed and restarted mid-job. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "errbuf.h"
#include "mapreduce_input.h"
#include "mapreduce_oracle.h"
#include "mapreduce_output.h"
#include "mr_file.h"

enum {
	WORKERS = 3,
	NODES = WORKERS + 1,
	MAPS = 6,
	REDUCES = 4,
	PORT_FIRST = 8100,
	PORT_SLOTS = 20,
	PORT_WIDTH = 2 * NODES, /* node i: TCP port_base + 2i, UDP + 1 */
	PATH_BYTES_MAX = 160,
	DONE_MS_MAX = 30000,
};

static char root[64], input[PATH_BYTES_MAX], output[PATH_BYTES_MAX];
static pid_t pids[NODES];
static int port_base;

static void setup(void)
{
	struct mr_input_spec spec = { .seed = 11, .documents = MAPS, .bytes = MAPS * (2u << 20),
				      .vocabulary = 20000 };
	struct mr_input_answer *answer;
	struct errbuf eb;

	snprintf(root, sizeof(root), "/tmp/fl-mr-daemon-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(input, sizeof(input), "%s/input", root);
	snprintf(output, sizeof(output), "%s/output", root);
	cr_assert_eq(mr_input_write(&spec, input, &answer, &eb), 0, "%s", eb.msg);
	mr_input_answer_free(answer);
	cr_assert_eq(mkdir(output, 0755), 0);
	for (int i = 0; i < NODES; i++)
		pids[i] = -1;
	port_base = daemon_ports_pick(PORT_FIRST, PORT_SLOTS, PORT_WIDTH);
}

static void teardown(void)
{
	char command[128];

	for (int i = 0; i < NODES; i++) {
		int fd = -1;

		daemon_stop(&pids[i], &fd, SIGKILL);
	}
	if (getenv("FL_TEST_KEEP"))
		return; /* to look at the nodes' logs and evidence */
	snprintf(command, sizeof(command), "rm -rf %s", root);
	cr_assert_eq(system(command), 0);
}

/* Start node @id with the job @job (and --bug @bug if not NULL). */
static void node_start(int id, const char *job, const char *bug)
{
	static char args[NODES][16][PATH_BYTES_MAX];
	const char *argv[40];
	char log_path[PATH_BYTES_MAX + 16];
	int n = 0, k = 0;

#define ARG(...) (snprintf(args[id][k], PATH_BYTES_MAX, __VA_ARGS__), argv[n++] = args[id][k++])
	argv[n++] = MAPREDUCE_NODE_EXE;
	argv[n++] = "--id";
	ARG("%d", id);
	argv[n++] = "--replicas";
	ARG("%d", NODES);
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--client-port";
	ARG("%d", port_base + 2 * id);
	argv[n++] = "--gossip-port";
	ARG("%d", port_base + 2 * id + 1);
	for (int j = 0; j < NODES; j++) {
		if (j == id)
			continue;
		argv[n++] = "--peer";
		ARG("%d=127.0.0.1:%d", j, port_base + 2 * j + 1);
	}
	argv[n++] = "--data-dir";
	ARG("%s/node-%d", root, id);
	argv[n++] = "--input";
	argv[n++] = input;
	argv[n++] = "--output";
	argv[n++] = output;
	argv[n++] = "--job";
	argv[n++] = job;
	argv[n++] = "--seed"; /* the in-task crash draws: the same every run */
	ARG("%d", 1000 + id);
	if (bug) {
		argv[n++] = "--bug";
		argv[n++] = bug;
	}
	argv[n] = NULL;
#undef ARG
	snprintf(log_path, sizeof(log_path), "%s/node-%d.log", root, id);
	pids[id] = daemon_spawn(argv, NULL, log_path);
}

/* One line to the coordinator, its reply (until the next call). */
static const char *ask(const char *line)
{
	static char reply[64];
	int fd = daemon_connect(pids[0], port_base, "coordinator");

	snprintf(reply, sizeof(reply), "%s", daemon_request(fd, line));
	close(fd);
	return reply;
}

/* Submit job @job and wait until the coordinator says it is done. */
static void run_job(int job)
{
	char line[32];

	snprintf(line, sizeof(line), "submit %d\n", job);
	cr_assert_eq(strncmp(ask(line), "ok", 2), 0, "%s", ask(line));
	snprintf(line, sizeof(line), "status %d\n", job);
	for (int waited = 0; strncmp(ask(line), "done", 4) != 0; waited += 50) {
		cr_assert_lt(waited, DONE_MS_MAX, "job %d did not finish", job);
		daemon_sleep_ms(50);
	}
}

/* The coordinator's evidence, whole. */
static char *evidence(void)
{
	char path[PATH_BYTES_MAX + 32], *bytes;
	size_t size;

	snprintf(path, sizeof(path), "%s/node-0/evidence.jsonl", root);
	cr_assert_eq(mr_file_read(path, 1 << 24, &bytes, &size, NULL), 0);
	bytes[size - 1] = '\0'; /* its last '\n' */
	return bytes;
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* How many distinct workers were assigned maps. */
static int map_workers(const char *text)
{
	static const char assign[] = "\"kind\":\"assign\",\"task\":\"map\"";
	bool seen[WORKERS] = { false };
	int n = 0;

	for (const char *p = text; (p = strstr(p, assign)) != NULL; p += sizeof(assign) - 1) {
		const char *w = strstr(p, "\"worker\":");
		int worker = w ? (int)strtol(w + 9, NULL, 10) : -1;

		cr_assert(worker >= 0 && worker < WORKERS);
		n += !seen[worker];
		seen[worker] = true;
	}
	return n;
}

/* Job @job's output equals the oracle of @app over the input. */
static void expect_oracle_output(int job, const char *app_name)
{
	char job_output[PATH_BYTES_MAX + 16];
	char paths[MAPS][PATH_BYTES_MAX + 32];
	const char *list[MAPS];
	struct mr_oracle *oracle;
	struct mr_output_report report;
	struct mr_app app;
	struct errbuf eb;

	for (int m = 0; m < MAPS; m++) {
		snprintf(paths[m], sizeof(paths[m]), "%s/doc-%05d.txt", input, m);
		list[m] = paths[m];
	}
	cr_assert_eq(mr_app_init(&app, app_name, NULL, NULL), 0);
	cr_assert_eq(mr_oracle_compute(&app, list, MAPS, &oracle, &eb), 0, "%s", eb.msg);
	snprintf(job_output, sizeof(job_output), "%s/job-%d", output, job);
	cr_assert_eq(mr_output_check(job_output, REDUCES, oracle, &report, &eb), 0, "%s",
		     eb.msg);
	cr_assert(mr_output_valid(&report), "%s", report.findings[0].text);
	cr_assert_eq(report.keys, mr_oracle_count(oracle));
	mr_oracle_free(oracle);
}

static void start_all(const char *job)
{
	for (int id = NODES - 1; id >= 0; id--) /* workers first: they ask as soon as it is up */
		node_start(id, job, NULL);
}

TestSuite(mapreduce_daemon, .init = setup, .fini = teardown, .timeout = 90);

Test(mapreduce_daemon, word_count_equals_the_oracle_each_task_once_maps_in_parallel)
{
	char *text;

	start_all("app=wc,maps=6,reduces=4");
	run_job(1);
	expect_oracle_output(1, "wc");
	cr_assert_eq(strncmp(ask("status 2\n"), "none", 4), 0);
	run_job(2);
	expect_oracle_output(2, "wc");
	cr_assert_eq(strncmp(ask("status 1\n"), "done", 4), 0);
	cr_assert_eq(strncmp(ask("last\n"), "2 done", 6), 0);
	text = evidence();
	cr_assert_eq(occurrences(text, "\"reexec\""), 0, "%s", text);
	cr_assert_eq(occurrences(text, "\"backup\":false"), 2 * (MAPS + REDUCES), "%s", text);
	cr_assert_eq(occurrences(text, "\"job-start\""), 2);
	cr_assert_eq(occurrences(text, "\"job-done\""), 2);
	cr_assert_geq(map_workers(text), 2, "maps ran in parallel: %s", text);
	free(text);
}

Test(mapreduce_daemon, the_inverted_index_equals_the_oracle)
{
	start_all("app=index,maps=6,reduces=4");
	run_job(1);
	expect_oracle_output(1, "index");
}

Test(mapreduce_daemon, in_task_crashes_still_give_the_oracles_output)
{
	char *text;

	start_all("app=wc,maps=6,reduces=4,crash=300");
	run_job(1);
	expect_oracle_output(1, "wc");
	text = evidence();
	cr_assert_gt(occurrences(text, "\"worker-lost\""), 0, "crashes restarted workers");
	free(text);
}

Test(mapreduce_daemon, a_killed_worker_and_a_killed_coordinator_are_survived)
{
	char *text, log_path[PATH_BYTES_MAX + 16];
	int fd = -1;

	start_all("app=wc,maps=6,reduces=4");
	cr_assert_eq(strncmp(ask("submit 1\n"), "ok", 2), 0);
	cr_assert_eq(strncmp(ask("submit 2\n"), "busy 1", 6), 0, "one job at a time");
	daemon_sleep_ms(150);
	daemon_stop(&pids[1], &fd, SIGKILL);
	daemon_stop(&pids[0], &fd, SIGKILL);
	node_start(1, "app=wc,maps=6,reduces=4", NULL);
	daemon_sleep_ms(100);
	node_start(0, "app=wc,maps=6,reduces=4", NULL);
	run_job(1); /* a retry: the coordinator says ok and goes on with it */
	expect_oracle_output(1, "wc");
	text = evidence();
	cr_assert_eq(occurrences(text, "\"job-done\""), 1, "%s", text);
	cr_assert_gt(occurrences(text, "\"worker-lost\""), 0, "worker 0 came back new: %s",
		     text);
	free(text);
	snprintf(log_path, sizeof(log_path), "%s/node-0.log", root);
	cr_assert(daemon_file_mentions(log_path, "resumed job 1 from"),
		  "the coordinator resumed from its state: %s", daemon_file_text(log_path));
}
