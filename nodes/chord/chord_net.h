/* SPDX-License-Identifier: MIT */
/* chord_net.h - chord-node's shell around the core: UDP messages and client lookups, ticks,
 * joins retried through every other node, the evidence log and the state lines. */
#ifndef CHORD_NET_H
#define CHORD_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "chord.h"

struct errbuf;
struct replica_args;

enum {
	CHORD_NET_CLIENT_BYTES_MAX = 128,       /* a client's request datagram */
	CHORD_NET_REPLY_BYTES_MAX = 1024,       /* a lookup's reply datagram, path included */
	CHORD_NET_JOIN_RETRY_TICKS = 20,        /* a failed join is tried again after this */
	CHORD_NET_MERGE_TICKS = 20,             /* a member looks up its id elsewhere this often */
	CHORD_NET_TICK_MS_DEFAULT = 10,         /* --gossip-ms: the tick period */
	CHORD_NET_STABILIZE_TICKS = 5,          /* stabilize every so many ticks */
};

/*
 * A client's request datagram (text, one line): "lookup TAG ID\n", "get TAG ID\n" or
 * "put TAG ID VALUE\n", with TAG any word of at most 32 bytes, ID a decimal id of the space
 * (a key's id) and VALUE a signed 64-bit decimal. The reply datagram is one line:
 *   "lookup TAG ok OWNER-ID OWNER-NODE HOPS PATH\n"
 *   "lookup TAG STATUS HOPS PATH\n"   (STATUS: timeout, no-progress, too-long, busy,
 *                                       not-joined)
 *   "put TAG ok VERSION OWNER-ID OWNER-NODE HOPS\n"
 *   "get TAG ok VALUE VERSION OWNER-ID OWNER-NODE HOPS\n"
 *   "put|get TAG no-owner LOOKUP-STATUS HOPS\n"     (the lookup failed: nothing was asked)
 *   "put|get TAG STATUS VERSION OWNER-ID OWNER-NODE HOPS\n"   (STATUS: not-found (get),
 *                       not-owner, unknown (the owner did not answer), full)
 *   "VERB TAG error WHY\n"            (the request was not understood)
 * where OWNER-NODE is "n<number>" and PATH the ids asked, comma-separated, the origin first.
 */

/*
 * chord_net_run() - serve node @args->id of @args->replicas until SIGTERM or SIGINT: nodes
 * below @base_count form the stable base in their first life; the others, and every node
 * after a restart, join through every other node in turn, the base first (retried). A
 * @spare idles until the "join" line; "leave" leaves gracefully and idles again.
 * The core's addr of node i is i + 1; its UDP address is @args's peer i.
 * Return: 0 after a signal; -errno with @eb set.
 */
int chord_net_run(struct chord_node *core, const struct chord_config *config,
		  const struct replica_args *args, uint32_t base_count, bool spare,
		  struct errbuf *eb);

/* chord_net_status_name() - "ok", "timeout", ... for enum chord_lookup_status. */
const char *chord_net_status_name(uint8_t status);

#endif /* CHORD_NET_H */
