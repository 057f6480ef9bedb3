/* SPDX-License-Identifier: MIT */
/* pbft_load.c - closed-loop clients over one UDP socket: sealed requests out by sendmmsg(2),
 * replies in by recvmmsg(2), each op timed from invocation to its accepted result. */
#include "pbft_load.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fl_assert.h"
#include "monotime.h"
#include "prng.h"

enum {
	REQUEST_PLAIN_BYTES = PBFT_HEADER_BYTES + PBFT_REQUEST_BYTES,
	REQUEST_SEALED_BYTES = REQUEST_PLAIN_BYTES + PBFT_MAC_BYTES,
	/* A REPLY: header, u32 client, u64 timestamp, u8 ok, value; then its MAC. */
	REPLY_SEALED_BYTES = PBFT_HEADER_BYTES + 4 + 8 + 1 + PBFT_VALUE_BYTES + PBFT_MAC_BYTES,
	SEND_QUEUE_MAX = PBFT_CLIENTS_MAX * LOAD_REPLICAS_MAX,
	RECV_BATCH = 64,
	RECV_PASSES_MAX = 16,           /* full batches read before anything else is done */
	SOCKET_BUFFER_BYTES = 4 << 20,
	SCAN_MS = 10,                   /* how often retransmissions are looked for */
	DRAIN_MS = 500,                 /* after a measurement, for the ops still out */
};

/* One client id: at most one request outstanding. */
struct client {
	bool busy;
	bool read, read_only;           /* a read; sent as READ-ONLY (not yet resent in order) */
	bool resent;                    /* sent to every replica since invoked */
	uint64_t ts;
	int64_t start_ns, sent_ns;      /* invoked; last (re)sent */
	uint32_t reply_mask;
	struct pbft_result replies[LOAD_REPLICAS_MAX];
	uint64_t reply_views[LOAD_REPLICAS_MAX];
	uint8_t plain[REQUEST_PLAIN_BYTES];
};

/* The run in progress: its phase and measurement window. */
struct window {
	struct load_phase *p;
	int64_t start, end;             /* ops invoked in [start, end) are measured */
	uint32_t busy;                  /* clients with an op out */
};

struct load {
	int fd;                         /* the load's one UDP socket */
	struct prng prng;
	uint64_t next_ts;               /* one sequence for every client: always increasing */
	struct client clients[PBFT_CLIENTS_MAX];
	uint32_t out_count;
	struct mmsghdr out_msgs[SEND_QUEUE_MAX];
	struct iovec out_iov[SEND_QUEUE_MAX];
	uint8_t out_bytes[SEND_QUEUE_MAX][REQUEST_SEALED_BYTES];
	struct mmsghdr in_msgs[RECV_BATCH];
	struct iovec in_iov[RECV_BATCH];
	uint8_t in_bytes[RECV_BATCH][REPLY_SEALED_BYTES + 1];
	struct pbft_msg msg;            /* a request being built, then each reply */
};

int load_new(struct load **out, struct errbuf *eb)
{
	int bytes = SOCKET_BUFFER_BYTES;
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct load *l = calloc(1, sizeof(*l));

	if (!l)
		return errbuf_set(eb, -ENOMEM, "out of memory for the load");
	prng_init(&l->prng, 1);
	l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		free(l);
		return errbuf_set(eb, -errno, "socket");
	}
	setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	if (bind(l->fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		int err = errbuf_set(eb, -errno, "bind");

		load_free(l);
		return err;
	}
	for (uint32_t i = 0; i < RECV_BATCH; i++) {
		l->in_iov[i] = (struct iovec){ l->in_bytes[i], sizeof(l->in_bytes[i]) };
		l->in_msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &l->in_iov[i],
							 .msg_iovlen = 1 };
	}
	*out = l;
	return 0;
}

void load_free(struct load *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

void load_target_init(struct load_target *t, const char *name, const struct in_addr *addrs,
		      uint32_t n, uint16_t port, const uint8_t secret[PBFT_SECRET_BYTES])
{
	ASSERT(n >= 1 && n <= LOAD_REPLICAS_MAX);
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->n = n;
	t->f = (n - 1) / 3;
	for (uint32_t j = 0; j < n; j++) {
		t->addrs[j] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
						    .sin_addr = addrs[j] };
		for (uint32_t c = 0; c < PBFT_CLIENTS_MAX; c++) {
			uint8_t key[PBFT_KEY_BYTES];

			pbft_key_derive(secret, n + c, j, key);
			pbft_mac_key_init(&t->send_keys[c][j], key);
			pbft_key_derive(secret, j, n + c, key);
			pbft_mac_key_init(&t->recv_keys[c][j], key);
		}
	}
}

int load_phase_init(struct load_phase *p, struct load_target *t, uint32_t clients)
{
	ASSERT(clients >= 1 && clients <= PBFT_CLIENTS_MAX);
	*p = (struct load_phase){ .t = t, .clients = clients };
	p->hist = calloc(LOAD_HIST_BUCKETS, sizeof(*p->hist));
	return p->hist ? 0 : -ENOMEM;
}

