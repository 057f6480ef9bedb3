/* SPDX-License-Identifier: MIT */
/* capture.c - record every node's eth0 into one capped pcapng file, from one thread. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"
#include "pcapng.h"

/*
 * This file includes <pcap/pcap.h>, which defines struct bpf_insn as <linux/bpf.h> and
 * <bpf/libbpf.h> do differently: it must never include a libbpf header (MECHANICS §5).
 */

STATIC_ASSERT((int)CLUSTER_NODES_MAX <= (int)PCAPNG_INTERFACES_MAX, "one interface per node");
STATIC_ASSERT((int)CAPTURE_SNAPLEN_MAX == (int)PCAPNG_PACKET_BYTES_MAX, "snaplen fits an EPB");
STATIC_ASSERT(CAPTURE_FLUSH_MS >= 2, "the poll timeout is half of it");

/* Drain at stop: enough calls to empty a full ring of minimum-size frames. */
enum { DRAIN_CALLS_MAX = CAPTURE_KERNEL_BUFFER_BYTES / 64 / CAPTURE_DISPATCH_PACKETS_MAX + 1 };

#define CAPTURE_FILTER "ip or arp"

struct capture_node {
	pcap_t *pcap;
	int fd;                         /* pcap_get_selectable_fd(); -1 once the handle failed */
	uint32_t interface_id;          /* == the node index */
	struct capture *cap;
};

/*
 * Invariants: between capture_start() and the join in capture_stop(), only the capture thread
 * touches the handles, the writer and the counters; the owner thread touches only wake_fd.
 * interface id i is node i.
 */
struct capture {
	struct capture_node nodes[CLUSTER_NODES_MAX];
	uint32_t node_count;
	struct pcapng_writer *writer;
	int file_fd;
	int wake_fd;                    /* eventfd: capture_stop() asks the thread to finish */
	pthread_t thread;
	bool thread_started;
	int64_t flushed_ns;
	uint64_t packets;
	uint64_t dropped_by_cap;
	int err;                        /* first write error; the thread stops on it */
	struct errbuf err_eb;
};

static void capture_packet_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture_node *node = (struct capture_node *)(void *)user;
	struct capture *cap = node->cap;
	uint64_t time_us;
	int err;

	ASSERT(h->caplen <= h->len);
	ASSERT(h->caplen <= CAPTURE_SNAPLEN_MAX);
	time_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	err = pcapng_writer_packet(cap->writer, node->interface_id, time_us, bytes, h->caplen,
				   h->len, NULL);
	if (!err) {
		cap->packets++;
	} else if (err == -E2BIG) {
		cap->dropped_by_cap++;
	} else if (!cap->err) {
		cap->err = err;
		errbuf_set(&cap->err_eb, err, "capture: writing a packet of node %u",
			   node->interface_id);
	}
}

/* One dispatch call; a handle that fails (its interface went away) is taken out of the poll. */
static int node_dispatch(struct capture_node *node)
{
	int n;

	ASSERT(node->pcap);
	if (node->fd < 0)
		return 0;
	n = pcap_dispatch(node->pcap, CAPTURE_DISPATCH_PACKETS_MAX, capture_packet_cb,
			  (u_char *)(void *)node);
	if (n < 0) {
		node->fd = -1;
		return 0;
	}
	ASSERT(n <= CAPTURE_DISPATCH_PACKETS_MAX);
	return n;
}

static void flush_if_due(struct capture *cap, bool now)
{
	int64_t t = monotime_ns();
	int err;

	if (cap->err || pcapng_writer_buffered(cap->writer) == 0) {
		cap->flushed_ns = t;
		return;
	}
	if (!now && t - cap->flushed_ns < (int64_t)CAPTURE_FLUSH_MS / 2 * 1000000)
		return;
	err = pcapng_writer_flush(cap->writer, &cap->err_eb);
	if (err && !cap->err)
		cap->err = err;
	cap->flushed_ns = t;
}

static void drain(struct capture *cap)
{
	uint32_t i, calls;

	for (i = 0; i < cap->node_count; i++) {
		for (calls = 0; calls < DRAIN_CALLS_MAX && !cap->err; calls++) {
			if (node_dispatch(&cap->nodes[i]) == 0)
				break;
		}
	}
}

/*
 * The thread's event loop, the one unbounded loop (STYLE S18): it runs until capture_stop()
 * writes wake_fd or a write fails. Polling at half the flush period bounds the file's lag.
 */
