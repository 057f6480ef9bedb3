/* SPDX-License-Identifier: MIT */
/* udp_rtt.c - bench helpers, also used by the nfqueue test: UDP ping-pong RTT and numbered
 * bursts across namespaces. */
#include "udp_rtt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fl_assert.h"
#include "monotime.h"

enum { SEND_CHUNK = 32, NS_PER_MS = 1000000 };

int udp_open_in(int ns_fd, struct in_addr addr, uint16_t port)
{
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr = addr,
				     .sin_port = htons(port) };
	int home, fd, err = 0, size = UDP_RCVBUF_BYTES;

	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return -errno;
	if (setns(ns_fd, CLONE_NEWNET)) {
		err = -errno;
		close(home);
		return err;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		err = -errno;
	ASSERT(setns(home, CLONE_NEWNET) == 0);
	close(home);
	if (err)
		return err;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Echoes what waits on @server_fd; returns true if @client_fd got ping @seq back. */
static bool pong_step(int client_fd, int server_fd, uint32_t seq)
{
	struct sockaddr_in peer;
	socklen_t peer_len;
	uint32_t got;
	ssize_t n;

	for (;;) {      /* bounded by the socket's contents */
		peer_len = sizeof(peer);
		n = recvfrom(server_fd, &got, sizeof(got), 0, (struct sockaddr *)&peer, &peer_len);
		if (n <= 0)
			break;
		sendto(server_fd, &got, (size_t)n, 0, (struct sockaddr *)&peer, peer_len);
	}
	for (;;) {
		n = recv(client_fd, &got, sizeof(got), 0);
		if (n <= 0)
			return false;
		if (n == sizeof(got) && got == seq)
			return true;    /* late answers to earlier pings are skipped */
	}
}

uint32_t udp_rtt_sample(int client_fd, int server_fd, struct sockaddr_in server, uint32_t count,
			int timeout_ms, int64_t *rtt_ns)
{
	struct pollfd fds[2] = { { .fd = client_fd, .events = POLLIN },
				 { .fd = server_fd, .events = POLLIN } };
	int64_t start, deadline, left;
	uint32_t i, answered = 0;

	for (i = 0; i < count; i++) {
		rtt_ns[i] = -1;
		start = monotime_ns();
		deadline = start + (int64_t)timeout_ms * NS_PER_MS;
		if (sendto(client_fd, &i, sizeof(i), 0, (struct sockaddr *)&server,
			   sizeof(server)) != sizeof(i))
			continue;
		while ((left = deadline - monotime_ns()) > 0) {
			if (poll(fds, 2, (int)(left / NS_PER_MS) + 1) <= 0)
				continue;
			if (pong_step(client_fd, server_fd, i)) {
				rtt_ns[i] = monotime_ns() - start;
				answered++;
				break;
			}
		}
	}
	return answered;
}

static int ns_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

uint32_t udp_rtt_stats(int64_t *rtt_ns, uint32_t count, int64_t *min_ns, int64_t *median_ns,
		       int64_t *max_ns)
{
	uint32_t lost = 0, answered;

	qsort(rtt_ns, count, sizeof(*rtt_ns), ns_cmp);
	while (lost < count && rtt_ns[lost] < 0)
		lost++;
	answered = count - lost;
	*min_ns = answered ? rtt_ns[lost] : -1;
	*median_ns = answered ? rtt_ns[lost + answered / 2] : -1;
	*max_ns = answered ? rtt_ns[count - 1] : -1;
	return answered;
}

/* Reads every datagram waiting on @server_fd; returns how many. */
static uint32_t burst_receive(int server_fd, uint32_t *order, uint32_t received, uint32_t count)
{
	char buf[UDP_PAYLOAD_BYTES_MAX];
	uint32_t number, got = 0;
	ssize_t n;

	while (received + got < count) {
		n = recv(server_fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(number))
			break;
		memcpy(&number, buf, sizeof(number));
		if (order)
			order[received + got] = number;
		got++;
	}
	return got;
}

uint32_t udp_burst(int client_fd, int server_fd, struct sockaddr_in server, uint32_t count,
		   uint32_t payload_bytes, int quiet_ms, int budget_ms, uint32_t *order)
{
	struct pollfd fd = { .fd = server_fd, .events = POLLIN };
	char buf[UDP_PAYLOAD_BYTES_MAX] = { 0 };
	uint32_t sent = 0, received = 0, chunk, got;
	int64_t progress_ns = monotime_ns();
	int64_t end_ns = progress_ns + (int64_t)budget_ms * NS_PER_MS;

	ASSERT(payload_bytes >= sizeof(uint32_t) && payload_bytes <= UDP_PAYLOAD_BYTES_MAX);
	while (sent < count && monotime_ns() - progress_ns < (int64_t)quiet_ms * NS_PER_MS &&
	       monotime_ns() < end_ns) {
		for (chunk = 0; chunk < SEND_CHUNK && sent < count; chunk++) {
			memcpy(buf, &sent, sizeof(sent));
			if (sendto(client_fd, buf, payload_bytes, 0, (struct sockaddr *)&server,
				   sizeof(server)) < 0)
				break;  /* EAGAIN: let the receiver catch up */
			sent++;
		}
		got = burst_receive(server_fd, order, received, count);
		received += got;
		if (chunk || got)
			progress_ns = monotime_ns();
		else
			poll(&fd, 1, 1);
	}
	while (received < count && poll(&fd, 1, quiet_ms) > 0)
		received += burst_receive(server_fd, order, received, count);
	return received;
}

uint32_t udp_inversions(const uint32_t *order, uint32_t count)
{
	uint32_t i, highest, overtaken = 0;

	for (i = 0; i < count; i++) {
		if (i > 0 && order[i] < highest)
			overtaken++;
		else
			highest = order[i];
	}
	return overtaken;
}
