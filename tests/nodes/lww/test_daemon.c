/* SPDX-License-Identifier: MIT */
/* test_daemon.c - lww-node on 127.0.0.1: a write on one node is read on the other after
 * gossip; causal writes are stamped after their token (and not under wallclock-lww);
 * acknowledged writes survive SIGKILL; a corrupt state file stops the node (exit 70). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_harness.h"

enum {
	PATH_BYTES_MAX = 256,
	NODES = 2,
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
	/*
	 * Ports 7300..7399, used by no other test, in slots of 4 (client and gossip port of two
	 * nodes). Below the ephemeral range (from 32768), so that a connect retried before the
	 * node listens cannot be given the same port as its source and connect to itself.
	 */
	PORT_FIRST = 7300,
	PORT_SLOTS = 25,
};

struct node {
	pid_t pid;
	int fd;                         /* client connection, -1 if none */
	char log_path[PATH_BYTES_MAX + 16];
	char out_path[PATH_BYTES_MAX + 16];
	char data_dir[PATH_BYTES_MAX + 16];
};

static char tmp_dir[PATH_BYTES_MAX];
static struct node nodes[NODES];
static int port_base;                   /* node i: client port_base + 2i, gossip + 1 */

static void setup(void)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fl-lww-daemon-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_dir));
	for (int i = 0; i < NODES; i++) {
		nodes[i].pid = -1;
		nodes[i].fd = -1;
		snprintf(nodes[i].log_path, sizeof(nodes[i].log_path), "%s/n%d.log", tmp_dir, i);
		snprintf(nodes[i].out_path, sizeof(nodes[i].out_path), "%s/n%d.out", tmp_dir, i);
		snprintf(nodes[i].data_dir, sizeof(nodes[i].data_dir), "%s/n%d", tmp_dir, i);
	}
	port_base = daemon_ports_pick(PORT_FIRST, PORT_SLOTS, 4);
}

static void stop_node(int i, int sig)
{
	daemon_stop(&nodes[i].pid, &nodes[i].fd, sig);
}

static void teardown(void)
{
	for (int i = 0; i < NODES; i++) {
		stop_node(i, SIGKILL);
		daemon_data_dir_remove(nodes[i].data_dir);
		unlink(nodes[i].log_path);
		unlink(nodes[i].out_path);
	}
	rmdir(tmp_dir);
}

TestSuite(lww_daemon, .init = setup, .fini = teardown, .timeout = 60);

/* spawn() - node @i of @replicas (1 or 2) on loopback; stderr goes to its log. */
static pid_t spawn(int i, int replicas, const char *bug, bool durable)
{
	char listen[32], port[16], peer[48];
	const char *argv[24] = { LWW_NODE_EXE, "--id", i ? "1" : "0", "--replicas",
				 replicas == 2 ? "2" : "1", "--listen", listen, "--client-port",
				 port, "--gossip-ms", "20", "--seed", "7" };
	int argc = 13;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port_base + 2 * i + 1);
	snprintf(port, sizeof(port), "%d", port_base + 2 * i);
	snprintf(peer, sizeof(peer), "%d=127.0.0.1:%d", 1 - i, port_base + 2 * (1 - i) + 1);
	if (replicas == 2) {
		argv[argc++] = "--peer";
		argv[argc++] = peer;
	}
	if (bug) {
		argv[argc++] = "--bug";
		argv[argc++] = bug;
	}
	if (durable) {
		argv[argc++] = "--data-dir";
		argv[argc++] = nodes[i].data_dir;
	}
	return daemon_spawn(argv, nodes[i].out_path, nodes[i].log_path);
}

/* start() - spawn node @i and connect to it (retrying while it starts up). */
static void start(int i, int replicas, const char *bug, bool durable)
{
	char what[32];

	snprintf(what, sizeof(what), "lww-node %d", i);
	nodes[i].pid = spawn(i, replicas, bug, durable);
	nodes[i].fd = daemon_connect(nodes[i].pid, port_base + 2 * i, what);
}

/* request() - one line to node @i, one line back (valid until the next call). */
static const char *request(int i, const char *line)
{
	return daemon_request(nodes[i].fd, line);
}

