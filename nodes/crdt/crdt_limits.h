/* SPDX-License-Identifier: MIT */
/* crdt_limits.h - every bound of the CRDT replica, in one place (STYLE S18, S19). */
#ifndef CRDT_LIMITS_H
#define CRDT_LIMITS_H

#include "fl_assert.h"

#ifndef FL_TEST_LIMITS
enum {
	CRDT_SET_ELEMENTS_MAX = 4096,   /* G-Set elements; live OR-Set elements in a read */
	CRDT_ORSET_TAGS_MAX = 65536,    /* live + tombstoned tags per OR-Set */
	CRDT_ORSET_REMOVES_MAX = 4096,  /* remove events per OR-Set (orset-remove-wins only) */
	CRDT_CLIENTS_MAX = 256,         /* concurrent client connections */
};
#else
/* Small enough that tests reach every bound (STYLE S36). */
enum {
	CRDT_SET_ELEMENTS_MAX = 64,
	CRDT_ORSET_TAGS_MAX = 256,
	CRDT_ORSET_REMOVES_MAX = 32,
	CRDT_CLIENTS_MAX = 8,
};
#endif

enum {
	CRDT_REPLICAS_MAX = 64,                 /* as many as a cluster has nodes */
	CRDT_OBJECTS_MAX = 64,
	CRDT_NAME_BYTES_MAX = 32,               /* object names: 1..32 of [A-Za-z0-9_-] */
	CRDT_REQUEST_BYTES_MAX = 256,           /* one client request line, newline included */
	CRDT_INTEGER_CHARS_MAX = 20,            /* "-9223372036854775808" */
	/* "ok" + one " <int64>" per element + "\n". */
	CRDT_REPLY_BYTES_MAX = 2 + CRDT_SET_ELEMENTS_MAX * (1 + CRDT_INTEGER_CHARS_MAX) + 1,
	CRDT_DATAGRAM_BYTES_MAX = 60000,        /* one UDP datagram between replicas */
	CRDT_OUTBOX_MSGS_MAX = 8,               /* datagrams one step may emit */
	CRDT_RECV_BATCH_MAX = 64,               /* datagrams read per wake-up */
	CRDT_GOSSIP_MS_MAX = 60000,
};

/* Sequence numbers of tags live in 55 bits (see orset.h). */
#define CRDT_SEQ_LIMIT (1ull << 55)
/* A paced replica hands out at most this many tag sequence numbers per millisecond. */
#define CRDT_SEQS_PER_MS_BITS 12
#define CRDT_SEQS_PER_MS (1ull << CRDT_SEQS_PER_MS_BITS)

STATIC_ASSERT(CRDT_REPLICAS_MAX <= 128, "replica ids fit in 7 bits of a tag id");
STATIC_ASSERT(CRDT_SET_ELEMENTS_MAX <= CRDT_ORSET_TAGS_MAX, "a set read fits the tag bound");
STATIC_ASSERT(CRDT_ORSET_TAGS_MAX < (1 << 30), "tag counts fit a u32 with room");
STATIC_ASSERT(CRDT_OBJECTS_MAX <= 65535, "record counts fit a u16");
STATIC_ASSERT(CRDT_DATAGRAM_BYTES_MAX <= 65507, "a datagram fits in one UDP/IPv4 packet");
STATIC_ASSERT(CRDT_DATAGRAM_BYTES_MAX >= 1024, "a datagram holds a full G-Counter record");
STATIC_ASSERT(CRDT_ORSET_REMOVES_MAX < (1 << 30), "remove counts fit a u32 with room");
STATIC_ASSERT(CRDT_NAME_BYTES_MAX <= 255, "name sizes fit the u8 of a wire record");
STATIC_ASSERT(CRDT_INTEGER_CHARS_MAX == sizeof("-9223372036854775808") - 1,
	      "the longest int64 in decimal");
STATIC_ASSERT(sizeof("remove gcounter ") - 1 + CRDT_NAME_BYTES_MAX + 1 + CRDT_INTEGER_CHARS_MAX +
	      sizeof("\r\n") - 1 <= CRDT_REQUEST_BYTES_MAX, "the longest valid request fits");
STATIC_ASSERT(CRDT_OUTBOX_MSGS_MAX >= 1, "a step can emit its delta");
/* Wall-clock ms stay below 2^42 until the year 2109; the base must stay below half the range. */
STATIC_ASSERT(((CRDT_SEQ_LIMIT / 2) >> CRDT_SEQS_PER_MS_BITS) >= (1ull << 42),
	      "wall-clock-ms << CRDT_SEQS_PER_MS_BITS is a valid seq_base");

#endif /* CRDT_LIMITS_H */
