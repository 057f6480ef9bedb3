/* SPDX-License-Identifier: MIT */
/* crdt_harness.h - a tiny in-memory cluster for the CRDT core tests: replicas, a captured
 * network and helpers that send request lines. Header-only, included by one test each. */
#ifndef CRDT_HARNESS_H
#define CRDT_HARNESS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "crdt.h"
#include "crdt_wire.h"

enum { HARNESS_REPLICAS_MAX = 4, HARNESS_QUEUE_MAX = 64 };

struct harness_datagram {
	uint32_t sender;
	uint32_t size;
	uint8_t bytes[CRDT_DATAGRAM_BYTES_MAX];
};

/* Static: the outbox and queue are far too big for the stack. */
static struct crdt_outbox harness_out;
static struct harness_datagram harness_queue[HARNESS_QUEUE_MAX];
static uint32_t harness_queued;
static struct crdt_replica *harness_r[HARNESS_REPLICAS_MAX];
static uint32_t harness_n;
static char harness_reply[CRDT_REPLY_BYTES_MAX + 1];

static inline void harness_setup(uint32_t n, uint32_t bugs)
{
	struct errbuf eb = { "" };

	cr_assert(n <= HARNESS_REPLICAS_MAX);
	harness_n = n;
	harness_queued = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct crdt_config c = { .id = i, .replicas = n, .bugs = bugs,
					 .seq_base = 1000 * (i + 1), .gossip_interval_ns = 100 };

		cr_assert_eq(crdt_replica_new(&harness_r[i], &c, &eb), 0, "%s", eb.msg);
	}
}

static inline void harness_teardown(void)
{
	for (uint32_t i = 0; i < harness_n; i++)
		crdt_replica_free(harness_r[i]);
	harness_n = 0;
}

/* capture() - queue the datagrams of the last step as sent by @sender. */
static inline void harness_capture(uint32_t sender)
{
	for (uint32_t m = 0; m < harness_out.message_count; m++) {
		struct harness_datagram *d = &harness_queue[harness_queued++];

		cr_assert(harness_queued <= HARNESS_QUEUE_MAX);
		cr_assert_eq(harness_out.messages[m].dest, CRDT_DEST_PEERS);
		d->sender = sender;
		d->size = harness_out.messages[m].size;
		memcpy(d->bytes, harness_out.messages[m].bytes, d->size);
	}
}

/* request() - send @line to replica @i; return its reply (valid until the next call). */
static inline const char *harness_request(uint32_t i, const char *line)
{
	struct crdt_input in = { .kind = CRDT_INPUT_CLIENT };
	struct errbuf eb = { "" };

	if (crdt_request_parse(line, strlen(line), &in.request, &eb) < 0) {
		snprintf(harness_reply, sizeof(harness_reply), "err %s\n", eb.msg);
		return harness_reply;
	}
	cr_assert_eq(crdt_step(harness_r[i], &in, 0, &harness_out), 0);
	cr_assert(harness_out.reply_size > 0);
	memcpy(harness_reply, harness_out.reply, harness_out.reply_size + 1);
	harness_capture(i);
	return harness_reply;
}

/* tick() - a tick at @now_ns on replica @i; its datagrams are queued. Return: how many. */
static inline uint32_t harness_tick(uint32_t i, int64_t now_ns)
{
	struct crdt_input in = { .kind = CRDT_INPUT_TICK };

	cr_assert_eq(crdt_step(harness_r[i], &in, now_ns, &harness_out), 0);
	cr_assert_eq(harness_out.reply_size, 0);
	harness_capture(i);
	return harness_out.message_count;
}

static inline int harness_feed(uint32_t to, const void *bytes, size_t size)
{
	struct crdt_input in = { .kind = CRDT_INPUT_PEER, .bytes = bytes, .size = size };

	return crdt_step(harness_r[to], &in, 0, &harness_out);
}

/* deliver() - hand every queued datagram to replicas whose bit is set in @mask (not back
 * to the sender), then empty the queue: a cleared bit is a partitioned-away replica. */
static inline void harness_deliver(uint32_t mask)
{
	for (uint32_t q = 0; q < harness_queued; q++) {
		for (uint32_t to = 0; to < harness_n; to++) {
			if (to == harness_queue[q].sender || !(mask & (1u << to)))
				continue;
			const struct harness_datagram *d = &harness_queue[q];

			cr_assert_eq(harness_feed(to, d->bytes, d->size), 0, "%s",
				     harness_out.eb.msg);
			cr_assert_eq(harness_out.message_count, 0);
		}
	}
	harness_queued = 0;
}

static inline void harness_drop(void)
{
	harness_queued = 0;
}

/* sync() - full anti-entropy among all replicas: everyone ticks, everything is delivered. */
static inline void harness_sync(int64_t now_ns)
{
	for (uint32_t i = 0; i < harness_n; i++) {
		harness_tick(i, now_ns);
		harness_deliver(~0u);
	}
}

#endif /* CRDT_HARNESS_H */