void load_phase_free(struct load_phase *p)
{
	free(p->hist);
	p->hist = NULL;
}

/* --- sends --- */

static void flush(struct load *l, const volatile sig_atomic_t *stopping)
{
	uint32_t done = 0;

	/* Bounded: each pass sends at least one datagram or skips one that failed. */
	while (done < l->out_count) {
		int n = sendmmsg(l->fd, l->out_msgs + done, l->out_count - done, 0);

		if (n < 0 && errno == EINTR && !*stopping)
			continue;
		done += n > 0 ? (uint32_t)n : 1;
	}
	l->out_count = 0;
}

static void queue_push(struct load *l, const struct sockaddr_in *to,
		       const struct pbft_mac_key *key, const uint8_t *plain)
{
	static const volatile sig_atomic_t never;
	uint32_t i;
	ssize_t n;

	if (l->out_count == SEND_QUEUE_MAX)
		flush(l, &never);
	i = l->out_count++;
	n = pbft_mac_seal(key, plain, REQUEST_PLAIN_BYTES, l->out_bytes[i], REQUEST_SEALED_BYTES);
	ASSERT(n == REQUEST_SEALED_BYTES);
	l->out_iov[i] = (struct iovec){ l->out_bytes[i], (size_t)n };
	l->out_msgs[i].msg_hdr = (struct msghdr){ .msg_name = (void *)to,
						  .msg_namelen = sizeof(*to),
						  .msg_iov = &l->out_iov[i], .msg_iovlen = 1 };
}

/* client_send() - an ordered request's first send to the primary alone once every replica
 * has heard from client @c (replies need its address); otherwise, and resends, to all. */
static void client_send(struct load *l, struct load_target *t, uint32_t c, int64_t now)
{
	struct client *cl = &l->clients[c];
	bool alone = !cl->resent && !cl->read_only && (t->announced >> c & 1);

	cl->plain[0] = cl->read_only ? PBFT_MSG_READ_ONLY : PBFT_MSG_REQUEST;
	if (alone) {
		uint32_t j = (uint32_t)(t->view % t->n);

		queue_push(l, &t->addrs[j], &t->send_keys[c][j], cl->plain);
	} else {
		for (uint32_t j = 0; j < t->n; j++)
			queue_push(l, &t->addrs[j], &t->send_keys[c][j], cl->plain);
		t->announced |= 1ull << c;
	}
	cl->sent_ns = now;
}

/* client_issue() - client @c's next request: a write (of its timestamp) or a read. */
static void client_issue(struct load *l, struct window *w, uint32_t c, int64_t now)
{
	struct load_target *t = w->p->t;
	struct client *cl = &l->clients[c];
	struct pbft_msg *m = &l->msg;
	ssize_t size;

	cl->ts = ++l->next_ts;
	m->type = PBFT_MSG_REQUEST;
	m->sender = t->n + c;
	m->view = m->seq = 0;
	memset(m->digest, 0, sizeof(m->digest));
	m->request = (struct pbft_request){ .client = c, .timestamp = cl->ts };
	m->request.op.key = (uint32_t)prng_below(&l->prng, LOAD_KEYS);
	m->request.op.verb = prng_below(&l->prng, 2) ? PBFT_VERB_WRITE : PBFT_VERB_READ;
	if (m->request.op.verb == PBFT_VERB_WRITE)
		m->request.op.a = (struct pbft_value){ .present = true, .v = (int64_t)cl->ts };
	size = pbft_encode(m, cl->plain, sizeof(cl->plain));
	ASSERT(size == REQUEST_PLAIN_BYTES);
	cl->busy = true;
	w->busy++;
	cl->read = m->request.op.verb == PBFT_VERB_READ;
	cl->read_only = t->fast && cl->read;
	cl->resent = false;
	cl->reply_mask = 0;
	cl->start_ns = now;
	cl->sent_ns = 0;
	client_send(l, t, c, now);
}

/* resend_ordered() - a READ-ONLY read without 2f+1 matching replies (a write raced it):
 * resent as a REQUEST to every replica, its replies counted afresh (PBFT 5.1.3). */
static void resend_ordered(struct load *l, struct load_target *t, uint32_t c, int64_t now)
{
	struct client *cl = &l->clients[c];

	cl->read_only = false;
	cl->resent = true;
	cl->reply_mask = 0;
	client_send(l, t, c, now);
}

/* --- replies --- */

static void record(struct load_phase *p, int64_t latency_ns, bool read)
{
	int64_t us = latency_ns / 1000;

	p->ops++;
	p->latency_sum_ns += latency_ns;
	p->reads += read;
	p->read_latency_sum_ns += read ? latency_ns : 0;
	p->hist[us < LOAD_HIST_BUCKETS - 1 ? us : LOAD_HIST_BUCKETS - 1]++;
}

