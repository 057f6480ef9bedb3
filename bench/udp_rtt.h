/* SPDX-License-Identifier: MIT */
/* udp_rtt.h - bench helpers, also used by the nfqueue test: UDP ping-pong RTT and numbered
 * bursts across namespaces. */
#ifndef UDP_RTT_H
#define UDP_RTT_H

#include <netinet/in.h>
#include <stdint.h>

enum {
	UDP_RTT_PORT = 7010,
	UDP_BURST_PORT = 7011,
	UDP_PAYLOAD_BYTES_MAX = 1400,
	UDP_RCVBUF_BYTES = 8 << 20,
};

/*
 * Both ends live in this process: a socket made inside a namespace stays there, so one
 * thread can send from node B's namespace and answer (or count) in node A's. No child to
 * reap, and the echo turnaround is a poll wake-up, far below the delays measured.
 */

/* udp_open_in() - a UDP socket in namespace @ns_fd bound to @addr:@port. fd or -errno. */
int udp_open_in(int ns_fd, struct in_addr addr, uint16_t port);

/**
 * udp_rtt_sample() - @count sequential ping-pongs: @client_fd sends a numbered datagram to
 * @server (the address @server_fd is bound to); this thread echoes it on @server_fd and times
 * the answer back at @client_fd. rtt_ns[i] is -1 when ping i got no answer in @timeout_ms.
 * Return: the number answered.
 */
uint32_t udp_rtt_sample(int client_fd, int server_fd, struct sockaddr_in server, uint32_t count,
			int timeout_ms, int64_t *rtt_ns);

/* udp_rtt_stats() - sorts @rtt_ns (lost ones first) and gives min/median/max of answers.
 * Return: the number of answers (0: outputs are -1). */
uint32_t udp_rtt_stats(int64_t *rtt_ns, uint32_t count, int64_t *min_ns, int64_t *median_ns,
		       int64_t *max_ns);

/**
 * udp_burst() - send @count datagrams numbered 0..count-1 of @payload_bytes from @client_fd
 * to @server as fast as the socket takes them, reading @server_fd in between; stops sending
 * after @budget_ms, and receiving when all arrived or @quiet_ms passed without one. @order
 * (NULL allowed) receives the numbers in arrival order. Return: the number received.
 */
uint32_t udp_burst(int client_fd, int server_fd, struct sockaddr_in server, uint32_t count,
		   uint32_t payload_bytes, int quiet_ms, int budget_ms, uint32_t *order);

/* udp_inversions() - arrivals that were overtaken: numbered below an earlier arrival. */
uint32_t udp_inversions(const uint32_t *order, uint32_t count);

#endif /* UDP_RTT_H */
