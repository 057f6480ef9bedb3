/* SPDX-License-Identifier: MIT */
/* test_replica_server.c - the daemon shell around a fake core, in a child process on
 * 127.0.0.1: request lines in order, a long line refused, datagrams told apart by source,
 * ticks to every peer, the state file loaded at open and saved before a reply and at stop. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "errbuf.h"
#include "monotime.h"
#include "replica_server.h"

enum {
	PATH_BYTES_MAX = 256,
	STATE_BYTES_MAX = 64,
	/*
	 * Ports 7400..7499, used by no other test, in slots of 4: client (TCP), gossip (UDP),
	 * unused, the peer's gossip (UDP).
	 */
	PORT_FIRST = 7400,
	PORT_SLOTS = 25,
};

/* The fake core: its state is a short text; "echo", "save", "dirty" and "last" lines. */
struct fake {
	char state[STATE_BYTES_MAX];
	size_t state_size;
	bool ticking;                   /* gossip "tick" every 10 ms */
	int64_t next_tick_ns;
	bool last_from_peer;
	size_t last_size;
	uint32_t datagrams;
};

static char tmp_dir[PATH_BYTES_MAX];
static char data_dir[PATH_BYTES_MAX + 16];
static int port_base;
static pid_t server_pid = -1;
static int client_fd = -1;
static struct fake fake;
static struct replica_server_config config;