static void *capture_main(void *arg)
{
	struct pollfd fds[CLUSTER_NODES_MAX + 1];
	struct capture *cap = arg;
	uint32_t i, n = cap->node_count;
	bool stopping = false;
	int ready;

	ASSERT(n >= 1 && n <= CLUSTER_NODES_MAX);
	ASSERT(cap->wake_fd >= 0);
	cap->flushed_ns = monotime_ns();
	while (!stopping && !cap->err) {
		for (i = 0; i < n; i++)
			fds[i] = (struct pollfd){ .fd = cap->nodes[i].fd, .events = POLLIN };
		fds[n] = (struct pollfd){ .fd = cap->wake_fd, .events = POLLIN };
		ready = poll(fds, n + 1, CAPTURE_FLUSH_MS / 2);
		if (ready < 0 && errno != EINTR) {
			cap->err = errbuf_set(&cap->err_eb, -errno, "capture: poll");
			break;
		}
		stopping = ready > 0 && fds[n].revents;
		for (i = 0; i < n && ready > 0; i++) {
			if (fds[i].revents)
				node_dispatch(&cap->nodes[i]);
		}
		flush_if_due(cap, false);
	}
	drain(cap);
	flush_if_due(cap, true);
	return NULL;
}

static int activate_errno(int status)
{
	switch (status) {
	case PCAP_ERROR_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

/* Configures and activates a handle created in the calling thread's (node) namespace. */
static int handle_activate(pcap_t *p, uint32_t snaplen, struct errbuf *eb)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program bp;
	int status;

	if (pcap_set_snaplen(p, (int)snaplen) || pcap_set_immediate_mode(p, 1) ||
	    pcap_set_buffer_size(p, CAPTURE_KERNEL_BUFFER_BYTES) ||
	    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO))
		return errbuf_set(eb, -EINVAL, "pcap options: %s", pcap_geterr(p));
	status = pcap_activate(p);
	if (status < 0)
		return errbuf_set(eb, activate_errno(status), "pcap_activate eth0: %s: %s",
				  pcap_statustostr(status), pcap_geterr(p));
	if (pcap_datalink(p) != DLT_EN10MB)
		return errbuf_set(eb, -EPROTONOSUPPORT, "eth0 has link type %d, not ethernet",
				  pcap_datalink(p));
	if (pcap_compile(p, &bp, CAPTURE_FILTER, 1, PCAP_NETMASK_UNKNOWN))
		return errbuf_set(eb, -EINVAL, "pcap_compile '%s': %s", CAPTURE_FILTER,
				  pcap_geterr(p));
	status = pcap_setfilter(p, &bp);
	pcap_freecode(&bp);
	if (status)
		return errbuf_set(eb, -EIO, "pcap_setfilter: %s", pcap_geterr(p));
	if (pcap_setdirection(p, PCAP_D_OUT))
		return errbuf_set(eb, -EIO, "pcap_setdirection out: %s", pcap_geterr(p));
	if (pcap_setnonblock(p, 1, pcap_err))
		return errbuf_set(eb, -EIO, "pcap_setnonblock: %s", pcap_err);
	return 0;
}

/*
 * The AF_PACKET socket binds to eth0 of the namespace the thread is in when the handle is
 * activated, and keeps working after the thread goes home (MECHANICS §5).
 */
static int node_open(struct capture *cap, struct cluster *c, uint32_t i, int home_fd,
		     uint32_t snaplen, struct errbuf *eb)
{
	struct capture_node *node = &cap->nodes[i];
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	int err, home_err;

	*node = (struct capture_node){ .fd = -1, .interface_id = i, .cap = cap };
	if (setns(cluster_node_ns_fd(c, i), CLONE_NEWNET))
		return errbuf_set(eb, -errno, "setns into node %s", cluster_node_name(c, i));
	node->pcap = pcap_create("eth0", pcap_err);
	err = node->pcap ? handle_activate(node->pcap, snaplen, eb)
			 : errbuf_set(eb, -ENOMEM, "pcap_create eth0: %s", pcap_err);
	/* Going home cannot fail for a namespace fd we hold; a thread left in a node would be. */
	home_err = setns(home_fd, CLONE_NEWNET);
	ASSERT(home_err == 0);
	if (err)
		return errbuf_prefix(eb, err, "node %s: ", cluster_node_name(c, i));
	node->fd = pcap_get_selectable_fd(node->pcap);
	if (node->fd < 0)
		return errbuf_set(eb, -EIO, "node %s: no selectable fd", cluster_node_name(c, i));
	/* libpcap opens its socket without SOCK_CLOEXEC; no process we start needs it. */
	if (fcntl(node->fd, F_SETFD, FD_CLOEXEC) < 0)
		return errbuf_set(eb, -errno, "node %s: FD_CLOEXEC", cluster_node_name(c, i));
	err = pcapng_writer_interface(cap->writer, cluster_node_name(c, i), DLT_EN10MB,
				      snaplen, eb);
	if (err < 0)
		return errbuf_prefix(eb, err, "node %s: ", cluster_node_name(c, i));
	ASSERT((uint32_t)err == i);
	return 0;
}

static void capture_free(struct capture *cap)
{
	uint32_t i;

	if (!cap)
		return;
	ASSERT(!cap->thread_started);
	for (i = 0; i < CLUSTER_NODES_MAX; i++) {
		if (cap->nodes[i].pcap)
			pcap_close(cap->nodes[i].pcap);
	}
	pcapng_writer_free(cap->writer);
	if (cap->file_fd >= 0)
		close(cap->file_fd);
	if (cap->wake_fd >= 0)
		close(cap->wake_fd);
	free(cap);
}

