/* SPDX-License-Identifier: MIT */
/* delayer.c - the NFQUEUE packet thread: verdicts held in a min-heap of due times. */
#include "delayer.h"

#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"
#include "prng.h"

enum {
	NS_PER_S = 1000000000,
	TIMER_SLACK_NS = 1000,          /* ppoll wakes within ~1 us of a due time, not 50 us */
	IPV4_HEADER_BYTES = 20,
};

STATIC_ASSERT(NFQ_NODES_MAX <= 255, "node_by_octet stores index + 1 in a byte");
STATIC_ASSERT(NFQ_QUEUE_MAXLEN >= NFQ_HELD_MAX, "the kernel queue holds every held packet");

/* One held packet. */
struct held {
	int64_t due_ns;
	uint64_t seq;                   /* arrival order: equal due times leave FIFO */
	uint32_t id;                    /* the kernel's packet id, for the verdict */
};

struct counters {
	atomic_uint_fast64_t seen, held, passed, overflowed, held_max, verdict_errors;
};

/*
 * Invariants: heap[0 .. held_count-1] is a binary min-heap on (due_ns, seq), held_count <=
 * NFQ_HELD_MAX. Only the packet thread touches heap, held_count, seq, prng, h, qh, buf and
 * draining. rules[] is written by delayer_update() and read by the packet thread, both under
 * @lock. @running is true from a successful delayer_start() until the thread is joined.
 */
struct delayer {
	pthread_mutex_t lock;
	struct delayer_rule rules[NFQ_NODES_MAX * NFQ_NODES_MAX];      /* [src * MAX + dst] */
	uint32_t node_count;
	struct in_addr addrs[NFQ_NODES_MAX];
	uint8_t node_by_octet[256];     /* last address octet -> node index + 1; 0: none */

	pthread_t thread;
	bool running;
	int ns_fd;                      /* borrowed */
	int wake_fd;                    /* eventfd: the owner asks the thread to end */
	atomic_bool abandon;
	uint16_t queue_num;
	sem_t started;
	int start_err;
	struct errbuf start_eb;

	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	bool draining;                  /* stopping: everything passes at once */
	struct prng prng;
	char *buf;                      /* NFQ_RECV_BYTES */
	struct held *heap;              /* NFQ_HELD_MAX */
	uint32_t held_count;
	uint64_t seq;
	struct counters counters;
};

