/* SPDX-License-Identifier: MIT */
/* bench_pbft.c - KV throughput and latency of pbft-node in namespaces: a 4-replica PBFT
 * cluster (n1..n4), an unreplicated node (n5) and a 4-replica cluster on the fast path
 * (n6..n9: --tentative, reads as READ-ONLY, 2f+1 matching replies), measured in one run by
 * one closed-loop, single-threaded load of sealed UDP requests from the switch namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "line_conn.h"
#include "monotime.h"
#include "pbft_limits.h"
#include "pbft_wire.h"
#include "prng.h"

enum {
	NODES = 9,
	REPLICAS = 4,                   /* n1..n4: PBFT, f = 1 */
	UNREP_NODE = 4,                 /* n5: --unreplicated */
	FAST_FIRST = 5,                 /* n6..n9: PBFT on the fast path */
	TARGETS = 3,                    /* pbft, unreplicated, pbft fast */
	PHASES = 2 * TARGETS,           /* each target at C clients, then at 1 */
	SECONDS_MAX = 3600,
	WARMUP_MS = 1000,
	DRAIN_MS = 500,                 /* after a measurement, for the requests still out */
	RETRANSMIT_MS = 200,
	SCAN_MS = 10,                   /* how often retransmissions are looked for */
	KEYS = 32,
	STATUS_PORT = 7000,
	GOSSIP_PORT = 7001,
	READY_MS = 5000,
	REQUEST_PLAIN_BYTES = PBFT_HEADER_BYTES + PBFT_REQUEST_BYTES,
	REQUEST_SEALED_BYTES = REQUEST_PLAIN_BYTES + PBFT_MAC_BYTES,
	/* A REPLY: header, u32 client, u64 timestamp, u8 ok, value; then its MAC. */
	REPLY_SEALED_BYTES = PBFT_HEADER_BYTES + 4 + 8 + 1 + PBFT_VALUE_BYTES + PBFT_MAC_BYTES,
	SEND_QUEUE_MAX = PBFT_CLIENTS_MAX * REPLICAS,
	RECV_BATCH = 64,
	RECV_PASSES_MAX = 16,           /* full batches read before anything else is done */
	HIST_BUCKETS = 1000000,         /* 1 us each; the last one holds everything >= 1 s */
	SOCKET_BUFFER_BYTES = 4 << 20,
	GOAL_OPS_PER_S = 20000,
	PATH_BYTES_MAX = 512,
	LINE_BYTES_MAX = 512,
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
};
#define GOAL_LATENCY_RATIO 2.0

struct bench_opts {
	uint32_t clients;               /* 1..PBFT_CLIENTS_MAX */
	uint32_t seconds;
	uint32_t batch_max;             /* 1..PBFT_BATCH_MAX */
	const char *node_exe;
};

/* Where a target's replicas are and the pair keys of every client with each of them. */
struct target {
	const char *name;
	uint32_t n, f;
	bool fast;                      /* reads as READ-ONLY; 2f+1 matching replies */
	struct sockaddr_in addrs[REPLICAS];
	struct pbft_mac_key send_keys[PBFT_CLIENTS_MAX][REPLICAS];     /* key(n + c, j) */
	struct pbft_mac_key recv_keys[PBFT_CLIENTS_MAX][REPLICAS];     /* key(j, n + c) */
};

/* One client id: at most one request outstanding. */
struct client {
	bool busy;
	bool read, read_only;           /* a read; sent as READ-ONLY (not yet resent in order) */
	uint64_t ts;
	int64_t start_ns, sent_ns;      /* invoked; last (re)sent */
	uint32_t reply_mask;
	struct pbft_result replies[REPLICAS];
	uint8_t plain[REQUEST_PLAIN_BYTES];
};

struct figures {
	const char *target;
	uint32_t clients;
	uint64_t ops, retransmits, reads;
	double ops_per_s, mean_us, p50_us, p99_us, read_mean_us, write_mean_us;
};