/* complete() - client @c's op is accepted: measured if invoked in the window; the client
 * goes on while the window is open. */
static void complete(struct load *l, struct window *w, uint32_t c, int64_t now)
{
	struct client *cl = &l->clients[c];
	struct load_target *t = w->p->t;
	uint64_t view;

	if (pbft_replies_view(cl->reply_views, cl->reply_mask, t->n, &view))
		t->view = view;
	cl->busy = false;
	w->busy--;
	if (cl->start_ns >= w->start && cl->start_ns < w->end)
		record(w->p, now - cl->start_ns, cl->read);
	if (now < w->end)
		client_issue(l, w, c, now);
}

/* take_reply() - one datagram: an authentic reply completes its request at f+1 matching
 * (2f+1 on the fast path). */
static void take_reply(struct load *l, struct window *w, const uint8_t *bytes, size_t size,
		       int64_t now)
{
	struct load_target *t = w->p->t;
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
	if (c >= w->p->clients ||
	    pbft_mac_open(&t->recv_keys[c][sender], bytes, size, &plain) < 0 ||
	    pbft_decode(bytes, plain, t->n + PBFT_CLIENTS_MAX, &l->msg, NULL) < 0)
		return;
	cl = &l->clients[c];
	if (l->msg.type != PBFT_MSG_REPLY || !cl->busy || l->msg.result.timestamp != cl->ts)
		return;
	cl->replies[sender] = l->msg.result;
	cl->reply_views[sender] = l->msg.view;
	cl->reply_mask |= 1u << sender;
	if (pbft_replies_matching(cl->replies, cl->reply_mask, t->n, &l->msg.result) >=
	    (t->fast ? 2 * t->f + 1 : t->f + 1))
		complete(l, w, c, now);
	else if (cl->read_only && cl->reply_mask == (1u << t->n) - 1)
		resend_ordered(l, t, c, now);   /* all in, no 2f+1 match */
}

/* receive() - the datagrams waiting, a batch at a time. Return: how many. */
static int receive(struct load *l, struct window *w)
{
	int n = recvmmsg(l->fd, l->in_msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
	int64_t now = monotime_ns();

	for (int i = 0; i < n; i++)
		take_reply(l, w, l->in_bytes[i], l->in_msgs[i].msg_len, now);
	return n;
}

/* retransmit() - every op out for LOAD_RETRANSMIT_MS since its last send, again to all. */
static void retransmit(struct load *l, struct window *w, int64_t now)
{
	for (uint32_t c = 0; c < w->p->clients; c++) {
		struct client *cl = &l->clients[c];

		if (!cl->busy || now - cl->sent_ns < (int64_t)LOAD_RETRANSMIT_MS * 1000000)
			continue;
		if (cl->read_only) {
			resend_ordered(l, w->p->t, c, now);
		} else {
			cl->resent = true;
			client_send(l, w->p->t, c, now);
		}
		if (cl->start_ns >= w->start && cl->start_ns < w->end)
			w->p->retransmits++;
	}
}

int load_run(struct load *l, struct load_phase *p, int64_t warmup_ns, int64_t measure_ns,
	     const volatile sig_atomic_t *stopping)
{
	int64_t now = monotime_ns(), next_scan = now + (int64_t)SCAN_MS * 1000000, drain_end;
	struct window w = { .p = p, .start = now + warmup_ns };

	w.end = w.start + measure_ns;
	drain_end = w.end + (int64_t)DRAIN_MS * 1000000;
	for (uint32_t c = 0; c < p->clients; c++)
		client_issue(l, &w, c, now);
	flush(l, stopping);
	while (!*stopping && now < drain_end && (now < w.end || w.busy > 0)) {
		struct pollfd pfd = { .fd = l->fd, .events = POLLIN };

		if (poll(&pfd, 1, 1) > 0) {
			/* Full batches: read on, but come back to retransmissions now and then. */
			for (int i = 0; i < RECV_PASSES_MAX && receive(l, &w) == RECV_BATCH; i++)
				flush(l, stopping);
			flush(l, stopping);
		}
		now = monotime_ns();
		if (now >= next_scan) {
			next_scan = now + (int64_t)SCAN_MS * 1000000;
			retransmit(l, &w, now);
			flush(l, stopping);
		}
	}
	for (uint32_t c = 0; c < p->clients; c++)
		l->clients[c].busy = false;     /* abandoned: later replies do not match */
	p->measured_ns += measure_ns;
	return *stopping ? -EINTR : 0;
}

double load_percentile_us(const struct load_phase *p, double q)
{
	uint64_t want = (uint64_t)(q * (double)p->ops + 0.999999), seen = 0;

	for (uint32_t us = 0; us < LOAD_HIST_BUCKETS; us++) {
		seen += p->hist[us];
		if (seen >= want && want > 0)
			return us;
	}
	return 0;
}