static void setup(void)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fl-replica-server-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_dir));
	snprintf(data_dir, sizeof(data_dir), "%s/data", tmp_dir);
	port_base = daemon_ports_pick(PORT_FIRST, PORT_SLOTS, 4);
	memset(&fake, 0, sizeof(fake));
	fake.next_tick_ns = 0;        /* with ticking: at once */
	config = (struct replica_server_config){
		.state_bytes_max = STATE_BYTES_MAX, .clients_max = 2, .request_bytes_max = 32,
		.reply_bytes_max = 64, .datagram_bytes_max = 16, .recv_batch_max = 4,
	};
	config.addrs.client_addr = (struct sockaddr_in){ .sin_family = AF_INET,
							 .sin_port = htons((uint16_t)port_base) };
	inet_pton(AF_INET, "127.0.0.1", &config.addrs.client_addr.sin_addr);
	config.addrs.gossip_addr = config.addrs.client_addr;
	config.addrs.gossip_addr.sin_port = htons((uint16_t)(port_base + 1));
	config.addrs.peer_count = 1;
	config.addrs.peer_ids[0] = 1;
	config.addrs.peer_addrs[0] = config.addrs.client_addr;
	config.addrs.peer_addrs[0].sin_port = htons((uint16_t)(port_base + 3));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static void teardown(void)
{
	daemon_stop(&server_pid, &client_fd, SIGKILL);
	nftw(tmp_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(replica_server, .init = setup, .fini = teardown, .timeout = 30);

/* set_state() - the text after the first word of @line, without its '\n'. */
static void set_state(struct fake *f, const char *line, size_t size)
{
	const char *space = memchr(line, ' ', size);
	size_t start = space ? (size_t)(space - line) + 1 : size;

	f->state_size = size - start - 1;
	cr_assert_leq(f->state_size, sizeof(f->state));
	memcpy(f->state, line + start, f->state_size);
}

static bool is(const char *line, size_t size, const char *word)
{
	return size > strlen(word) && memcmp(line, word, strlen(word)) == 0;
}

static ssize_t on_request(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	struct fake *f = ctx;

	if (is(line, size, "echo "))
		return snprintf(reply, reply_size, "ok %.*s", (int)(size - 5), line + 5);
	if (is(line, size, "state"))
		return snprintf(reply, reply_size, "state %.*s\n", (int)f->state_size, f->state);
	if (is(line, size, "last"))
		return snprintf(reply, reply_size, "peer %d size %zu count %u\n",
				f->last_from_peer, f->last_size, f->datagrams);
	if (is(line, size, "save ")) {
		set_state(f, line, size);
		if (!replica_server_save(s))
			return -EIO;
		return snprintf(reply, reply_size, "ok\n");
	}
	if (is(line, size, "dirty ")) {
		set_state(f, line, size);
		replica_server_mark_dirty(s);
		return snprintf(reply, reply_size, "ok\n");
	}
	return snprintf(reply, reply_size, "err what\n");
}

static void on_datagram(struct replica_server *s, void *ctx, const struct sockaddr_in *from,
			bool from_peer, const uint8_t *bytes, size_t size)
{
	struct fake *f = ctx;

	f->last_from_peer = from_peer;
	f->last_size = size;
	f->datagrams++;
}

static void on_tick(struct replica_server *s, void *ctx)
{
	struct fake *f = ctx;

	f->next_tick_ns = monotime_ns() + 10 * 1000000;
	replica_server_send_peers(s, "tick", 4);
}

static int64_t next_tick_ns(void *ctx)
{
	const struct fake *f = ctx;

	return f->ticking ? f->next_tick_ns : INT64_MAX;
}

static int on_load(void *ctx, const char *path, const uint8_t *bytes, size_t size,
		   struct errbuf *e)
{
	struct fake *f = ctx;

	if (size == 7 && memcmp(bytes, "corrupt", 7) == 0)
		return errbuf_set(e, -EBADMSG, "checksum mismatch");
	cr_assert_leq(size, sizeof(f->state));
	memcpy(f->state, bytes, size);
	f->state_size = size;
	return 0;
}

static ssize_t on_save(void *ctx, uint8_t *buf, size_t size)
{
	const struct fake *f = ctx;

	cr_assert(f->state_size > 0 && f->state_size <= size);
	memcpy(buf, f->state, f->state_size);
	return (ssize_t)f->state_size;
}

static const struct replica_server_ops ops = {
	.request = on_request, .datagram = on_datagram, .tick = on_tick,
	.next_tick_ns = next_tick_ns, .load = on_load, .save = on_save,
};

/* start() - the server in a child (exit 0 after a signal, 70 on an error); connect. */
static void start(void)
{
	server_pid = fork();
	cr_assert_geq(server_pid, 0);
	if (server_pid == 0) {
		struct replica_server *s = NULL;
		struct errbuf e = { "" };
		int err = replica_server_block_signals(&e);

		if (err == 0)
			err = replica_server_open(&s, &config, &ops, &fake, &e);
		if (err == 0)
			err = replica_server_run(s, &e);
		replica_server_close(s);
		if (err < 0)
			fprintf(stderr, "server: %s: %s\n", e.msg, strerror(-err));
		_exit(err < 0 ? 70 : 0);
	}
	client_fd = daemon_connect(server_pid, port_base, "the server");
}

/* stop() - SIGTERM, then the wait status. */
static int stop(void)
{
	int status = -1;

	cr_assert_eq(kill(server_pid, SIGTERM), 0);
	cr_assert_eq(waitpid(server_pid, &status, 0), server_pid);
	server_pid = -1;
	return status;
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_BYTES_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static const char *state_file(void)
{
	char path[PATH_BYTES_MAX + 32];

	snprintf(path, sizeof(path), "%s/state", data_dir);
	return daemon_file_text(path);
}

static int udp_socket(int port)
{
	struct sockaddr_in a = config.addrs.client_addr;
	struct timeval timeout = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	a.sin_port = htons((uint16_t)port);
	if (port > 0)
		cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "udp %d", port);
	return fd;
}

Test(replica_server, lines_sent_back_to_back_are_answered_in_order)
{
	const char *two = "echo a\necho b\n";
	char reply[64] = "";
	size_t size = 0;
	int status;

	start();
	cr_assert_eq(send(client_fd, two, strlen(two), MSG_NOSIGNAL), (ssize_t)strlen(two));
	while (size < strlen("ok a\nok b\n")) {
		ssize_t n = recv(client_fd, reply + size, sizeof(reply) - 1 - size, 0);

		cr_assert_gt(n, 0);
		size += (size_t)n;
	}
	cr_assert_str_eq(reply, "ok a\nok b\n");
	cr_assert_str_eq(daemon_request(client_fd, "what\n"), "err what\n");
	status = stop();
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

Test(replica_server, a_line_longer_than_request_bytes_max_is_refused_and_closed)
{
	char line[40], reply[64];
	ssize_t n;

	start();
	memset(line, 'a', sizeof(line));
	cr_assert_eq(send(client_fd, line, sizeof(line), MSG_NOSIGNAL), (ssize_t)sizeof(line));
	n = recv(client_fd, reply, sizeof(reply) - 1, MSG_WAITALL);
	cr_assert_gt(n, 0);
	reply[n] = '\0';
	cr_assert_str_eq(reply, "err line too long\n", "and then the connection closed");
}

/* await_datagrams() - the "last" reply once @count datagrams have arrived. */
static const char *await_datagrams(uint32_t count)
{
	char want[32];

	snprintf(want, sizeof(want), "count %u\n", count);
	for (int ms = 0; ms < DAEMON_WAIT_MS_MAX; ms += 10) {
		const char *last = daemon_request(client_fd, "last\n");

		if (strstr(last, want))
			return last;
		daemon_sleep_ms(10);
	}
	cr_assert_fail("%u datagrams never arrived", count);
	return NULL;
}

Test(replica_server, datagrams_are_told_apart_by_source_and_size)
{
	int peer = udp_socket(port_base + 3), stray = udp_socket(0);
	const struct sockaddr *to = (const struct sockaddr *)&config.addrs.gossip_addr;
	char big[20];

	start();
	cr_assert_eq(sendto(peer, "hello", 5, 0, to, sizeof(struct sockaddr_in)), 5);
	cr_assert_str_eq(await_datagrams(1), "peer 1 size 5 count 1\n");
	cr_assert_eq(sendto(stray, "x", 1, 0, to, sizeof(struct sockaddr_in)), 1);
	cr_assert_str_eq(await_datagrams(2), "peer 0 size 1 count 2\n", "not a peer's address");
	memset(big, 'b', sizeof(big));
	cr_assert_eq(sendto(peer, big, sizeof(big), 0, to, sizeof(struct sockaddr_in)), 20);
	cr_assert_str_eq(await_datagrams(3), "peer 1 size 20 count 3\n",
			 "an oversized one arrives with its full size");
	close(peer);
	close(stray);
}

Test(replica_server, every_tick_reaches_every_peer)
{
	int peer = udp_socket(port_base + 3);
	char got[8] = "";

	fake.ticking = true;
	start();
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(recv(peer, got, sizeof(got) - 1, 0), 4, "tick %d", i);
		cr_assert_str_eq(got, "tick");
	}
	close(peer);
}

Test(replica_server, state_is_loaded_at_open_saved_before_the_reply_and_at_the_stop)
{
	int status;

	config.data_dir = data_dir;
	cr_assert_eq(mkdir(data_dir, 0700), 0);
	write_file("state", "restored");
	start();
	cr_assert_str_eq(daemon_request(client_fd, "state\n"), "state restored\n");
	cr_assert_str_eq(daemon_request(client_fd, "save abc\n"), "ok\n");
	cr_assert_str_eq(state_file(), "abc", "on disk before the ok");
	cr_assert_str_eq(daemon_request(client_fd, "dirty xyz\n"), "ok\n");
	cr_assert_str_eq(state_file(), "abc", "dirty state waits");
	status = stop();
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	cr_assert_str_eq(state_file(), "xyz", "saved at the stop");
}

Test(replica_server, a_failed_save_closes_without_a_reply_and_stops_with_the_error)
{
	char path[PATH_BYTES_MAX + 32], reply[16];
	int status = 0;

	config.data_dir = data_dir;
	start();
	snprintf(path, sizeof(path), "%s/state.tmp", data_dir);
	cr_assert_eq(mkdir(path, 0700), 0, "the temp file cannot be written");
	cr_assert_eq(send(client_fd, "save abc\n", 9, MSG_NOSIGNAL), 9);
	cr_assert_eq(recv(client_fd, reply, sizeof(reply), 0), 0, "closed, no reply");
	cr_assert_eq(waitpid(server_pid, &status, 0), server_pid);
	server_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 70, "status %#x", status);
	cr_assert_eq(rmdir(path), 0);
}

Test(replica_server, a_corrupt_state_file_refuses_to_open)
{
	struct replica_server *s = NULL;
	struct errbuf e = { "" };
	char want[PATH_BYTES_MAX + 96];

	config.data_dir = data_dir;
	cr_assert_eq(mkdir(data_dir, 0700), 0);
	write_file("state", "corrupt");
	cr_assert_eq(replica_server_open(&s, &config, &ops, &fake, &e), -EBADMSG);
	snprintf(want, sizeof(want), "refusing to start: state file %s/state: checksum mismatch",
		 data_dir);
	cr_assert_str_eq(e.msg, want);
	replica_server_close(s);
}

Test(replica_server, a_gossip_port_in_use_fails_unless_shared)
{
	struct replica_server *s = NULL;
	struct errbuf e = { "" };
	int busy = udp_socket(port_base + 1);
	char want[64];

	cr_assert_eq(replica_server_open(&s, &config, &ops, &fake, &e), -EADDRINUSE);
	snprintf(want, sizeof(want), "bind udp 127.0.0.1:%d", port_base + 1);
	cr_assert_str_eq(e.msg, want);
	replica_server_close(s);
	close(busy);
}