/* One measurement: a target at a client count. */
struct phase {
	const struct target *t;
	uint32_t clients;
	int64_t measure_start, measure_end;
	uint64_t ops, retransmits, reads;
	int64_t latency_sum_ns, read_latency_sum_ns;
};

struct bench {
	struct bench_opts opts;
	struct cluster *cluster;
	char log_dir[64];
	char secret_hex[2 * PBFT_SECRET_BYTES + 1];
	uint8_t secret[PBFT_SECRET_BYTES];
	int fd;                         /* the load's one UDP socket, in the switch namespace */
	struct prng prng;
	uint64_t next_ts;               /* one sequence for every client: always increasing */
	struct target targets[TARGETS];
	struct client clients[PBFT_CLIENTS_MAX];
	uint32_t out_count;
	struct mmsghdr out_msgs[SEND_QUEUE_MAX];
	struct iovec out_iov[SEND_QUEUE_MAX];
	uint8_t out_bytes[SEND_QUEUE_MAX][REQUEST_SEALED_BYTES];
	struct mmsghdr in_msgs[RECV_BATCH];
	struct iovec in_iov[RECV_BATCH];
	uint8_t in_bytes[RECV_BATCH][REPLY_SEALED_BYTES + 1];
	struct pbft_msg msg;            /* a request being built, then each reply */
	uint32_t hist[HIST_BUCKETS];    /* latencies of the phase, in us */
	struct figures figures[PHASES];
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench-pbft [--clients N] [--seconds S] [--batch-max B]"
		" [--node-exe PATH]\n"
		"Builds a %d-node cluster in namespaces (needs root): pbft-node on n1..n4 as a\n"
		"4-replica PBFT cluster, n5 --unreplicated, n6..n9 a 4-replica cluster on the\n"
		"fast path (--tentative; reads sent as READ-ONLY, resent in order if no 2f+1\n"
		"match). Then drives a closed loop of N clients (default %d, at most %d;\n"
		"write/read on %d keys, each request to every replica, done at f+1 matching\n"
		"authentic replies, 2f+1 on the fast path, resent after %d ms) against each,\n"
		"and again with 1 client: %d ms of warm-up, then S seconds (default 5).\n"
		"--batch-max: pbft-node's (default %d). --node-exe: default\n"
		"../nodes/pbft/pbft-node beside this program. Prints figures and the goals;\n"
		"asserts nothing.\n"
		"Exit codes: 0 done, 64 usage, 70 internal or system error.\n", NODES,
		PBFT_CLIENTS_MAX, PBFT_CLIENTS_MAX, KEYS, RETRANSMIT_MS, WARMUP_MS, PBFT_BATCH_MAX);
}