static int opts_check(const struct capture_opts *o, const char *path, struct capture_opts *out,
		      struct errbuf *eb)
{
	*out = (struct capture_opts){ .bytes_max = CAPTURE_BYTES_MAX_DEFAULT,
				      .snaplen = CAPTURE_SNAPLEN_DEFAULT };
	if (o && o->bytes_max)
		out->bytes_max = o->bytes_max;
	if (o && o->snaplen)
		out->snaplen = o->snaplen;
	if (out->snaplen > CAPTURE_SNAPLEN_MAX)
		return errbuf_set(eb, -EINVAL, "capture: snaplen %u over %d", out->snaplen,
				  CAPTURE_SNAPLEN_MAX);
	if (!path || !path[0] || strnlen(path, CAPTURE_PATH_BYTES_MAX) >= CAPTURE_PATH_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "capture: empty path or over %d bytes",
				  CAPTURE_PATH_BYTES_MAX);
	return 0;
}

static int thread_start(struct capture *cap, struct errbuf *eb)
{
	sigset_t all, old;
	int err;

	cap->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cap->wake_fd < 0)
		return errbuf_set(eb, -errno, "capture: eventfd");
	/* Signals stay with the harness's threads; the capture thread never runs a handler. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&cap->thread, NULL, capture_main, cap);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return errbuf_set(eb, -err, "capture: pthread_create");
	cap->thread_started = true;
	return 0;
}

int capture_start(struct capture **out, struct cluster *c, const char *path,
		  const struct capture_opts *o, struct errbuf *eb)
{
	struct capture_opts opts;
	struct capture *cap;
	int err, home_fd;
	uint32_t i;

	ASSERT(out);
	ASSERT(c);
	*out = NULL;
	err = opts_check(o, path, &opts, eb);
	if (err)
		return err;
	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return errbuf_set(eb, -ENOMEM, "capture: %zu bytes", sizeof(*cap));
	cap->wake_fd = -1;
	cap->node_count = cluster_node_count(c);
	ASSERT(cap->node_count >= 1 && cap->node_count <= CLUSTER_NODES_MAX);
	cap->file_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (cap->file_fd < 0) {
		err = errbuf_set(eb, -errno, "capture: open %s", path);
		goto out_free;
	}
	err = pcapng_writer_new(&cap->writer, cap->file_fd, opts.bytes_max, eb);
	if (err)
		goto out_free;
	home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0) {
		err = errbuf_set(eb, -errno, "capture: open /proc/thread-self/ns/net");
		goto out_free;
	}
	for (i = 0; i < cap->node_count && !err; i++)
		err = node_open(cap, c, i, home_fd, opts.snaplen, eb);
	close(home_fd);
	if (err == -E2BIG)
		err = errbuf_prefix(eb, -EINVAL, "bytes_max %llu holds no header: ",
				    (unsigned long long)opts.bytes_max);
	if (!err)
		err = pcapng_writer_flush(cap->writer, eb);     /* a readable file from now on */
	if (!err)
		err = thread_start(cap, eb);
	if (err)
		goto out_free;
	*out = cap;
	return 0;
out_free:
	capture_free(cap);
	return err;
}

static uint64_t kernel_drops(const struct capture *cap)
{
	struct pcap_stat st;
	uint64_t drops = 0;
	uint32_t i;

	for (i = 0; i < cap->node_count; i++) {
		if (!pcap_stats(cap->nodes[i].pcap, &st))
			drops += (uint64_t)st.ps_drop + st.ps_ifdrop;
	}
	return drops;
}

int capture_stop(struct capture *cap, struct capture_stats *stats, struct errbuf *eb)
{
	uint64_t one = 1;
	ssize_t n;
	int err;

	if (!cap)
		return 0;
	ASSERT(cap->thread_started);
	/* An eventfd write of 1 cannot fail short of a counter overflow, which needs 2^64. */
	n = write(cap->wake_fd, &one, sizeof(one));
	ASSERT(n == (ssize_t)sizeof(one));
	err = pthread_join(cap->thread, NULL);
	ASSERT(err == 0);
	cap->thread_started = false;
	err = cap->err;
	if (err)
		errbuf_set(eb, err, "%s", cap->err_eb.msg);
	else
		err = pcapng_writer_flush(cap->writer, eb);
	if (stats) {
		*stats = (struct capture_stats){
			.packets = cap->packets,
			.bytes_written = pcapng_writer_bytes(cap->writer) -
					 pcapng_writer_buffered(cap->writer),
			.dropped_by_kernel = kernel_drops(cap),
			.dropped_by_cap = cap->dropped_by_cap,
			.capped = pcapng_writer_capped(cap->writer),
		};
	}
	capture_free(cap);
	return err;
}
