/* SPDX-License-Identifier: MIT */
/* lww_limits.h - every bound of the LWW register node, in one place (STYLE S18, S19). */
#ifndef LWW_LIMITS_H
#define LWW_LIMITS_H

#include "fl_assert.h"

#ifndef FL_TEST_LIMITS
enum { LWW_CLIENTS_MAX = 256 };         /* concurrent client connections */
#else
enum { LWW_CLIENTS_MAX = 8 };           /* small enough for tests to reach (STYLE S36) */
#endif

enum {
	LWW_REPLICAS_MAX = 64,          /* node ids 0..63: as many as a cluster has nodes */
	LWW_KEYS_MAX = 64,              /* registers per node; a 65th key is refused */
	LWW_KEY_BYTES_MAX = 32,         /* keys: 1..32 of [A-Za-z0-9_-] */
	LWW_REQUEST_BYTES_MAX = 256,    /* one client request line, newline included */
	LWW_INTEGER_CHARS_MAX = 20,     /* "-9223372036854775808", "18446744073709551615" */
	LWW_REASON_BYTES_MAX = 64,      /* the text of an "err" reply */
	/* "ok VALUE TS WRITER WALL HLC\n": five numbers of at most 20 characters, 5 spaces. */
	LWW_REPLY_BYTES_MAX = 2 + 5 * (1 + LWW_INTEGER_CHARS_MAX) + 1,
	LWW_GOSSIP_MS_MAX = 60000,
	LWW_MAX_OFFSET_MS_MAX = 86400000,       /* --max-offset-ms: at most a day */
	LWW_RECV_BATCH_MAX = 64,        /* datagrams read per wake-up */
	/* Wire: 12-byte header, then per register u8 key size, key, i64, u64, u8. */
	LWW_WIRE_HEADER_BYTES = 12,
	LWW_WIRE_RECORD_BYTES_MAX = 1 + LWW_KEY_BYTES_MAX + 8 + 8 + 1,
	LWW_DATAGRAM_BYTES_MAX = LWW_WIRE_HEADER_BYTES + LWW_KEYS_MAX * LWW_WIRE_RECORD_BYTES_MAX,
	/* State file: a 32-byte header, then the same records. */
	LWW_STORE_HEADER_BYTES = 32,
	LWW_STORE_BYTES_MAX = LWW_STORE_HEADER_BYTES + LWW_KEYS_MAX * LWW_WIRE_RECORD_BYTES_MAX,
};

STATIC_ASSERT(LWW_REPLICAS_MAX <= 256, "node ids fit the u8 of a wire record");
STATIC_ASSERT(LWW_KEY_BYTES_MAX <= 255, "key sizes fit the u8 of a wire record");
STATIC_ASSERT(LWW_KEYS_MAX <= 65535, "record counts fit the u16 of a datagram");
STATIC_ASSERT(LWW_DATAGRAM_BYTES_MAX <= 65507, "the whole state fits one UDP/IPv4 datagram");
STATIC_ASSERT(LWW_REASON_BYTES_MAX + sizeof("err \n") <= LWW_REPLY_BYTES_MAX + 1,
	      "an err reply fits the reply buffer");
STATIC_ASSERT(sizeof("write ") - 1 + LWW_KEY_BYTES_MAX + 2 * (1 + LWW_INTEGER_CHARS_MAX) +
	      sizeof("\r\n") - 1 <= LWW_REQUEST_BYTES_MAX, "the longest valid request fits");
STATIC_ASSERT(LWW_INTEGER_CHARS_MAX == sizeof("18446744073709551615") - 1,
	      "the longest u64 in decimal");

#endif /* LWW_LIMITS_H */