/* parse_u32() - a whole decimal in [@min, @max]. Return: 0 or -EINVAL. */
static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* default_node_exe() - ../nodes/pbft/pbft-node beside this program, as faultline finds it. */
static const char *default_node_exe(char *buf, size_t size)
{
	char self[PATH_BYTES_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return "pbft-node";
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return "pbft-node";
	*slash = '\0';
	if (snprintf(buf, size, "%s/../nodes/pbft/pbft-node", self) >= (int)size)
		return "pbft-node";
	return buf;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o, char *exe, size_t size)
{
	static const struct option longs[] = {
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "batch-max", required_argument, NULL, 'B' },
		{ "node-exe", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, err = 0;

	*o = (struct bench_opts){ .clients = PBFT_CLIENTS_MAX, .seconds = 5,
				  .batch_max = PBFT_BATCH_MAX };
	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1 && err == 0) {
		if (opt == 'c')
			err = parse_u32(optarg, 1, PBFT_CLIENTS_MAX, &o->clients);
		else if (opt == 's')
			err = parse_u32(optarg, 1, SECONDS_MAX, &o->seconds);
		else if (opt == 'B')
			err = parse_u32(optarg, 1, PBFT_BATCH_MAX, &o->batch_max);
		else if (opt == 'x')
			o->node_exe = optarg;
		else if (opt == 'h')
			return 1;
		else
			err = -EINVAL;
	}
	if (err == 0 && optind < argc)
		err = -EINVAL;
	if (!o->node_exe)
		o->node_exe = default_node_exe(exe, size);
	return err;
}

/* --- the cluster --- */

static void target_init(struct bench *b, struct target *t, const char *name, uint32_t first,
			uint32_t n)
{
	t->name = name;
	t->n = n;
	t->f = (n - 1) / 3;
	for (uint32_t j = 0; j < n; j++) {
		t->addrs[j] = (struct sockaddr_in){ .sin_family = AF_INET,
						    .sin_port = htons(GOSSIP_PORT),
						    .sin_addr = cluster_node_addr(b->cluster,
										  first + j) };
		for (uint32_t c = 0; c < PBFT_CLIENTS_MAX; c++) {
			uint8_t key[PBFT_KEY_BYTES];

			pbft_key_derive(b->secret, n + c, j, key);
			pbft_mac_key_init(&t->send_keys[c][j], key);
			pbft_key_derive(b->secret, j, n + c, key);
			pbft_mac_key_init(&t->recv_keys[c][j], key);
		}
	}
}

/* node_argv() - pbft-node's command line for @node into @argv, its texts in @text. */
static void node_argv(const struct bench *b, uint32_t node, char *argv[CLUSTER_ARGS_MAX],
		      char text[REPLICAS + 3][32])
{
	uint32_t argc = 0, k = 0;
	bool unrep = node == UNREP_NODE, fast = node >= FAST_FIRST;
	uint32_t first = fast ? FAST_FIRST : 0, id = unrep ? 0 : node - first;
	struct in_addr addr;

	argv[argc++] = (char *)b->opts.node_exe;
	if (unrep)
		argv[argc++] = "--unreplicated";
	if (fast)
		argv[argc++] = "--tentative";
	snprintf(text[k], 32, "%u", id);
	argv[argc++] = "--id";
	argv[argc++] = text[k++];
	argv[argc++] = "--replicas";
	argv[argc++] = unrep ? "1" : "4";
	addr = cluster_node_addr(b->cluster, node);
	inet_ntop(AF_INET, &addr, text[k], 32);
	argv[argc++] = "--listen";
	argv[argc++] = text[k++];
	argv[argc++] = "--secret";
	argv[argc++] = (char *)b->secret_hex;
	snprintf(text[k], 32, "%u", b->opts.batch_max);
	argv[argc++] = "--batch-max";
	argv[argc++] = text[k++];
	for (uint32_t j = 0; j < REPLICAS && !unrep; j++) {
		char peer[INET_ADDRSTRLEN];

		if (j == id)
			continue;
		addr = cluster_node_addr(b->cluster, first + j);
		inet_ntop(AF_INET, &addr, peer, sizeof(peer));
		snprintf(text[k], 32, "%u=%s", j, peer);
		argv[argc++] = "--peer";
		argv[argc++] = text[k++];
	}
	ASSERT(k <= REPLICAS + 3 && argc < CLUSTER_ARGS_MAX);
	argv[argc] = NULL;
}

static int nodes_start(struct bench *b, struct errbuf *eb)
{
	for (uint32_t node = 0; node < NODES; node++) {
		char *argv[CLUSTER_ARGS_MAX], text[REPLICAS + 3][32], log[PATH_BYTES_MAX];
		int err;

		node_argv(b, node, argv, text);
		snprintf(log, sizeof(log), "%s/%s.log", b->log_dir,
			 cluster_node_name(b->cluster, node));
		err = cluster_node_start(b->cluster, node, argv, log, eb);
		if (err)
			return err;
	}
	return 0;
}

/* nodes_ready() - every node's TCP status port accepts a connection. */
static int nodes_ready(struct bench *b, struct errbuf *eb)
{
	int64_t deadline = monotime_ns() + (int64_t)READY_MS * 1000000;
	char buf[8];

	for (uint32_t node = 0; node < NODES && !stopping; node++) {
		struct line_conn conn;
		int err = -ECONNREFUSED;

		line_conn_init(&conn, STATUS_PORT, buf, sizeof(buf));
		while (err < 0 && monotime_ns() < deadline && !stopping) {
			err = line_conn_open(&conn, cluster_node_addr(b->cluster, node), deadline,
					     eb);
			if (err < 0)
				usleep(20000);
		}
		line_conn_close(&conn);
		if (err < 0)
			return errbuf_set(eb, err, "%s (pbft-node) not up in %d ms; see %s",
					  cluster_node_name(b->cluster, node), READY_MS,
					  b->log_dir);
		if (!cluster_node_alive(b->cluster, node))
			return errbuf_set(eb, -ECHILD, "%s exited; see %s",
					  cluster_node_name(b->cluster, node), b->log_dir);
	}
	return stopping ? -EINTR : 0;
}

/* status_print() - each node's status line, for the counters behind the figures. */
static void status_print(struct bench *b)
{
	char buf[LINE_BYTES_MAX];
	struct errbuf eb = { "" };

	for (uint32_t node = 0; node < NODES; node++) {
		int64_t deadline = monotime_ns() + 1000000000ll;
		struct in_addr addr = cluster_node_addr(b->cluster, node);
		struct line_conn conn;
		ssize_t n = -1;

		line_conn_init(&conn, STATUS_PORT, buf, sizeof(buf));
		if (line_conn_open(&conn, addr, deadline, &eb) == 0 &&
		    line_conn_send(&conn, "status\n", 7, deadline) == 0)
			n = line_conn_recv(&conn, deadline);
		printf("  %s status: %s\n", cluster_node_name(b->cluster, node),
		       n >= 0 ? buf : "(no answer)");
		line_conn_close(&conn);
	}
}

static int socket_open(struct bench *b, struct errbuf *eb)
{
	int bytes = SOCKET_BUFFER_BYTES;
	struct sockaddr_in any = { .sin_family = AF_INET };

	b->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->fd < 0)
		return errbuf_set(eb, -errno, "socket");
	setsockopt(b->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	setsockopt(b->fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	if (bind(b->fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		return errbuf_set(eb, -errno, "bind");
	for (uint32_t i = 0; i < RECV_BATCH; i++) {
		b->in_iov[i] = (struct iovec){ b->in_bytes[i], sizeof(b->in_bytes[i]) };
		b->in_msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &b->in_iov[i],
							 .msg_iovlen = 1 };
	}
	return 0;
}

/* --- the load --- */

static void flush(struct bench *b)
{
	uint32_t done = 0;

	/* Bounded: each pass sends at least one datagram or skips one that failed. */
	while (done < b->out_count) {
		int n = sendmmsg(b->fd, b->out_msgs + done, b->out_count - done, 0);

		if (n < 0 && errno == EINTR && !stopping)
			continue;
		done += n > 0 ? (uint32_t)n : 1;
	}
	b->out_count = 0;
}

static void queue_push(struct bench *b, const struct sockaddr_in *to,
		       const struct pbft_mac_key *key, const uint8_t *plain)
{
	uint32_t i;
	ssize_t n;

	if (b->out_count == SEND_QUEUE_MAX)
		flush(b);
	i = b->out_count++;
	n = pbft_mac_seal(key, plain, REQUEST_PLAIN_BYTES, b->out_bytes[i], REQUEST_SEALED_BYTES);
	ASSERT(n == REQUEST_SEALED_BYTES);
	b->out_iov[i] = (struct iovec){ b->out_bytes[i], (size_t)n };
	b->out_msgs[i].msg_hdr = (struct msghdr){ .msg_name = (void *)to,
						  .msg_namelen = sizeof(*to),
						  .msg_iov = &b->out_iov[i], .msg_iovlen = 1 };
}

static void client_send(struct bench *b, const struct target *t, uint32_t c, int64_t now)
{
	struct client *cl = &b->clients[c];

	cl->plain[0] = cl->read_only ? PBFT_MSG_READ_ONLY : PBFT_MSG_REQUEST;
	for (uint32_t j = 0; j < t->n; j++)
		queue_push(b, &t->addrs[j], &t->send_keys[c][j], cl->plain);
	cl->sent_ns = now;
}

/* client_issue() - client @c's next request: a write (of its timestamp) or a read. */
static void client_issue(struct bench *b, const struct target *t, uint32_t c, int64_t now)
{
	struct client *cl = &b->clients[c];
	struct pbft_msg *m = &b->msg;
	ssize_t size;

	cl->ts = ++b->next_ts;
	m->type = PBFT_MSG_REQUEST;
	m->sender = t->n + c;
	m->view = m->seq = 0;
	memset(m->digest, 0, sizeof(m->digest));
	m->request = (struct pbft_request){ .client = c, .timestamp = cl->ts };
	m->request.op.key = (uint32_t)prng_below(&b->prng, KEYS);
	m->request.op.verb = prng_below(&b->prng, 2) ? PBFT_VERB_WRITE : PBFT_VERB_READ;
	if (m->request.op.verb == PBFT_VERB_WRITE)
		m->request.op.a = (struct pbft_value){ .present = true, .v = (int64_t)cl->ts };
	size = pbft_encode(m, cl->plain, sizeof(cl->plain));
	ASSERT(size == REQUEST_PLAIN_BYTES);
	cl->busy = true;
	cl->read = m->request.op.verb == PBFT_VERB_READ;
	cl->read_only = t->fast && cl->read;
	cl->reply_mask = 0;
	cl->start_ns = now;
	client_send(b, t, c, now);
}

static void record(struct bench *b, struct phase *p, int64_t latency_ns, bool read)
{
	int64_t us = latency_ns / 1000;

	p->ops++;
	p->latency_sum_ns += latency_ns;
	p->reads += read;
	p->read_latency_sum_ns += read ? latency_ns : 0;
	b->hist[us < HIST_BUCKETS - 1 ? us : HIST_BUCKETS - 1]++;
}

/* How many replicas sent the same result as replica @j. */
static uint32_t matching(const struct client *cl, uint32_t n, uint32_t j)
{
	uint32_t count = 0;

	for (uint32_t k = 0; k < n; k++) {
		const struct pbft_result *x = &cl->replies[k], *y = &cl->replies[j];

		count += (cl->reply_mask & (1u << k)) && x->ok == y->ok &&
			 x->value.present == y->value.present && x->value.v == y->value.v;
	}
	return count;
}

/* Every one of the @n replicas replied. */
static bool all_replied(uint32_t mask, uint32_t n)
{
	return mask == (1u << n) - 1;
}

/* resend_ordered() - a READ-ONLY read without 2f+1 matching replies (a write raced it):
 * resent as a REQUEST, its replies counted afresh (PBFT 5.1.3). */
static void resend_ordered(struct bench *b, const struct target *t, uint32_t c, int64_t now)
{
	struct client *cl = &b->clients[c];

	cl->read_only = false;
	cl->reply_mask = 0;
	client_send(b, t, c, now);
}

/* take_reply() - one datagram: an authentic reply completes its request at f+1 matching
 * (2f+1 on the fast path). */
static void take_reply(struct bench *b, struct phase *p, const uint8_t *bytes, size_t size,
		       int64_t now)
{
	const struct target *t = p->t;
	uint32_t sender, c;
	struct client *cl;
	size_t plain;

	if (size != REPLY_SEALED_BYTES || pbft_sender_peek(bytes, size, &sender) < 0 ||
	    sender >= t->n)
		return;
	/* The client id leads the body: it names the key, which then proves it. */
	c = (uint32_t)bytes[PBFT_HEADER_BYTES] | (uint32_t)bytes[PBFT_HEADER_BYTES + 1] << 8 |
	    (uint32_t)bytes[PBFT_HEADER_BYTES + 2] << 16 |
	    (uint32_t)bytes[PBFT_HEADER_BYTES + 3] << 24;
	if (c >= p->clients || pbft_mac_open(&t->recv_keys[c][sender], bytes, size, &plain) < 0 ||
	    pbft_decode(bytes, plain, t->n + PBFT_CLIENTS_MAX, &b->msg, NULL) < 0)
		return;
	cl = &b->clients[c];
	if (b->msg.type != PBFT_MSG_REPLY || !cl->busy || b->msg.result.timestamp != cl->ts)
		return;
	cl->replies[sender] = b->msg.result;
	cl->reply_mask |= 1u << sender;
	if (matching(cl, t->n, sender) < (t->fast ? 2 * t->f + 1 : t->f + 1)) {
		if (cl->read_only && all_replied(cl->reply_mask, t->n))
			resend_ordered(b, t, c, now);   /* all in, no 2f+1 match */
		return;
	}
	cl->busy = false;
	if (now >= p->measure_start && now < p->measure_end)
		record(b, p, now - cl->start_ns, cl->read);
	if (now < p->measure_end)
		client_issue(b, t, c, now);
}

/* receive() - the datagrams waiting, a batch at a time. Return: how many. */
static int receive(struct bench *b, struct phase *p)
{
	int n = recvmmsg(b->fd, b->in_msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
	int64_t now = monotime_ns();

	for (int i = 0; i < n; i++)
		take_reply(b, p, b->in_bytes[i], b->in_msgs[i].msg_len, now);
	return n;
}

static uint32_t retransmit(struct bench *b, struct phase *p, int64_t now)
{
	uint32_t busy = 0;

	for (uint32_t c = 0; c < p->clients; c++) {
		struct client *cl = &b->clients[c];

		if (!cl->busy)
			continue;
		busy++;
		if (now - cl->sent_ns < (int64_t)RETRANSMIT_MS * 1000000 || now >= p->measure_end)
			continue;
		if (cl->read_only)
			resend_ordered(b, p->t, c, now);
		else
			client_send(b, p->t, c, now);
		if (now >= p->measure_start)
			p->retransmits++;
	}
	return busy;
}

static void phase_run(struct bench *b, struct phase *p)
{
	int64_t now = monotime_ns(), next_scan = now, drain_end;

	p->measure_start = now + (int64_t)WARMUP_MS * 1000000;
	p->measure_end = p->measure_start + (int64_t)b->opts.seconds * 1000000000;
	drain_end = p->measure_end + (int64_t)DRAIN_MS * 1000000;
	memset(b->hist, 0, sizeof(b->hist));
	for (uint32_t c = 0; c < p->clients; c++)
		client_issue(b, p->t, c, now);
	flush(b);
	while (!stopping && now < drain_end) {
		struct pollfd pfd = { .fd = b->fd, .events = POLLIN };

		if (poll(&pfd, 1, 1) > 0) {
			/* Full batches: read on, but come back to retransmissions now and then. */
			for (int i = 0; i < RECV_PASSES_MAX && receive(b, p) == RECV_BATCH; i++)
				flush(b);
			flush(b);
		}
		now = monotime_ns();
		if (now >= next_scan) {
			next_scan = now + (int64_t)SCAN_MS * 1000000;
			if (retransmit(b, p, now) == 0 && now >= p->measure_end)
				break;
			flush(b);
		}
	}
	for (uint32_t c = 0; c < p->clients; c++)
		b->clients[c].busy = false;     /* abandoned: later replies do not match */
}

/* percentile_us() - the latency at or below which @q of the phase's ops completed. */
static double percentile_us(const struct bench *b, uint64_t ops, double q)
{
	uint64_t want = (uint64_t)(q * (double)ops + 0.999999), seen = 0;

	for (uint32_t us = 0; us < HIST_BUCKETS; us++) {
		seen += b->hist[us];
		if (seen >= want && want > 0)
			return us;
	}
	return 0;
}

static void phase_figures(const struct bench *b, const struct phase *p, struct figures *f)
{
	uint64_t writes = p->ops - p->reads;

	*f = (struct figures){ .target = p->t->name, .clients = p->clients, .ops = p->ops,
			       .retransmits = p->retransmits, .reads = p->reads };
	f->ops_per_s = (double)p->ops / b->opts.seconds;
	if (p->ops == 0)
		return;
	f->mean_us = (double)p->latency_sum_ns / (double)p->ops / 1000.0;
	f->p50_us = percentile_us(b, p->ops, 0.50);
	f->p99_us = percentile_us(b, p->ops, 0.99);
	if (p->reads > 0)
		f->read_mean_us = (double)p->read_latency_sum_ns / (double)p->reads / 1000.0;
	if (writes > 0)
		f->write_mean_us = (double)(p->latency_sum_ns - p->read_latency_sum_ns) /
				   (double)writes / 1000.0;
}

static void figures_print(const struct figures *f)
{
	printf("%-13s %7u %10.0f %10.1f %10.0f %10.0f %10.1f %10.1f %11" PRIu64 " %10" PRIu64
	       "\n", f->target, f->clients, f->ops_per_s, f->mean_us, f->p50_us, f->p99_us,
	       f->read_mean_us, f->write_mean_us, f->retransmits, f->ops);
	fflush(stdout);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* goal_print() - throughput and the latency ratio to unreplicated of PBFT target @t. */
static void goal_print(const struct bench *b, uint32_t t)
{
	const struct figures *many = &b->figures[t], *one = &b->figures[TARGETS + t];
	const struct figures *unrep_many = &b->figures[1], *unrep_one = &b->figures[TARGETS + 1];
	double r_many = ratio(many->mean_us, unrep_many->mean_us);
	double r_one = ratio(one->mean_us, unrep_one->mean_us);

	printf("%s: throughput >= %d ops/s: %s (%.0f ops/s at %u clients); latency <= %.0fx "
	       "unreplicated at 1 client: %s (mean %.2fx; reads %.2fx, writes %.2fx); at %u "
	       "clients %.2fx\n", many->target, GOAL_OPS_PER_S,
	       many->ops_per_s >= GOAL_OPS_PER_S ? "met" : "NOT met", many->ops_per_s,
	       many->clients, GOAL_LATENCY_RATIO,
	       one->ops > 0 && r_one > 0 && r_one <= GOAL_LATENCY_RATIO ? "met" : "NOT met",
	       r_one, ratio(one->read_mean_us, unrep_one->read_mean_us),
	       ratio(one->write_mean_us, unrep_one->write_mean_us), many->clients, r_many);
}

/* goals_print() - the goals, for the plain and the fast path. The latency goal is read at
 * 1 client, where latency is the protocol's; with C closed-loop clients every target is
 * saturated and its mean latency is C / throughput, so that ratio is the throughput ratio
 * (printed too). */
static void goals_print(const struct bench *b)
{
	goal_print(b, 0);
	goal_print(b, 2);
}

static int load_run(struct bench *b)
{
	printf("%-13s %7s %10s %10s %10s %10s %10s %10s %11s %10s\n", "target", "clients",
	       "ops/s", "mean_us", "p50_us", "p99_us", "read_us", "write_us", "retransmits",
	       "ops");
	for (uint32_t i = 0; i < PHASES && !stopping; i++) {
		struct phase p = { .t = &b->targets[i % TARGETS],
				   .clients = i < TARGETS ? b->opts.clients : 1 };

		phase_run(b, &p);
		if (stopping)
			break;
		phase_figures(b, &p, &b->figures[i]);
		figures_print(&b->figures[i]);
	}
	if (stopping)
		return -EINTR;
	goals_print(b);
	status_print(b);
	return 0;
}

/* --- set-up and teardown --- */

static int secret_make(struct bench *b, struct errbuf *eb)
{
	if (sodium_init() < 0)
		return errbuf_set(eb, -ENOMEM, "sodium_init");
	randombytes_buf(b->secret, sizeof(b->secret));
	for (uint32_t i = 0; i < PBFT_SECRET_BYTES; i++)
		snprintf(b->secret_hex + 2 * i, 3, "%02x", b->secret[i]);
	return 0;
}

static int bench_setup(struct bench *b, struct errbuf *eb)
{
	struct cluster_opts opts = { .node_count = NODES };
	char run_id[16];
	int err;

	snprintf(run_id, sizeof(run_id), "bp%x", (unsigned)getpid() & 0xffff);
	opts.run_id = run_id;
	err = secret_make(b, eb);
	if (err == 0)
		err = cluster_setup(&b->cluster, &opts, eb);
	if (err)
		return err;
	printf("cluster %s: n1..n4 pbft-node (n = 4, f = 1, batch-max %u), n5 --unreplicated, "
	       "n6..n9 pbft-node --tentative; %s\n", run_id, b->opts.batch_max,
	       b->opts.node_exe);
	target_init(b, &b->targets[0], "pbft n=4", 0, REPLICAS);
	target_init(b, &b->targets[1], "unreplicated", UNREP_NODE, 1);
	target_init(b, &b->targets[2], "pbft fast", FAST_FIRST, REPLICAS);
	b->targets[2].fast = true;
	err = nodes_start(b, eb);
	if (err == 0)
		err = cluster_enter_switch(b->cluster, eb);
	if (err == 0)
		err = nodes_ready(b, eb);
	if (err == 0)
		err = socket_open(b, eb);
	return err;
}

/* logs_remove() - the node logs and their directory (kept after an error, for a look). */
static void logs_remove(struct bench *b)
{
	char path[PATH_BYTES_MAX];

	for (uint32_t node = 0; node < NODES; node++) {
		snprintf(path, sizeof(path), "%s/n%u.log", b->log_dir, node + 1);
		unlink(path);
	}
	rmdir(b->log_dir);
}

static int bench_run(struct bench *b)
{
	struct errbuf eb = { "" };
	int err;

	snprintf(b->log_dir, sizeof(b->log_dir), "/tmp/bench-pbft-XXXXXX");
	if (!mkdtemp(b->log_dir)) {
		fprintf(stderr, "bench-pbft: mkdtemp: %s\n", strerror(errno));
		return -errno;
	}
	err = bench_setup(b, &eb);
	if (err && err != -EINTR)
		fprintf(stderr, "bench-pbft: setup: %s: %s\n", eb.msg, strerror(-err));
	if (err == 0)
		err = load_run(b);
	if (err == -EINTR)
		fprintf(stderr, "bench-pbft: interrupted\n");
	if (b->fd >= 0)
		close(b->fd);
	if (cluster_teardown(b->cluster, &eb))
		fprintf(stderr, "bench-pbft: teardown: %s\n", eb.msg);
	if (err == 0 || err == -EINTR)
		logs_remove(b);
	else
		fprintf(stderr, "bench-pbft: node logs kept in %s\n", b->log_dir);
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char exe[PATH_BYTES_MAX];
	struct bench *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return EXIT_INTERNAL;
	err = parse_opts(argc, argv, &b->opts, exe, sizeof(exe));
	if (err) {
		usage(err > 0 ? stdout : stderr);
		free(b);
		return err > 0 ? 0 : EXIT_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-pbft: needs root (namespaces)\n");
		free(b);
		return EXIT_INTERNAL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	b->fd = -1;
	prng_init(&b->prng, 1);
	err = bench_run(b);
	free(b);
	return err == 0 ? 0 : err == -EINTR ? 130 : EXIT_INTERNAL;
}
