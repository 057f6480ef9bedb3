/* SPDX-License-Identifier: MIT */
/* test_daemon.c - crdt-node on 127.0.0.1 killed with SIGKILL and restarted with the same
 * --data-dir: acknowledged updates survive; restart-empty loses them; a corrupt state file
 * stops the daemon with a message naming it. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_harness.h"

enum { PATH_BYTES_MAX = 256, EXIT_INTERNAL = 70 };

static char tmp_dir[PATH_BYTES_MAX];
static char data_dir[PATH_BYTES_MAX + 16];
static char log_path[PATH_BYTES_MAX + 16];
static pid_t node_pid = -1;
static int client_fd = -1;
static int client_port;

static void setup(void)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fl-crdt-daemon-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_dir));
	snprintf(data_dir, sizeof(data_dir), "%s/n0.data", tmp_dir);
	snprintf(log_path, sizeof(log_path), "%s/n0.log", tmp_dir);
	/*
	 * Criterion runs each test in its own process: the pid spreads the ports. They stay
	 * below the ephemeral range (from 32768), where a connect retried before the node
	 * listens could be given the same port as its source and connect to itself.
	 */
	client_port = 12000 + (int)(getpid() % 10000) * 2;
}

static void stop_node(int sig)
{
	daemon_stop(&node_pid, &client_fd, sig);
}

static void teardown(void)
{
	stop_node(SIGKILL);
	daemon_data_dir_remove(data_dir);
	unlink(log_path);
	rmdir(tmp_dir);
}

TestSuite(crdt_daemon, .init = setup, .fini = teardown, .timeout = 60);

/* spawn() - crdt-node --replicas 1 on loopback, stderr appended to the log. */
static pid_t spawn(const char *bug)
{
	char listen[64], port[16];
	const char *argv[16] = { CRDT_NODE_EXE, "--id", "0", "--replicas", "1", "--listen",
				 listen, "--client-port", port, "--data-dir", data_dir,
				 "--gossip-ms", "20", NULL, NULL, NULL };

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", client_port + 1);
	snprintf(port, sizeof(port), "%d", client_port);
	if (bug) {
		argv[13] = "--bug";
		argv[14] = bug;
	}
	return daemon_spawn(argv, NULL, log_path);
}

/* start() - spawn and connect (retrying while the node starts up). */
static void start(const char *bug)
{
	node_pid = spawn(bug);
	client_fd = daemon_connect(node_pid, client_port, "crdt-node");
}

/* request() - one line out, one line back (valid until the next call). */
static const char *request(const char *line)
{
	return daemon_request(client_fd, line);
}

static void updates(void)
{
	cr_assert_str_eq(request("add gcounter c 5\n"), "ok\n");
	cr_assert_str_eq(request("add gcounter c 2\n"), "ok\n");
	cr_assert_str_eq(request("add gset s 7\n"), "ok\n");
	cr_assert_str_eq(request("add orset o 3\n"), "ok\n");
	cr_assert_str_eq(request("add orset o 4\n"), "ok\n");
	cr_assert_str_eq(request("remove orset o 3\n"), "ok\n");
}

Test(crdt_daemon, sigkill_and_restart_keeps_every_acknowledged_update)
{
	start(NULL);
	updates();
	stop_node(SIGKILL);
	start(NULL);
	cr_assert_str_eq(request("read gcounter c\n"), "ok 7\n");
	cr_assert_str_eq(request("read gset s\n"), "ok 7\n");
	cr_assert_str_eq(request("read orset o\n"), "ok 4\n");
	cr_assert_str_eq(request("add orset o 3\n"), "ok\n");
	cr_assert_str_eq(request("read orset o\n"), "ok 3 4\n");
	stop_node(SIGKILL);
	start(NULL);
	cr_assert_str_eq(request("read orset o\n"), "ok 3 4\n", "and again");
}

Test(crdt_daemon, restart_empty_loses_acknowledged_updates)
{
	start("restart-empty");
	updates();
	stop_node(SIGKILL);
	start("restart-empty");
	cr_assert_str_eq(request("read gcounter c\n"), "ok 0\n");
	cr_assert_str_eq(request("read gset s\n"), "ok\n");
	cr_assert_str_eq(request("read orset o\n"), "ok\n");
}

/* run_to_exit() - start the node and wait for it to stop by itself. Return: wait status. */
static int run_to_exit(void)
{
	int status;

	node_pid = spawn(NULL);
	status = daemon_wait_exit(node_pid);
	if (status == -1)
		cr_assert_fail("crdt-node kept running on a corrupt state file");
	node_pid = -1;
	return status;
}

static bool log_mentions(const char *what)
{
	return daemon_file_mentions(log_path, what);
}

Test(crdt_daemon, corrupt_state_file_refuses_to_start)
{
	char path[PATH_BYTES_MAX + 32];
	int status;

	start(NULL);
	updates();
	stop_node(SIGKILL);
	snprintf(path, sizeof(path), "%s/state", data_dir);
	daemon_file_poke(path, 40, '!');
	status = run_to_exit();
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_INTERNAL, "status %#x",
		  status);
	cr_assert(log_mentions(path), "the message names %s", path);
	cr_assert(log_mentions("checksum"), "and says what was wrong");
}

Test(crdt_daemon, data_dir_is_created_private)
{
	struct stat st;

	start(NULL);
	cr_assert_eq(stat(data_dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
}
