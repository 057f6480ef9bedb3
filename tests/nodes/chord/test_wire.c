/* SPDX-License-Identifier: MIT */
/* test_wire.c - the Chord wire codec: round trips of every type, the exact bytes, bounds,
 * refusals with messages, and seeded random bytes and mutations that never crash. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chord_msg.h"
#include "chord_wire.h"
#include "errbuf.h"
#include "prng.h"

TestSuite(chord_wire);

enum {
	TYPE_COUNT = CHORD_MSG_TYPE_END - 1,    /* types 1 .. TYPE_COUNT */
	RANDOM_CASES = 100000,
	SEED_DEFAULT = 20240518,
	SLACK_BYTES = 32,                       /* room past the largest encoding */
};

#define SEED_FMT "seed=%" PRIu64 " case %d (reproduce: FL_SEED=%" PRIu64 " test_chord_wire)"

/* The seed of the random tests: $FL_SEED if set, so a failure can be replayed. */
static uint64_t test_seed(void)
{
	const char *env = getenv("FL_SEED");

	return env && *env ? strtoull(env, NULL, 10) : SEED_DEFAULT;
}

/* Every field set, with values whose bytes all differ, so a swapped or dropped byte shows. */
static struct chord_msg full_msg(uint8_t type, uint8_t succ_count, bool has_pred)
{
	struct chord_msg m = {
		.type = type,
		.rpc = 0x0a0b0c0du,
		.from = { .id = 0x1112131415161718u, .addr = 0x191a1b1cu },
		.key = 0x2122232425262728u,
		.next = { .id = 0x3132333435363738u, .addr = 0x393a3b3cu },
		.has_pred = has_pred,
		.pred = { .id = 0x4142434445464748u, .addr = 0x494a4b4cu },
		.succ_count = succ_count,
		.value = -0x6162636465666768,
		.version = 0x7172737475767778u,
		.status = 0x81,
	};

	for (uint64_t i = 0; i < CHORD_SUCC_MAX; i++) {
		m.succ[i].id = 0x5152535455565758u + (i << 56);
		m.succ[i].addr = 0x595a5b5cu + (uint32_t)i;
	}
	return m;
}

/*
 * What the decoder must give back for @m: the fields its type carries, the rest zero. The
 * test's own statement of the layout (chord_msg.h), written apart from the codec's table.
 */
static struct chord_msg carried(const struct chord_msg *m)
{
	struct chord_msg c;

	memset(&c, 0, sizeof(c));
	c.type = m->type;
	c.rpc = m->rpc;
	c.from = m->from;
	switch (m->type) {
	case CHORD_MSG_NEIGHBOURS:
		c.has_pred = m->has_pred;
		if (m->has_pred)
			c.pred = m->pred;
		c.succ_count = m->succ_count;
		memcpy(c.succ, m->succ, m->succ_count * sizeof(m->succ[0]));
		break;
	case CHORD_MSG_FIND:
		c.key = m->key;
		break;
	case CHORD_MSG_FOUND:
		c.key = m->key;
		c.next = m->next;
		c.succ_count = m->succ_count;
		memcpy(c.succ, m->succ, m->succ_count * sizeof(m->succ[0]));
		break;
	case CHORD_MSG_NEXT:
		c.key = m->key;
		c.next = m->next;
		break;
	case CHORD_MSG_LEAVING:
		c.succ_count = m->succ_count;
		memcpy(c.succ, m->succ, m->succ_count * sizeof(m->succ[0]));
		break;
	case CHORD_MSG_KV_GET:
		c.key = m->key;
		break;
	case CHORD_MSG_KV_PUT:
	case CHORD_MSG_KV_STORE:
	case CHORD_MSG_KV_ACK:
		c.key = m->key;
		c.value = m->value;
		c.version = m->version;
		c.status = m->status;
		break;
	default:
		break;
	}
	return c;
}

static bool peer_equal(const struct chord_peer *a, const struct chord_peer *b)
{
	return a->id == b->id && a->addr == b->addr;
}

/* Field by field (struct padding is not compared); every succ[] entry, used or not. */
static bool msg_equal(const struct chord_msg *a, const struct chord_msg *b)
{
	if (a->type != b->type || a->rpc != b->rpc || !peer_equal(&a->from, &b->from) ||
	    a->key != b->key || !peer_equal(&a->next, &b->next) || a->has_pred != b->has_pred ||
	    !peer_equal(&a->pred, &b->pred) || a->succ_count != b->succ_count ||
	    a->value != b->value || a->version != b->version || a->status != b->status)
		return false;
	for (int i = 0; i < CHORD_SUCC_MAX; i++) {
		if (!peer_equal(&a->succ[i], &b->succ[i]))
			return false;
	}
	return true;
}