struct fields {
	char value[32], writer[32];
	uint64_t ts, hlc;
	int64_t wall;
};

/* read_key() - "read KEY" on node @i, split into its five fields. */
static struct fields read_key(int i, const char *key)
{
	char line[64];
	struct fields f;

	snprintf(line, sizeof(line), "read %s\n", key);
	cr_assert_eq(sscanf(request(i, line), "ok %31s %" SCNu64 " %31s %" SCNd64 " %" SCNu64,
			    f.value, &f.ts, f.writer, &f.wall, &f.hlc), 5, "'%s'", line);
	return f;
}

/* write_key() - "write KEY VALUE AFTER" on node @i; its four fields. */
static struct fields write_key(int i, const char *key, int64_t value, uint64_t after)
{
	char line[96];
	struct fields f = { "", "", 0, 0, 0 };
	const char *reply;

	snprintf(line, sizeof(line), "write %s %" PRId64 " %" PRIu64 "\n", key, value, after);
	reply = request(i, line);
	cr_assert_eq(sscanf(reply, "ok %" SCNu64 " %31s %" SCNd64 " %" SCNu64, &f.ts, f.writer,
			    &f.wall, &f.hlc), 4, "'%s' -> '%s'", line, reply);
	return f;
}

/* await() - poll node @i until @key holds @value. Return: its fields. */
static struct fields await(int i, const char *key, const char *value)
{
	struct fields f;

	for (int ms = 0; ms < DAEMON_WAIT_MS_MAX; ms += 10) {
		f = read_key(i, key);
		if (strcmp(f.value, value) == 0)
			return f;
		daemon_sleep_ms(10);
	}
	cr_assert_fail("node %d: %s never became %s (last %s)", i, key, value, f.value);
	return f;
}

Test(lww_daemon, a_write_on_one_node_is_read_on_the_other_after_gossip)
{
	struct fields r, w, w2;

	start(0, 2, NULL, false);
	start(1, 2, NULL, false);
	r = read_key(1, "k0");
	cr_assert_str_eq(r.value, "-", "never written");
	cr_assert_str_eq(r.writer, "-");
	cr_assert_eq(r.ts, 0);
	w = write_key(0, "k0", 17, 0);
	cr_assert_str_eq(w.writer, "0");
	cr_assert_eq(w.hlc, w.ts, "the HLC after a write is its stamp");
	r = await(1, "k0", "17");
	cr_assert_eq(r.ts, w.ts);
	cr_assert_str_eq(r.writer, "0");
	cr_assert_gt(r.hlc, w.ts, "node 1's clock moved past what it merged");
	/* The campaign's causal step: read on one node, write on another with AFTER = TS. */
	w2 = write_key(0, "k0", 18, r.ts);
	cr_assert_gt(w2.ts, r.ts);
	w2 = write_key(1, "k0", 19, w2.ts);
	cr_assert_str_eq(w2.writer, "1");
	r = await(0, "k0", "19");
	cr_assert_eq(r.ts, w2.ts);
	cr_assert_str_eq(r.writer, "1");
}

Test(lww_daemon, hlc_write_is_stamped_after_a_token_from_the_future)
{
	struct fields now, w;
	uint64_t after;

	start(0, 1, NULL, false);
	now = read_key(0, "k");
	after = (uint64_t)now.wall + 60ull * 1000000000ull;
	w = write_key(0, "k", 1, after);
	cr_assert_lt(w.wall, (int64_t)after, "the node's clock is behind the token");
	cr_assert_gt(w.ts, after, "yet the write is stamped after it");
}

Test(lww_daemon, bug_wallclock_write_is_stamped_before_a_token_from_the_future)
{
	struct fields now, w;
	uint64_t after;

	start(0, 1, "wallclock-lww", false);
	now = read_key(0, "k");
	after = (uint64_t)now.wall + 60ull * 1000000000ull;
	w = write_key(0, "k", 1, after);
	cr_assert_eq(w.ts, (uint64_t)w.wall, "stamped with the raw wall clock");
	cr_assert_lt(w.ts, after, "the bug: a write stamped before what it follows");
}

