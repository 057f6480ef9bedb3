/* SPDX-License-Identifier: MIT */
/* test_daemon.c - crdt-node on 127.0.0.1 killed with SIGKILL and restarted with the same
 * --data-dir: acknowledged updates survive; restart-empty loses them; a corrupt state file
 * stops the daemon with a message naming it. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { LINE_BYTES_MAX = 512, WAIT_MS_MAX = 5000, PATH_BYTES_MAX = 256, EXIT_INTERNAL = 70 };

static char tmp_dir[PATH_BYTES_MAX];
static char data_dir[PATH_BYTES_MAX + 16];
static char log_path[PATH_BYTES_MAX + 16];
static pid_t node_pid = -1;
static int client_fd = -1;
static int client_port;

static void sleep_ms(int ms)
{
	const struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

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
	if (client_fd >= 0)
		close(client_fd);
	client_fd = -1;
	if (node_pid > 0) {
		kill(node_pid, sig);
		waitpid(node_pid, NULL, 0);
	}
	node_pid = -1;
}

static void teardown(void)
{
	char path[PATH_BYTES_MAX + 32];

	stop_node(SIGKILL);
	snprintf(path, sizeof(path), "%s/state", data_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.tmp", data_dir);
	unlink(path);
	rmdir(data_dir);
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
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", client_port + 1);
	snprintf(port, sizeof(port), "%d", client_port);
	if (bug) {
		argv[13] = "--bug";
		argv[14] = bug;
	}
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int null = open("/dev/null", O_WRONLY);

		dup2(log, 2);
		dup2(null, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* A TCP simultaneous open with its own port: the "reply" would be our own request. */
static bool connected_to_itself(int fd)
{
	struct sockaddr_in self, peer;
	socklen_t self_size = sizeof(self), peer_size = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&self, &self_size) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &peer_size) < 0)
		return false;
	return self.sin_port == peer.sin_port && self.sin_addr.s_addr == peer.sin_addr.s_addr;
}

/* start() - spawn and connect (retrying while the node starts up). */
static void start(const char *bug)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(client_port) };

	node_pid = spawn(bug);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	for (int ms = 0; ms < WAIT_MS_MAX; ms += 10) {
		client_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(client_fd, 0);
		if (connect(client_fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    !connected_to_itself(client_fd))
			return;
		close(client_fd);
		client_fd = -1;
		cr_assert_eq(waitpid(node_pid, NULL, WNOHANG), 0, "crdt-node exited early");
		sleep_ms(10);
	}
	cr_assert_fail("crdt-node did not listen on port %d", client_port);
}

/* request() - one line out, one line back (valid until the next call). */
static const char *request(const char *line)
{
	static char reply[LINE_BYTES_MAX];
	size_t size = 0;

	cr_assert_eq(send(client_fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	while (size < sizeof(reply) - 1 && (size == 0 || reply[size - 1] != '\n')) {
		ssize_t n = recv(client_fd, reply + size, sizeof(reply) - 1 - size, 0);

		cr_assert_gt(n, 0, "connection closed after '%s'", line);
		size += (size_t)n;
	}
	reply[size] = '\0';
	return reply;
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
	int status = 0;

	node_pid = spawn(NULL);
	for (int ms = 0; ms < WAIT_MS_MAX; ms += 10) {
		if (waitpid(node_pid, &status, WNOHANG) == node_pid) {
			node_pid = -1;
			return status;
		}
		sleep_ms(10);
	}
	cr_assert_fail("crdt-node kept running on a corrupt state file");
	return 0;
}

static bool log_mentions(const char *what)
{
	static char text[8192];
	FILE *f = fopen(log_path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return strstr(text, what) != NULL;
}

Test(crdt_daemon, corrupt_state_file_refuses_to_start)
{
	char path[PATH_BYTES_MAX + 32];
	FILE *f;
	int status;

	start(NULL);
	updates();
	stop_node(SIGKILL);
	snprintf(path, sizeof(path), "%s/state", data_dir);
	f = fopen(path, "r+b");
	cr_assert_not_null(f);
	fseek(f, 40, SEEK_SET);
	fputc('!', f);
	fclose(f);
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