/* The encoded size of @m by the layout in chord_wire.h, counted by hand. */
static size_t size_of(const struct chord_msg *m)
{
	size_t succ = 1 + (size_t)m->succ_count * 12;

	switch (m->type) {
	case CHORD_MSG_NEIGHBOURS:
		return 19 + 1 + (m->has_pred ? 12u : 0u) + succ;
	case CHORD_MSG_FIND:
		return 19 + 8;
	case CHORD_MSG_FOUND:
		return 19 + 8 + 12 + succ;
	case CHORD_MSG_NEXT:
		return 19 + 8 + 12;
	case CHORD_MSG_LEAVING:
		return 19 + succ;
	case CHORD_MSG_KV_GET:
		return 19 + 8;
	case CHORD_MSG_KV_PUT:
	case CHORD_MSG_KV_STORE:
	case CHORD_MSG_KV_ACK:
		return 19 + 8 + 8 + 8 + 1;
	default:
		return 19;
	}
}

Test(chord_wire, every_type_has_its_name_and_unknown_types_none)
{
	static const char *const names[TYPE_COUNT + 1] = {
		NULL, "ping", "pong", "get-neighbours", "neighbours", "notify", "find", "found",
		"next", "leaving", "kv-put", "kv-get", "kv-store", "kv-ack",
	};

	cr_assert_eq(TYPE_COUNT, 13, "the test knows 13 types");
	for (unsigned t = 1; t <= TYPE_COUNT; t++)
		cr_assert_str_eq(chord_msg_type_name(t), names[t], "type %u", t);
	cr_assert_null(chord_msg_type_name(0));
	cr_assert_null(chord_msg_type_name(CHORD_MSG_TYPE_END));
	cr_assert_null(chord_msg_type_name(255));
	cr_assert_null(chord_msg_type_name(~0u));
}

/* Encode @m, check the size, decode, and compare with what its type carries. */
static void round_trip(const struct chord_msg *m)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX + SLACK_BYTES];
	struct chord_msg back, want = carried(m);
	struct errbuf eb = { .msg = "" };
	ssize_t n = chord_encode(m, buf, sizeof(buf));

	cr_assert_eq(n, (ssize_t)size_of(m), "%s with %u succ, has_pred %d: %zd bytes",
		     chord_msg_type_name(m->type), m->succ_count, m->has_pred, n);
	memset(&back, 0xa5, sizeof(back));      /* decode must zero what it does not carry */
	cr_assert_eq(chord_decode(buf, (size_t)n, &back, &eb), 0, "%s: %s",
		     chord_msg_type_name(m->type), eb.msg);
	cr_assert(msg_equal(&back, &want), "%s with %u succ, has_pred %d: fields differ",
		  chord_msg_type_name(m->type), m->succ_count, m->has_pred);
}

Test(chord_wire, every_type_round_trips_the_fields_it_carries_and_zeroes_the_rest)
{
	for (uint8_t t = 1; t <= TYPE_COUNT; t++) {
		for (uint8_t succ = 0; succ <= CHORD_SUCC_MAX; succ++) {
			struct chord_msg m = full_msg(t, succ, true);

			round_trip(&m);
			m.has_pred = false;
			round_trip(&m);
		}
	}
}

Test(chord_wire, carried_fields_come_back_and_others_are_zero)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX];
	struct chord_msg m = full_msg(CHORD_MSG_FOUND, 3, true), back;
	ssize_t n = chord_encode(&m, buf, sizeof(buf));

	/* Spelled out once for FOUND and NEIGHBOURS, so carried() is not the only oracle. */
	cr_assert_eq(chord_decode(buf, (size_t)n, &back, NULL), 0);
	cr_assert_eq(back.rpc, 0x0a0b0c0du);
	cr_assert_eq(back.from.id, 0x1112131415161718u);
	cr_assert_eq(back.key, 0x2122232425262728u);
	cr_assert_eq(back.next.addr, 0x393a3b3cu);
	cr_assert_eq(back.succ_count, 3);
	cr_assert_eq(back.succ[2].id, 0x5152535455565758u + (2ull << 56));
	cr_assert_eq(back.succ[3].id, 0, "succ[3] is past succ_count");
	cr_assert(!back.has_pred && back.pred.id == 0 && back.pred.addr == 0, "FOUND has no pred");
	m = full_msg(CHORD_MSG_NEIGHBOURS, CHORD_SUCC_MAX, false);
	n = chord_encode(&m, buf, sizeof(buf));
	cr_assert_eq(chord_decode(buf, (size_t)n, &back, NULL), 0);
	cr_assert_eq(back.succ[7].addr, 0x595a5b5cu + 7);
	cr_assert_eq(back.pred.id, 0, "no pred without has_pred");
	cr_assert_eq(back.key, 0, "NEIGHBOURS has no key");
	cr_assert_eq(back.next.id, 0, "NEIGHBOURS has no next");
}