Test(lww_daemon, sigkill_and_restart_keep_acknowledged_writes)
{
	struct fields k, j, r, w;

	start(0, 1, NULL, true);
	k = write_key(0, "k", 5, 0);
	j = write_key(0, "j", 6, 0);
	stop_node(0, SIGKILL);
	start(0, 1, NULL, true);
	r = read_key(0, "k");
	cr_assert_str_eq(r.value, "5");
	cr_assert_eq(r.ts, k.ts);
	cr_assert_geq(r.hlc, j.ts, "the HLC starts at the largest stored ts");
	cr_assert_str_eq(read_key(0, "j").value, "6");
	w = write_key(0, "k", 7, 0);
	cr_assert_gt(w.ts, j.ts);
	stop_node(0, SIGKILL);
	start(0, 1, NULL, true);
	cr_assert_str_eq(read_key(0, "k").value, "7", "and again");
}

/* run_to_exit() - run lww-node with @argv (NULL: node @i, durable) until it stops itself. */
static int run_to_exit(int i, const char *const *argv)
{
	pid_t pid = argv ? daemon_spawn(argv, NULL, NULL) : spawn(i, 1, NULL, true);
	int status = daemon_wait_exit(pid);

	if (status == -1) {
		nodes[i].pid = pid;     /* killed by the teardown */
		cr_assert_fail("lww-node kept running");
	}
	return status;
}

static bool log_mentions(int i, const char *what)
{
	return daemon_file_mentions(nodes[i].log_path, what);
}

Test(lww_daemon, corrupt_state_file_refuses_to_start)
{
	char path[PATH_BYTES_MAX + 32];
	int status;

	start(0, 1, NULL, true);
	write_key(0, "k", 5, 0);
	stop_node(0, SIGKILL);
	snprintf(path, sizeof(path), "%s/state", nodes[0].data_dir);
	daemon_file_poke(path, 40, '!');
	status = run_to_exit(0, NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_INTERNAL, "status %#x",
		  status);
	cr_assert(log_mentions(0, path), "the message names %s", path);
	cr_assert(log_mentions(0, "checksum"), "and says what was wrong");
}

Test(lww_daemon, usage_errors_exit_64)
{
	const char *unknown_bug[] = { LWW_NODE_EXE, "--id", "0", "--replicas", "1", "--listen",
				      "127.0.0.1", "--bug", "nope", NULL };
	const char *missing_peer[] = { LWW_NODE_EXE, "--id", "0", "--replicas", "2",
				       "--listen", "127.0.0.1", NULL };
	const char *bad_offset[] = { LWW_NODE_EXE, "--id", "0", "--replicas", "1", "--listen",
				     "127.0.0.1", "--max-offset-ms", "-5", NULL };
	const char *const *cases[] = { unknown_bug, missing_peer, bad_offset };

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int status = run_to_exit(0, cases[c]);

		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_USAGE,
			  "case %zu: status %#x", c, status);
	}
}

Test(lww_daemon, a_line_over_256_bytes_is_refused_and_the_connection_closed)
{
	char line[300], reply[64];
	ssize_t n;

	start(0, 1, NULL, false);
	memset(line, 'a', sizeof(line));
	cr_assert_eq(send(nodes[0].fd, line, sizeof(line), MSG_NOSIGNAL), (ssize_t)sizeof(line));
	n = recv(nodes[0].fd, reply, sizeof(reply) - 1, MSG_WAITALL);
	cr_assert_gt(n, 0);
	reply[n] = '\0';
	cr_assert_str_eq(reply, "err line too long\n");
}

Test(lww_daemon, sigterm_stops_with_exit_0_and_stdout_is_only_the_seed)
{
	int status;

	start(0, 1, NULL, true);
	write_key(0, "k", 1, 0);
	cr_assert_eq(kill(nodes[0].pid, SIGTERM), 0);
	cr_assert_eq(waitpid(nodes[0].pid, &status, 0), nodes[0].pid);
	nodes[0].pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	cr_assert_str_eq(daemon_file_text(nodes[0].out_path), "seed=7\n");
	cr_assert(log_mentions(0, "stopped"));
}
