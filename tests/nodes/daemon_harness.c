/* SPDX-License-Identifier: MIT */
/* daemon_harness.c - helpers shared by the crdt-node and lww-node daemon tests. */
#include "daemon_harness.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { PATH_BYTES_MAX = 4096 };

/* port_free() - can @port be bound on 127.0.0.1 (TCP as a daemon does, or UDP)? */
static bool port_free(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
	bool ok;

	cr_assert_geq(fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

int daemon_ports_pick(int first, int slots, int width)
{
	cr_assert(slots > 0 && width > 0 && first + slots * width <= 65536);
	for (int i = 0; i < slots; i++) {
		int base = first + width * (int)((getpid() + i) % slots);
		bool ok = true;

		for (int p = 0; p < width && ok; p++)
			ok = port_free(p % 2 ? SOCK_DGRAM : SOCK_STREAM, base + p);
		if (ok)
			return base;
	}
	cr_assert_fail("no free ports in %d..%d", first, first + width * slots - 1);
	return -1;
}

void daemon_sleep_ms(int ms)
{
	const struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

pid_t daemon_spawn(const char *const *argv, const char *out_path, const char *log_path)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) :
				     open("/dev/null", O_WRONLY);
		int log = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600) :
				     open("/dev/null", O_WRONLY);

		dup2(log, 2);
		dup2(out, 1);
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

int daemon_connect(pid_t pid, int port, const char *what)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	for (int ms = 0; ms < DAEMON_WAIT_MS_MAX; ms += 10) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		cr_assert_geq(fd, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && !connected_to_itself(fd))
			return fd;
		close(fd);
		cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "%s exited early", what);
		daemon_sleep_ms(10);
	}
	cr_assert_fail("%s did not listen on port %d", what, port);
	return -1;
}

const char *daemon_request(int fd, const char *line)
{
	static char reply[DAEMON_LINE_BYTES_MAX];
	size_t size = 0;

	cr_assert_eq(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	while (size < sizeof(reply) - 1 && (size == 0 || reply[size - 1] != '\n')) {
		ssize_t n = recv(fd, reply + size, sizeof(reply) - 1 - size, 0);

		cr_assert_gt(n, 0, "connection closed after '%s'", line);
		size += (size_t)n;
	}
	reply[size] = '\0';
	return reply;
}

void daemon_stop(pid_t *pid, int *fd, int sig)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	if (*pid > 0) {
		kill(*pid, sig);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

int daemon_wait_exit(pid_t pid)
{
	int status = 0;

	for (int ms = 0; ms < DAEMON_WAIT_MS_MAX; ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		daemon_sleep_ms(10);
	}
	return -1;
}

const char *daemon_file_text(const char *path)
{
	static char text[DAEMON_TEXT_BYTES_MAX];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "%s", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

bool daemon_file_mentions(const char *path, const char *what)
{
	return strstr(daemon_file_text(path), what) != NULL;
}

void daemon_file_poke(const char *path, long offset, int byte)
{
	FILE *f = fopen(path, "r+b");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, offset, SEEK_SET), 0);
	fputc(byte, f);
	fclose(f);
}

void daemon_data_dir_remove(const char *dir)
{
	char path[PATH_BYTES_MAX];

	snprintf(path, sizeof(path), "%s/state", dir);
	unlink(path);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/state.tmp", dir);
	unlink(path);
	rmdir(dir);
}