Test(chord_wire, the_bytes_are_the_documented_layout_little_endian)
{
	static const uint8_t next[39] = {
		0xcd, 1, CHORD_MSG_NEXT, 0x0d, 0x0c, 0x0b, 0x0a,         /* magic .. rpc */
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 0x1c, 0x1b, 0x1a, 0x19, /* from */
		0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21,                         /* key */
		0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31, 0x3c, 0x3b, 0x3a, 0x39, /* next */
	};
	static const uint8_t neighbours[19 + 1 + 12 + 1 + 12] = {
		0xcd, 1, CHORD_MSG_NEIGHBOURS, 0x0d, 0x0c, 0x0b, 0x0a,
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 0x1c, 0x1b, 0x1a, 0x19,
		1,                                                                  /* has_pred */
		0x48, 0x47, 0x46, 0x45, 0x44, 0x43, 0x42, 0x41, 0x4c, 0x4b, 0x4a, 0x49, /* pred */
		1,                                                                /* succ_count */
		0x58, 0x57, 0x56, 0x55, 0x54, 0x53, 0x52, 0x51, 0x5c, 0x5b, 0x5a, 0x59, /* succ */
	};
	uint8_t buf[CHORD_WIRE_BYTES_MAX];
	struct chord_msg m = full_msg(CHORD_MSG_NEXT, 5, true);

	cr_assert_eq(CHORD_WIRE_MAGIC, 0xcd);
	cr_assert_eq(CHORD_WIRE_VERSION, 1);
	cr_assert_eq(chord_encode(&m, buf, sizeof(buf)), (ssize_t)sizeof(next));
	cr_assert_arr_eq(buf, next, sizeof(next));
	m = full_msg(CHORD_MSG_NEIGHBOURS, 1, true);
	cr_assert_eq(chord_encode(&m, buf, sizeof(buf)), (ssize_t)sizeof(neighbours));
	cr_assert_arr_eq(buf, neighbours, sizeof(neighbours));
}

Test(chord_wire, the_largest_encoding_is_a_full_found_and_fits_the_bound)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX];
	ssize_t largest = 0;

	for (uint8_t t = 1; t <= TYPE_COUNT; t++) {
		struct chord_msg m = full_msg(t, CHORD_SUCC_MAX, true);
		ssize_t n = chord_encode(&m, buf, sizeof(buf));

		cr_assert_gt(n, 0, "%s fits CHORD_WIRE_BYTES_MAX", chord_msg_type_name(t));
		largest = n > largest ? n : largest;
	}
	cr_assert_eq(largest, CHORD_WIRE_BYTES_MAX);
}

Test(chord_wire, a_short_buffer_is_emsgsize_at_every_size)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX];

	for (uint8_t t = 1; t <= TYPE_COUNT; t++) {
		struct chord_msg m = full_msg(t, CHORD_SUCC_MAX, true);
		size_t n = size_of(&m);

		for (size_t k = 0; k < n; k++)
			cr_assert_eq(chord_encode(&m, buf, k), -EMSGSIZE, "%s into %zu of %zu",
				     chord_msg_type_name(t), k, n);
		cr_assert_eq(chord_encode(&m, buf, n), (ssize_t)n, "%s into exactly %zu",
			     chord_msg_type_name(t), n);
	}
	cr_assert_eq(chord_encode(&(struct chord_msg){ .type = CHORD_MSG_PING }, NULL, 0),
		     -EMSGSIZE);
}

