/* SPDX-License-Identifier: MIT */
/* mr_worker_net.c - a worker's link to the coordinator, its file server and its fetches
 * (mr_worker_net.h). Blocking calls with deadlines, each on its own thread's stack: a worker's
 * tasks are CPU-bound, so serving files and heartbeats cannot wait for them in one loop. */
#include "mr_worker_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "mr_file.h"
#include "mr_node.h"
#include "mr_task.h"

enum { GET_LINE_BYTES_MAX = 64, FILE_HEADER_BYTES_MAX = 32, LISTEN_BACKLOG = 64 };

void mr_link_init(struct mr_link *link, const struct sockaddr_in *to)
{
	line_conn_init(&link->conn, ntohs(to->sin_port), link->buf, sizeof(link->buf));
	link->addr = to->sin_addr;
}

void mr_link_close(struct mr_link *link)
{
	line_conn_close(&link->conn);
}

ssize_t mr_link_call(struct mr_link *link, const char *line, size_t size, int64_t timeout_ms,
		     struct errbuf *eb)
{
	int64_t deadline_ns = monotime_ns() + timeout_ms * 1000000;
	ssize_t n = 0;
	int err = 0;

	if (link->conn.fd < 0)
		err = line_conn_open(&link->conn, link->addr, deadline_ns, eb);
	if (!err && (err = line_conn_send(&link->conn, line, size, deadline_ns)) < 0)
		errbuf_set(eb, err, "send to %s: %s", inet_ntoa(link->addr), strerror(-err));
	if (!err && (n = line_conn_recv(&link->conn, deadline_ns)) < 0)
		err = errbuf_set(eb, (int)n, "reply from %s: %s", inet_ntoa(link->addr),
				 strerror((int)-n));
	if (err) {
		line_conn_close(&link->conn);
		return err;
	}
	return n;
}

void mr_map_file_name(char *buf, size_t size, uint64_t job, uint32_t map, uint32_t reduce)
{
	snprintf(buf, size, "j%" PRIu64 "-m%u-r%u", job, map, reduce);
}

/* --- the file server --- */

static void timeouts_set(int fd)
{
	struct timeval tv = { MR_NODE_IO_MS / 1000, (MR_NODE_IO_MS % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static bool send_all(int fd, const void *bytes, size_t size)
{
	const char *p = bytes;

	while (size > 0) {
		ssize_t n = send(fd, p, size, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		size -= (size_t)n;
	}
	return true;
}

/* One connection: "get M R" in, "file N\n" and the bytes, or "none\n", out. */
static void serve_one(const struct mr_file_server *server, int fd)
{
	char line[GET_LINE_BYTES_MAX], name[64], path[512], header[FILE_HEADER_BYTES_MAX];
	size_t used = 0, size = 0;
	char *bytes = NULL, *nl = NULL;
	uint32_t map, reduce;
	uint64_t job;
	struct errbuf eb;

	while (!nl && used < sizeof(line) - 1) {
		ssize_t n = recv(fd, line + used, sizeof(line) - 1 - used, 0);

		if (n <= 0)
			return;
		used += (size_t)n;
		nl = memchr(line, '\n', used);
	}
	if (!nl || mr_wire_get_parse(line, (size_t)(nl - line), &job, &map, &reduce, &eb) < 0) {
		send_all(fd, "err bad request\n", 16);
		return;
	}
	mr_map_file_name(name, sizeof(name), job, map, reduce);
	snprintf(path, sizeof(path), "%s/%s", server->dir, name);
	if (mr_file_read(path, MR_IFILE_BYTES_MAX, &bytes, &size, &eb) < 0) {
		send_all(fd, "none\n", 5);
		return;
	}
	snprintf(header, sizeof(header), "file %zu\n", size);
	if (send_all(fd, header, strlen(header)))
		send_all(fd, bytes, size);
	free(bytes);
}

static void *serve_cb(void *arg)
{
	struct mr_file_server *server = arg;

	for (;;) {
		int fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				log_warn("worker: file server: accept: %s", strerror(errno));
			continue;
		}
		timeouts_set(fd);
		serve_one(server, fd);
		close(fd);
	}
	return NULL;
}

int mr_file_server_start(struct mr_file_server *server, const struct sockaddr_in *addr,
			 const char *dir, struct errbuf *eb)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP), err;

	if (fd < 0)
		return errbuf_set(eb, -errno, "file server: socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		err = -errno;
		close(fd);
		return errbuf_set(eb, err, "file server: bind %s:%u: %s", inet_ntoa(addr->sin_addr),
				  ntohs(addr->sin_port), strerror(-err));
	}
	server->listen_fd = fd;
	snprintf(server->dir, sizeof(server->dir), "%s", dir);
	err = pthread_create(&server->thread, NULL, serve_cb, server);
	if (err) {
		close(fd);
		return errbuf_set(eb, -err, "file server: thread: %s", strerror(err));
	}
	return 0;
}

/* --- fetching --- */

/* Everything until the peer closes, at most @max bytes, before @deadline_ns. */
static ssize_t recv_all(int fd, char *buf, size_t max, int64_t deadline_ns)
{
	size_t used = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left_ms = (deadline_ns - monotime_ns()) / 1000000;
		ssize_t n;

		if (left_ms <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left_ms) == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + used, max - used, 0);
		if (n == 0)
			return (ssize_t)used;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			used += (size_t)n;
		if (used == max) /* more than the file: wrong */
			return -EMSGSIZE;
	}
}

