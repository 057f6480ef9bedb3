/* SPDX-License-Identifier: MIT */
/* pbft_net.h - pbft-node's side of the replica server: sealed datagrams and ticks into the
 * pure PBFT core, its sends out over UDP, its events into the evidence log. */
#ifndef PBFT_NET_H
#define PBFT_NET_H

#include <stddef.h>
#include <stdint.h>

struct errbuf;
struct pbft_config;
struct pbft_replica;
struct replica_args;

enum {
	PBFT_NET_MODES_BYTES_MAX = 128,         /* a --byzantine or "byzantine" mode list */
	PBFT_NET_MODE_BYTES_MAX = 32,           /* one mode name, with its NUL */
};

/**
 * pbft_net_modes_parse() - "MODE[,MODE...]" (pbft_byzantine_parse() names; "none" is no
 * mode) to enum pbft_byzantine flags.
 * Return: 0; -EINVAL for an empty list or name, or an unknown name, which is copied into
 *         @bad (at most @bad_size - 1 bytes, anything but [a-z0-9-] shown as '?').
 */
int pbft_net_modes_parse(const char *list, uint32_t *flags, char *bad, size_t bad_size);

/**
 * pbft_net_run() - serve replica @r (made from @config) on @args's addresses: with
 * @args->data_dir, bump the incarnation in DIR/state (the core's state is not kept: a
 * restarted replica starts empty and catches up from its peers) and append evidence to
 * DIR/evidence.jsonl; tick the core every @args->gossip_ms; answer "status" and "byzantine"
 * lines on the TCP port; until SIGTERM or SIGINT (blocked already:
 * replica_server_block_signals()). @r stays the caller's.
 * @r NULL: --unreplicated (@config: id 0 of 1 replica, no modes): every authentic REQUEST
 * (client c sealed it with key(1 + c, 0)) is executed at once on one KV store under the
 * core's reply cache rule and answered with a REPLY sealed with key(0, 1 + c); no ticks.
 * Blocks. Return: 0 after a signal; -errno, -EBADMSG or -EPROTO (the state file) with @eb.
 */
int pbft_net_run(struct pbft_replica *r, const struct pbft_config *config,
		 const struct replica_args *args, struct errbuf *eb);

#endif /* PBFT_NET_H */