Test(chord_wire, invalid_messages_are_einval_and_write_nothing)
{
	static const uint8_t bad_types[] = { 0, CHORD_MSG_TYPE_END, CHORD_MSG_TYPE_END + 1, 255 };
	uint8_t buf[CHORD_WIRE_BYTES_MAX], untouched[CHORD_WIRE_BYTES_MAX];
	struct chord_msg m;

	memset(buf, 0x77, sizeof(buf));
	memcpy(untouched, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		m = full_msg(bad_types[i], 1, true);
		cr_assert_eq(chord_encode(&m, buf, sizeof(buf)), -EINVAL, "type %u", bad_types[i]);
	}
	for (uint8_t t = 1; t <= TYPE_COUNT; t++) {
		m = full_msg(t, CHORD_SUCC_MAX + 1, true);
		cr_assert_eq(chord_encode(&m, buf, sizeof(buf)), -EINVAL, "%s with succ_count 9",
			     chord_msg_type_name(t));
		m.succ_count = 255;
		cr_assert_eq(chord_encode(&m, buf, sizeof(buf)), -EINVAL);
	}
	cr_assert_arr_eq(buf, untouched, sizeof(buf), "a refused message writes nothing");
}

/* Decode @size bytes, expect -EBADMSG with a message holding @what and "expected", and @m
 * zeroed. */
static void refused(const uint8_t *bytes, size_t size, const char *what, const char *why)
{
	struct errbuf eb = { .msg = "" };
	struct chord_msg m, zero;

	memset(&m, 0x5a, sizeof(m));
	memset(&zero, 0, sizeof(zero));
	cr_assert_eq(chord_decode(bytes, size, &m, &eb), -EBADMSG, "%s", why);
	cr_assert(strstr(eb.msg, what), "%s: message '%s' lacks '%s'", why, eb.msg, what);
	cr_assert(strstr(eb.msg, "expected"), "%s: message '%s' says nothing expected", why,
		  eb.msg);
	cr_assert(msg_equal(&m, &zero), "%s: a refused message is zeroed", why);
	cr_assert_eq(chord_decode(bytes, size, &m, NULL), -EBADMSG, "%s, without errbuf", why);
}

Test(chord_wire, empty_input_wrong_magic_version_and_type_are_refused)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX];
	struct chord_msg m = full_msg(CHORD_MSG_PING, 0, false);
	ssize_t n = chord_encode(&m, buf, sizeof(buf));

	cr_assert_eq(n, 19);
	refused(NULL, 0, "truncated at byte 0 of 0: expected 1-byte magic", "NULL and empty");
	refused(buf, 0, "truncated at byte 0 of 0: expected 1-byte magic", "empty");
	buf[0] = 0x12;
	refused(buf, (size_t)n, "magic 18 (0x12) at byte 0: expected 205 (0xcd)", "magic");
	buf[0] = CHORD_WIRE_MAGIC;
	buf[1] = 2;
	refused(buf, (size_t)n, "version 2 (0x2) at byte 1: expected 1 (0x1)", "version 2");
	buf[1] = 0;
	refused(buf, (size_t)n, "version 0", "version 0");
	buf[1] = CHORD_WIRE_VERSION;
	buf[2] = 0;
	refused(buf, (size_t)n, "type 0 at byte 2: expected 1 .. 13", "type 0");
	buf[2] = CHORD_MSG_TYPE_END;
	refused(buf, (size_t)n, "type 14 at byte 2: expected 1 .. 13", "type 14");
	buf[2] = 255;
	refused(buf, (size_t)n, "type 255", "type 255");
	buf[2] = CHORD_MSG_PING;
	cr_assert_eq(chord_decode(buf, (size_t)n, &m, NULL), 0, "restored, it decodes again");
}

Test(chord_wire, every_truncation_of_every_type_is_refused)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX];
	char why[64];

	for (uint8_t t = 1; t <= TYPE_COUNT; t++) {
		for (int has_pred = 0; has_pred <= 1; has_pred++) {
			struct chord_msg m = full_msg(t, CHORD_SUCC_MAX, has_pred);
			ssize_t n = chord_encode(&m, buf, sizeof(buf));

			cr_assert_gt(n, 0);
			for (ssize_t k = 0; k < n; k++) {
				snprintf(why, sizeof(why), "%s cut to %zd of %zd bytes",
					 chord_msg_type_name(t), k, n);
				refused(buf, (size_t)k, "truncated at byte", why);
			}
		}
	}
}