int mr_fetch(const struct sockaddr_in *from, uint64_t job, uint32_t map, uint32_t reduce,
	     uint64_t size, char **out, struct errbuf *eb)
{
	int64_t deadline_ns = monotime_ns() + MR_NODE_IO_MS * 1000000ll;
	size_t max = FILE_HEADER_BYTES_MAX + (size_t)size + 1;
	char request[GET_LINE_BYTES_MAX], header[FILE_HEADER_BYTES_MAX];
	struct line_conn conn;
	char dummy[2], *buf;
	ssize_t got;
	int err, n;

	*out = NULL;
	if (size > MR_IFILE_BYTES_MAX)
		return errbuf_set(eb, -EBADMSG, "map %u's file: %" PRIu64 " bytes, over the bound",
				  map, size);
	buf = malloc(max);
	if (!buf)
		return errbuf_set(eb, -ENOMEM, "fetch: out of memory");
	line_conn_init(&conn, ntohs(from->sin_port), dummy, sizeof(dummy));
	err = line_conn_open(&conn, from->sin_addr, deadline_ns, eb);
	n = snprintf(request, sizeof(request), "get %" PRIu64 " %u %u\n", job, map, reduce);
	if (!err && (err = line_conn_send(&conn, request, (size_t)n, deadline_ns)) < 0)
		errbuf_set(eb, err, "fetch map %u: send: %s", map, strerror(-err));
	got = err ? err : recv_all(conn.fd, buf, max, deadline_ns);
	line_conn_close(&conn);
	n = snprintf(header, sizeof(header), "file %" PRIu64 "\n", size);
	if (got >= 0 && (got != n + (ssize_t)size || memcmp(buf, header, (size_t)n) != 0))
		err = errbuf_set(eb, got >= 5 && !memcmp(buf, "none\n", 5) ? -ENOENT : -EBADMSG,
				 "fetch map %u for reduce %u from %s: not the file of %" PRIu64
				 " bytes", map, reduce, inet_ntoa(from->sin_addr), size);
	else if (got < 0 && !err)
		err = errbuf_set(eb, (int)got, "fetch map %u from %s: %s", map,
				 inet_ntoa(from->sin_addr), strerror((int)-got));
	if (err) {
		free(buf);
		return err;
	}
	memmove(buf, buf + n, (size_t)size);
	*out = buf;
	return 0;
}
