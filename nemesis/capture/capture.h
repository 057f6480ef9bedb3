/* SPDX-License-Identifier: MIT */
/* capture.h - record every node's eth0 into one capped pcapng file, from one thread. */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

struct cluster;
struct errbuf;

enum {
	CAPTURE_SNAPLEN_DEFAULT = 256,
	CAPTURE_SNAPLEN_MAX = 65535,                    /* == PCAPNG_PACKET_BYTES_MAX */
	CAPTURE_KERNEL_BUFFER_BYTES = 8 << 20,          /* per node: the AF_PACKET ring */
	CAPTURE_FLUSH_MS = 100,                         /* the file lags the wire by at most */
	CAPTURE_DISPATCH_PACKETS_MAX = 1024,            /* per pcap_dispatch() call */
	CAPTURE_PATH_BYTES_MAX = 4096,
};
#define CAPTURE_BYTES_MAX_DEFAULT (64ull << 20)

/* Zero fields take the defaults. */
struct capture_opts {
	uint64_t bytes_max;     /* cap on the file size; default 64 MiB */
	uint32_t snaplen;       /* bytes kept per packet, <= CAPTURE_SNAPLEN_MAX; default 256 */
};

struct capture_stats {
	uint64_t packets;               /* EPBs written to the file */
	uint64_t bytes_written;         /* the file size */
	uint64_t dropped_by_kernel;     /* sum of pcap_stats() ps_drop + ps_ifdrop */
	uint64_t dropped_by_cap;        /* seen but not written because of the cap */
	bool capped;                    /* the cap was reached; the file ends early */
};

struct capture;

/**
 * capture_start() - open one libpcap handle per node on its eth0, write the pcapng header
 * (SHB, then one IDB per node: interface id i is node i, if_name = cluster_node_name(),
 * linktype ethernet, the snaplen, microsecond timestamps) to @path (created or truncated,
 * 0644) and start one thread that writes an EPB for every packet a node sends (direction
 * out, filter "ip or arp"), so each packet appears once, at its sender.
 *
 * Must be called on the cluster's owner thread: it setns()es that thread into each node's
 * namespace to open the handle there, and back. Blocks briefly (opening handles); the capture
 * thread blocks all signals. The file never exceeds @o->bytes_max; it is flushed at least
 * every CAPTURE_FLUSH_MS and whenever the 256 KiB buffer fills, so a crashed harness leaves a
 * readable prefix (at most the last block torn).
 * @o: NULL for the defaults.
 * Return: 0 and *@out; -EINVAL for bad options (bytes_max too small for the header, snaplen
 *         over the maximum, a path over CAPTURE_PATH_BYTES_MAX); -EPERM without CAP_NET_RAW;
 *         -ENODEV if a node has no eth0; -ENOMEM; -errno from open/setns/write/pthread.
 *         On error nothing is left running (the file may remain).
 */
int capture_start(struct capture **out, struct cluster *c, const char *path,
		  const struct capture_opts *o, struct errbuf *eb);

/**
 * capture_stop() - stop the thread after it drained what the handles hold, flush, close the
 * handles and the file, fill @stats (NULL ok) and free @cap. @cap may be NULL (returns 0).
 * May be called from any thread. Blocks until the capture thread has exited.
 * Return: 0, or the first -errno a write met (the file then holds what came before it);
 *         @stats is filled and @cap freed either way.
 */
int capture_stop(struct capture *cap, struct capture_stats *stats, struct errbuf *eb);

#endif /* CAPTURE_H */