Test(chord_wire, trailing_bytes_are_refused)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX + SLACK_BYTES] = { 0 };
	char why[64];

	for (uint8_t t = 1; t <= TYPE_COUNT; t++) {
		struct chord_msg m = full_msg(t, 2, true);
		ssize_t n = chord_encode(&m, buf, sizeof(buf));

		for (size_t extra = 1; extra <= SLACK_BYTES; extra++) {
			snprintf(why, sizeof(why), "%s + %zu bytes", chord_msg_type_name(t), extra);
			refused(buf, (size_t)n + extra, "trailing bytes at byte", why);
		}
	}
	cr_assert_eq(chord_encode(&(struct chord_msg){ .type = CHORD_MSG_PING }, buf, sizeof(buf)),
		     19);
	refused(buf, 19 + 1, "trailing bytes at byte 19 of 20: expected the end of the 19-byte "
		"ping", "ping + 1");
}

Test(chord_wire, succ_count_above_the_max_is_refused)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX + SLACK_BYTES];
	static const uint8_t types[] = { CHORD_MSG_NEIGHBOURS, CHORD_MSG_FOUND };

	for (size_t i = 0; i < sizeof(types); i++) {
		struct chord_msg m = full_msg(types[i], CHORD_SUCC_MAX, true);
		ssize_t n = chord_encode(&m, buf, sizeof(buf));
		size_t at = (size_t)n - 1 - CHORD_SUCC_MAX * 12;        /* the succ_count byte */
		char what[64];

		cr_assert_eq(buf[at], CHORD_SUCC_MAX);
		/* Nine full entries: only the count is wrong. */
		buf[at] = CHORD_SUCC_MAX + 1;
		memcpy(buf + n, buf + n - 12, 12);
		snprintf(what, sizeof(what), "succ_count 9 at byte %zu: expected 0 .. 8", at);
		refused(buf, (size_t)n + 12, what, chord_msg_type_name(types[i]));
		buf[at] = 255;
		refused(buf, (size_t)n, "succ_count 255", chord_msg_type_name(types[i]));
	}
}

Test(chord_wire, has_pred_other_than_0_or_1_is_refused)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX];
	struct chord_msg m = full_msg(CHORD_MSG_NEIGHBOURS, 2, true);
	ssize_t n = chord_encode(&m, buf, sizeof(buf));

	cr_assert_eq(buf[19], 1, "has_pred follows the header");
	buf[19] = 2;
	refused(buf, (size_t)n, "has_pred 2 at byte 19: expected 0 .. 1", "has_pred 2");
	buf[19] = 255;
	refused(buf, (size_t)n, "has_pred 255", "has_pred 255");
}

/* Draws in statements, not in one initializer, whose order C leaves unspecified. */
static void random_peer(struct prng *p, struct chord_peer *peer)
{
	peer->id = prng_next(p);
	peer->addr = (uint32_t)prng_next(p);
}

/* A message with random fields (also the ones its type does not carry) of a random type. */
static struct chord_msg random_msg(struct prng *p)
{
	struct chord_msg m;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)(1 + prng_below(p, TYPE_COUNT));
	m.rpc = (uint32_t)prng_next(p);
	random_peer(p, &m.from);
	m.key = prng_next(p);
	random_peer(p, &m.next);
	m.has_pred = prng_below(p, 2) == 1;
	random_peer(p, &m.pred);
	m.succ_count = (uint8_t)prng_below(p, CHORD_SUCC_MAX + 1);
	for (int i = 0; i < CHORD_SUCC_MAX; i++)
		random_peer(p, &m.succ[i]);
	return m;
}

/*
 * Decode untrusted @bytes: either -EBADMSG with a message, or a message that carries only
 * its type's fields and re-encodes to exactly @bytes. Returns whether it was accepted.
 */
static bool decode_is_exact_or_refused(const uint8_t *bytes, size_t size, uint64_t seed,
				       int c)
{
	uint8_t again[CHORD_WIRE_BYTES_MAX + SLACK_BYTES];
	struct errbuf eb = { .msg = "" };
	struct chord_msg m, want;
	int err = chord_decode(bytes, size, &m, &eb);
	ssize_t n;

	if (err) {
		cr_assert_eq(err, -EBADMSG, SEED_FMT, seed, c, seed);
		cr_assert(strncmp(eb.msg, "chord message: ", 15) == 0, "'%s'; " SEED_FMT, eb.msg,
			  seed, c, seed);
		return false;
	}
	want = carried(&m);
	cr_assert(msg_equal(&m, &want), "decoded fields the type lacks; " SEED_FMT, seed, c,
		  seed);
	n = chord_encode(&m, again, sizeof(again));
	cr_assert_eq(n, (ssize_t)size, "re-encoded %zd of %zu bytes; " SEED_FMT, n, size, seed,
		     c, seed);
	cr_assert_arr_eq(again, bytes, size, "re-encoded other bytes; " SEED_FMT, seed, c, seed);
	return true;
}