static void count(atomic_uint_fast64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

int delayer_new(struct delayer **out, const struct in_addr *addrs, uint32_t node_count,
		uint64_t seed, struct errbuf *eb)
{
	struct delayer *d;
	uint32_t i;
	uint8_t octet;

	ASSERT(out && addrs);
	if (node_count > NFQ_NODES_MAX)
		return errbuf_set(eb, -EINVAL, "delayer: %u nodes, at most %d", node_count,
				  NFQ_NODES_MAX);
	d = calloc(1, sizeof(*d));
	if (!d)
		return errbuf_set(eb, -ENOMEM, "allocate delayer");
	d->buf = malloc(NFQ_RECV_BYTES);
	d->heap = calloc(NFQ_HELD_MAX, sizeof(*d->heap));
	if (!d->buf || !d->heap) {
		delayer_free(d);
		return errbuf_set(eb, -ENOMEM, "allocate delayer heap of %d packets", NFQ_HELD_MAX);
	}
	pthread_mutex_init(&d->lock, NULL);
	d->node_count = node_count;
	for (i = 0; i < node_count; i++) {
		d->addrs[i] = addrs[i];
		octet = ((const uint8_t *)&addrs[i].s_addr)[3];
		ASSERT(d->node_by_octet[octet] == 0);
		d->node_by_octet[octet] = (uint8_t)(i + 1);
	}
	prng_init(&d->prng, seed);
	d->wake_fd = -1;
	atomic_init(&d->abandon, false);
	*out = d;
	return 0;
}

void delayer_free(struct delayer *d)
{
	if (!d)
		return;
	delayer_stop(d);
	pthread_mutex_destroy(&d->lock);
	free(d->heap);
	free(d->buf);
	free(d);
}

void delayer_update(struct delayer *d, unsigned int kinds, const uint64_t *from,
		    const struct delayer_rule *rule)
{
	static const struct delayer_rule none;
	struct delayer_rule *r;
	const struct delayer_rule *src_rule;
	uint32_t s, t;

	ASSERT(d && from);
	ASSERT((kinds & ~(unsigned int)(DELAYER_DELAY | DELAYER_REORDER)) == 0);
	pthread_mutex_lock(&d->lock);
	for (t = 0; t < d->node_count; t++) {
		for (s = 0; s < d->node_count; s++) {
			src_rule = (from[t] >> s) & 1 ? rule : &none;
			ASSERT(src_rule);
			r = &d->rules[s * NFQ_NODES_MAX + t];
			if (kinds & DELAYER_DELAY) {
				r->delay_ns = src_rule->delay_ns;
				r->jitter_ns = src_rule->jitter_ns;
			}
			if (kinds & DELAYER_REORDER) {
				r->reorder_p = src_rule->reorder_p;
				r->reorder_delay_ns = src_rule->reorder_delay_ns;
			}
		}
	}
	pthread_mutex_unlock(&d->lock);
}

void delayer_counters(const struct delayer *d, struct delayer_counters *out)
{
	const struct counters *c = &d->counters;

	ASSERT(d && out);
	out->seen = atomic_load_explicit(&c->seen, memory_order_relaxed);
	out->held = atomic_load_explicit(&c->held, memory_order_relaxed);
	out->passed = atomic_load_explicit(&c->passed, memory_order_relaxed);
	out->overflowed = atomic_load_explicit(&c->overflowed, memory_order_relaxed);
	out->held_max = atomic_load_explicit(&c->held_max, memory_order_relaxed);
	out->verdict_errors = atomic_load_explicit(&c->verdict_errors, memory_order_relaxed);
}

/* ---- the held-packet heap (packet thread only) ---- */

static bool held_before(const struct held *a, const struct held *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_push(struct delayer *d, int64_t due_ns, uint32_t id)
{
	struct held item = { .due_ns = due_ns, .seq = d->seq++, .id = id };
	uint32_t i = d->held_count++, parent;

	ASSERT(d->held_count <= NFQ_HELD_MAX);
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!held_before(&item, &d->heap[parent]))
			break;
		d->heap[i] = d->heap[parent];
		i = parent;
	}
	d->heap[i] = item;
}

static struct held heap_pop(struct delayer *d)
{
	struct held top, last;
	uint32_t i = 0, child, n;

	ASSERT(d->held_count > 0);
	top = d->heap[0];
	n = --d->held_count;
	last = d->heap[n];
	while ((child = 2 * i + 1) < n) {
		if (child + 1 < n && held_before(&d->heap[child + 1], &d->heap[child]))
			child++;
		if (!held_before(&d->heap[child], &last))
			break;
		d->heap[i] = d->heap[child];
		i = child;
	}
	if (n > 0)
		d->heap[i] = last;
	ASSERT(n == 0 || !held_before(&d->heap[0], &top));
	return top;
}

/* ---- per packet ---- */

static void verdict_accept(struct delayer *d, uint32_t id)
{
	if (nfq_set_verdict(d->qh, id, NF_ACCEPT, 0, NULL) < 0)
		count(&d->counters.verdict_errors);
}

static int node_of(const struct delayer *d, const unsigned char *addr)
{
	struct in_addr a;
	int index;

	memcpy(&a.s_addr, addr, sizeof(a.s_addr));
	index = d->node_by_octet[addr[3]] - 1;
	if (index < 0 || d->addrs[index].s_addr != a.s_addr)
		return -1;
	return index;
}

/* How long to hold the packet at @payload (copied headers); 0: pass it at once. */
static int64_t hold_for(struct delayer *d, const unsigned char *payload, int len)
{
	struct delayer_rule rule;
	int src, dst;
	int64_t hold_ns = 0;

	if (len < IPV4_HEADER_BYTES || (payload[0] >> 4) != 4)
		return 0;
	src = node_of(d, payload + 12);
	dst = node_of(d, payload + 16);
	if (src < 0 || dst < 0 || src == dst)
		return 0;
	pthread_mutex_lock(&d->lock);
	rule = d->rules[src * NFQ_NODES_MAX + dst];
	pthread_mutex_unlock(&d->lock);
	if (rule.delay_ns || rule.jitter_ns) {
		hold_ns = rule.delay_ns;
		if (rule.jitter_ns)
			hold_ns += (int64_t)prng_below(&d->prng, 2 * (uint64_t)rule.jitter_ns + 1) -
				   rule.jitter_ns;
	}
	if (rule.reorder_p > 0 && prng_chance(&d->prng, rule.reorder_p))
		hold_ns += rule.reorder_delay_ns;
	if (hold_ns < 0)
		return 0;
	return hold_ns < NFQ_HOLD_NS_MAX ? hold_ns : NFQ_HOLD_NS_MAX;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(nfa);
	struct delayer *d = data;
	unsigned char *payload = NULL;
	int64_t hold_ns;
	uint32_t id;
	int len;

	ASSERT(d && qh == d->qh);
	if (!header)
		return 0;       /* no id, nothing to give a verdict on */
	id = ntohl(header->packet_id);
	count(&d->counters.seen);
	len = nfq_get_payload(nfa, &payload);
	hold_ns = d->draining || !payload ? 0 : hold_for(d, payload, len);
	if (hold_ns > 0 && d->held_count < NFQ_HELD_MAX) {
		heap_push(d, monotime_ns() + hold_ns, id);
		count(&d->counters.held);
		if (d->held_count > atomic_load_explicit(&d->counters.held_max,
							 memory_order_relaxed))
			atomic_store_explicit(&d->counters.held_max, d->held_count,
					      memory_order_relaxed);
		return 0;
	}
	count(hold_ns > 0 ? &d->counters.overflowed : &d->counters.passed);
	verdict_accept(d, id);
	return 0;
}

/* ---- the packet thread ---- */

/* Reads at most @batch_max messages; stops early when the socket is empty. */
static void queue_drain(struct delayer *d, uint32_t batch_max)
{
	int fd = nfq_fd(d->h);
	uint32_t i;
	ssize_t n;

	for (i = 0; i < batch_max; i++) {
		n = recv(fd, d->buf, NFQ_RECV_BYTES, 0);
		if (n < 0 && errno == ENOBUFS)
			continue;       /* the kernel lost messages; fail-open passed them */
		if (n <= 0)
			break;
		nfq_handle_packet(d->h, d->buf, (int)n);
	}
}

static void release_due(struct delayer *d, int64_t now_ns)
{
	struct held item;

	while (d->held_count > 0 && d->heap[0].due_ns <= now_ns) {
		item = heap_pop(d);
		verdict_accept(d, item.id);
	}
}

/* The event loop: the one unbounded loop (STYLE S18), left only through wake_fd. */
static void delayer_loop(struct delayer *d)
{
	struct pollfd fds[2] = {
		{ .fd = nfq_fd(d->h), .events = POLLIN },
		{ .fd = d->wake_fd, .events = POLLIN },
	};
	struct timespec ts, *timeout;
	int64_t wait_ns;

	for (;;) {
		timeout = NULL;
		if (d->held_count > 0) {
			wait_ns = d->heap[0].due_ns - monotime_ns();
			wait_ns = wait_ns > 0 ? wait_ns : 0;
			ts.tv_sec = wait_ns / NS_PER_S;
			ts.tv_nsec = wait_ns % NS_PER_S;
			timeout = &ts;
		}
		if (ppoll(fds, ARRAY_SIZE(fds), timeout, NULL) < 0 && errno != EINTR)
			ASSERT(!"ppoll on the delayer's own fds failed");
		if (fds[1].revents)
			return;
		if (fds[0].revents)
			queue_drain(d, NFQ_RECV_BATCH_MAX);
		release_due(d, monotime_ns());
	}
}

static int queue_tune(struct delayer *d, struct errbuf *eb)
{
	uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	int fd = nfq_fd(d->h), size = NFQ_RCVBUF_BYTES, one = 1;

	if (nfq_set_mode(d->qh, NFQNL_COPY_PACKET, NFQ_COPY_BYTES) < 0)
		return errbuf_set(eb, errno ? -errno : -EIO, "nfq_set_mode copy %d bytes",
				  NFQ_COPY_BYTES);
	if (nfq_set_queue_maxlen(d->qh, NFQ_QUEUE_MAXLEN) < 0)
		return errbuf_set(eb, errno ? -errno : -EIO, "nfq_set_queue_maxlen %d",
				  NFQ_QUEUE_MAXLEN);
	if (nfq_set_queue_flags(d->qh, flags, flags) < 0)
		return errbuf_set(eb, errno ? -errno : -EIO, "nfq_set_queue_flags fail-open");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		return errbuf_set(eb, -errno, "SO_RCVBUFFORCE %d on the queue socket", size);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)))
		return errbuf_set(eb, -errno, "NETLINK_NO_ENOBUFS on the queue socket");
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		return errbuf_set(eb, -errno, "O_NONBLOCK on the queue socket");
	return 0;
}