Test(chord_wire, random_bytes_never_crash_and_decode_exactly_or_are_refused)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX + SLACK_BYTES];
	uint64_t seed = test_seed();
	int accepted = 0;
	struct prng p;

	prng_init(&p, seed);
	for (int c = 0; c < RANDOM_CASES; c++) {
		size_t size = (size_t)prng_below(&p, sizeof(buf) + 1);

		for (size_t b = 0; b < size; b++)
			buf[b] = (uint8_t)prng_next(&p);
		/* Half get a plausible header, so the body's checks are reached too. */
		if (size >= 3 && prng_below(&p, 2)) {
			buf[0] = CHORD_WIRE_MAGIC;
			buf[1] = CHORD_WIRE_VERSION;
			buf[2] = (uint8_t)prng_below(&p, CHORD_MSG_TYPE_END + 1);
		}
		accepted += decode_is_exact_or_refused(size ? buf : NULL, size, seed, c);
	}
	/* Not vacuous: some random datagrams happen to have a valid shape. */
	cr_assert_gt(accepted, 100, "%d accepted; seed=%" PRIu64, accepted, seed);
	cr_assert_lt(accepted, RANDOM_CASES / 2, "%d accepted; seed=%" PRIu64, accepted, seed);
}

/* One random edit of @buf[0..*size): flip a bit, set a byte, cut, extend, insert, delete. */
static void mutate(struct prng *p, uint8_t *buf, size_t *size, size_t capacity)
{
	size_t at = *size ? (size_t)prng_below(p, *size) : 0;

	switch (prng_below(p, 6)) {
	case 0:
		if (*size)
			buf[at] ^= (uint8_t)(1u << prng_below(p, 8));
		break;
	case 1:
		if (*size)
			buf[at] = (uint8_t)prng_next(p);
		break;
	case 2:
		*size = (size_t)prng_below(p, *size + 1);
		break;
	case 3:
		while (*size < capacity && prng_below(p, 2))
			buf[(*size)++] = (uint8_t)prng_next(p);
		break;
	case 4:
		if (*size < capacity) {
			memmove(buf + at + 1, buf + at, *size - at);
			buf[at] = (uint8_t)prng_next(p);
			++*size;
		}
		break;
	default:
		if (*size) {
			memmove(buf + at, buf + at + 1, *size - at - 1);
			--*size;
		}
		break;
	}
}

Test(chord_wire, mutated_encodings_never_crash_and_decode_exactly_or_are_refused)
{
	uint8_t buf[CHORD_WIRE_BYTES_MAX + SLACK_BYTES];
	uint64_t seed = test_seed() ^ 0x6d75746174696f6eu;     /* "mutation" */
	int accepted = 0, refused_count = 0;
	struct prng p;

	prng_init(&p, seed);
	for (int c = 0; c < RANDOM_CASES; c++) {
		struct chord_msg m = random_msg(&p);
		ssize_t n = chord_encode(&m, buf, sizeof(buf));
		size_t size = (size_t)n;
		int edits = 1 + (int)prng_below(&p, 4);

		cr_assert_gt(n, 0, SEED_FMT, seed, c, seed);
		for (int e = 0; e < edits; e++)
			mutate(&p, buf, &size, sizeof(buf));
		if (decode_is_exact_or_refused(size ? buf : NULL, size, seed, c))
			accepted++;
		else
			refused_count++;
	}
	/* Both outcomes happen: bit flips in ids survive, cuts and bad counts do not. */
	cr_assert_gt(accepted, RANDOM_CASES / 10, "%d accepted; seed=%" PRIu64, accepted, seed);
	cr_assert_gt(refused_count, RANDOM_CASES / 10, "%d refused; seed=%" PRIu64, refused_count,
		     seed);
}

Test(chord_wire, random_messages_round_trip)
{
	uint64_t seed = test_seed() ^ 0x726f756e64u;             /* "round" */
	struct prng p;

	prng_init(&p, seed);
	for (int c = 0; c < 10000; c++) {
		struct chord_msg m = random_msg(&p);

		round_trip(&m);
	}
}