/* On the packet thread: enter the namespace (this thread only) and bind the queue there. */
static int queue_open(struct delayer *d, struct errbuf *eb)
{
	int err;

	if (setns(d->ns_fd, CLONE_NEWNET))
		return errbuf_set(eb, -errno, "delayer: setns into the switch namespace");
	errno = 0;
	d->h = nfq_open();
	if (!d->h)
		return errbuf_set(eb, errno ? -errno : -EIO, "nfq_open");
	nfq_unbind_pf(d->h, AF_INET);   /* no-ops since Linux 3.8, needed before */
	nfq_bind_pf(d->h, AF_INET);
	errno = 0;
	d->qh = nfq_create_queue(d->h, d->queue_num, on_packet, d);
	if (!d->qh) {
		err = errbuf_set(eb, errno ? -errno : -EBUSY, "nfq_create_queue %u", d->queue_num);
		goto out_close;
	}
	err = queue_tune(d, eb);
	if (!err)
		return 0;
	nfq_destroy_queue(d->qh);
	d->qh = NULL;
out_close:
	nfq_close(d->h);
	d->h = NULL;
	return err;
}

/* Graceful end: everything waiting in the socket or the heap is accepted now. */
static void release_all(struct delayer *d)
{
	d->draining = true;
	queue_drain(d, NFQ_QUEUE_MAXLEN);
	release_due(d, INT64_MAX);
	ASSERT(d->held_count == 0);
}

static void *delayer_main(void *arg)
{
	struct delayer *d = arg;
	bool crash;

	prctl(PR_SET_TIMERSLACK, (unsigned long)TIMER_SLACK_NS, 0, 0, 0);
	d->start_err = queue_open(d, &d->start_eb);
	sem_post(&d->started);
	if (d->start_err)
		return NULL;
	delayer_loop(d);
	crash = atomic_load(&d->abandon);
	if (!crash)
		release_all(d);
	/*
	 * A crash unbinds with packets held, and the kernel drops those, as it does when a
	 * crashed process's socket closes; destroying the queue handle keeps ASan quiet.
	 */
	nfq_destroy_queue(d->qh);
	nfq_close(d->h);
	d->qh = NULL;
	d->h = NULL;
	d->held_count = 0;
	return NULL;
}

int delayer_start(struct delayer *d, int ns_fd, uint16_t queue_num, struct errbuf *eb)
{
	int err;

	ASSERT(d && !d->running);
	ASSERT(ns_fd >= 0);
	d->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (d->wake_fd < 0)
		return errbuf_set(eb, -errno, "eventfd for the delayer");
	d->ns_fd = ns_fd;
	d->queue_num = queue_num;
	d->draining = false;
	atomic_store(&d->abandon, false);
	sem_init(&d->started, 0, 0);
	err = -pthread_create(&d->thread, NULL, delayer_main, d);
	if (err) {
		errbuf_set(eb, err, "start the delayer thread");
		goto out_wake;
	}
	while (sem_wait(&d->started) && errno == EINTR)
		;
	err = d->start_err;
	if (!err) {
		d->running = true;
		return 0;
	}
	pthread_join(d->thread, NULL);
	errbuf_set(eb, err, "%s", d->start_eb.msg);
out_wake:
	sem_destroy(&d->started);
	close(d->wake_fd);
	d->wake_fd = -1;
	return err;
}

static void thread_end(struct delayer *d, bool crash)
{
	uint64_t one = 1;
	ssize_t n;

	if (!d->running)
		return;
	atomic_store(&d->abandon, crash);
	n = write(d->wake_fd, &one, sizeof(one));
	ASSERT(n == (ssize_t)sizeof(one));
	pthread_join(d->thread, NULL);
	sem_destroy(&d->started);
	close(d->wake_fd);
	d->wake_fd = -1;
	d->running = false;
}

void delayer_stop(struct delayer *d)
{
	ASSERT(d);
	thread_end(d, false);
}

void delayer_abandon(struct delayer *d)
{
	ASSERT(d);
	thread_end(d, true);
}
