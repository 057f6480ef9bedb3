/* SPDX-License-Identifier: MIT */
/* test_wire.c - encode/decode round trips, bad bytes never crash and are counted, and
 * forged or unauthenticated messages are dropped and counted. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pbft_sim.h"
#include "prng.h"

TestSuite(pbft_wire);

static struct pbft_msg m, back;
static uint8_t buf[PBFT_SEALED_BYTES_MAX];

static void make_pre_prepare(void)
{
	memset(&m, 0, sizeof(m));
	m.type = PBFT_MSG_PRE_PREPARE;
	m.sender = 0;
	m.view = 3;
	m.seq = 17;
	m.batch.count = 2;
	for (uint32_t i = 0; i < 2; i++) {
		m.batch.requests[i].client = i + 1;
		m.batch.requests[i].timestamp = 100 + i;
		m.batch.requests[i].op.verb = PBFT_VERB_CAS;
		m.batch.requests[i].op.key = 5;
		m.batch.requests[i].op.a = (struct pbft_value){ .present = true, .v = -7 };
	}
	pbft_batch_digest(&m.batch, m.digest);
}

Test(pbft_wire, a_pre_prepare_round_trips)
{
	ssize_t n;

	make_pre_prepare();
	n = pbft_encode(&m, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(pbft_decode(buf, (size_t)n, 4 + PBFT_CLIENTS_MAX, &back, NULL), 0);
	cr_assert_eq(back.seq, 17);
	cr_assert_eq(back.batch.count, 2);
	cr_assert_eq(back.batch.requests[1].op.a.v, -7);
	cr_assert(!back.batch.requests[1].op.b.present);
	cr_assert_eq(memcmp(back.digest, m.digest, PBFT_DIGEST_BYTES), 0);
	cr_assert_eq(pbft_encode(&m, buf, (size_t)n - 1), -EMSGSIZE);
}

Test(pbft_wire, every_truncation_and_random_bytes_are_refused)
{
	struct prng p;
	ssize_t n;

	make_pre_prepare();
	n = pbft_encode(&m, buf, sizeof(buf));
	for (ssize_t k = 0; k < n; k++)
		cr_assert_eq(pbft_decode(buf, (size_t)k, 4 + PBFT_CLIENTS_MAX, &back, NULL),
			     -EBADMSG, "prefix of %zd bytes", k);
	prng_init(&p, 5);
	for (int trial = 0; trial < 20000; trial++) {
		size_t size = (size_t)prng_below(&p, 200);

		for (size_t b = 0; b < size; b++)
			buf[b] = (uint8_t)prng_next(&p);
		if (size > 0)
			buf[0] = (uint8_t)(1 + prng_below(&p, PBFT_MSG_TYPE_END - 1));
		(void)pbft_decode(buf, size, 4 + PBFT_CLIENTS_MAX, &back, NULL);
	}
}

Test(pbft_wire, forged_and_garbage_messages_are_dropped_and_counted)
{
	struct sim_opts o;
	struct sim *s;
	struct pbft_status st;
	uint8_t key[PBFT_KEY_BYTES] = { 0 };
	ssize_t n;

	sim_defaults(&o, 1, 1);
	o.clients = 0;
	s = sim_new(&o);
	make_pre_prepare();
	n = pbft_encode(&m, buf, sizeof(buf));
	n = pbft_seal(key, buf, (size_t)n, buf, sizeof(buf));  /* claims 0, wrong key */
	sim_inject(s, 1, buf, (size_t)n);
	buf[n - 1] ^= 1;
	sim_inject(s, 2, buf, (size_t)n);
	sim_inject(s, 2, buf, 3);                               /* too short to hold a MAC */
	pbft_replica_status(sim_replica(s, 1), &st);
	cr_assert_eq(st.forged_count, 1);
	cr_assert_eq(st.executed_seq, 0);
	pbft_replica_status(sim_replica(s, 2), &st);
	cr_assert_eq(st.forged_count, 1);
	cr_assert_eq(st.malformed_count, 1);
	sim_free(s);
}

Test(pbft_wire, pair_keys_are_directional_and_reproducible)
{
	uint8_t secret[PBFT_SECRET_BYTES] = { 1 }, a[PBFT_KEY_BYTES], b[PBFT_KEY_BYTES];

	pbft_key_derive(secret, 1, 2, a);
	pbft_key_derive(secret, 2, 1, b);
	cr_assert_neq(memcmp(a, b, sizeof(a)), 0);
	pbft_key_derive(secret, 1, 2, b);
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
}

Test(pbft_wire, fetch_state_and_state_round_trip_with_exact_lengths)
{
	uint8_t d[PBFT_DIGEST_BYTES];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.type = PBFT_MSG_FETCH_STATE;
	m.sender = 2;
	m.seq = 48;
	n = pbft_encode(&m, buf, sizeof(buf));
	cr_assert_eq(n, PBFT_HEADER_BYTES);
	cr_assert_eq(pbft_decode(buf, (size_t)n, 4 + PBFT_CLIENTS_MAX, &back, NULL), 0);
	cr_assert_eq(back.type, PBFT_MSG_FETCH_STATE);
	cr_assert_eq(pbft_decode(buf, (size_t)n + 1, 4 + PBFT_CLIENTS_MAX, &back, NULL), -EBADMSG);
	m.type = PBFT_MSG_STATE;
	m.snapshot.values[3] = (struct pbft_value){ .present = true, .v = -5 };
	m.snapshot.clients[7] = (struct pbft_snapshot_client){ .last_timestamp = 9, .ok = true };
	pbft_snapshot_digest(&m.snapshot, m.digest);
	n = pbft_encode(&m, buf, sizeof(buf));
	cr_assert_eq(n, PBFT_HEADER_BYTES + PBFT_SNAPSHOT_BYTES);
	cr_assert_eq(pbft_decode(buf, (size_t)n, 4 + PBFT_CLIENTS_MAX, &back, NULL), 0);
	pbft_snapshot_digest(&back.snapshot, d);
	cr_assert_eq(memcmp(d, m.digest, PBFT_DIGEST_BYTES), 0);
	cr_assert_eq(back.snapshot.clients[7].last_timestamp, 9);
	for (ssize_t k = 0; k < n; k++)
		cr_assert_eq(pbft_decode(buf, (size_t)k, 4 + PBFT_CLIENTS_MAX, &back, NULL),
			     -EBADMSG, "prefix of %zd bytes", k);
	buf[PBFT_HEADER_BYTES] = 2;             /* register 0: present must be 0 or 1 */
	cr_assert_eq(pbft_decode(buf, (size_t)n, 4 + PBFT_CLIENTS_MAX, &back, NULL), -EBADMSG);
}

Test(pbft_wire, a_client_believes_the_view_f_plus_one_replies_reach)
{
	const uint64_t liar[4] = { 5, 5, 5, 99 }, lonely[4] = { 0, 3, 0, 0 };
	const uint64_t moved[4] = { 2, 7, 7, 0 }, seven[7] = { 9, 1, 1, 1, 9, 1, 1 };
	uint64_t view = 42;

	cr_assert(pbft_replies_view(liar, 0xf, 4, &view) && view == 5, "a liar's 99: %lu",
		  (unsigned long)view);
	cr_assert(pbft_replies_view(lonely, 0xf, 4, &view) && view == 0,
		  "a replica alone in view 3 does not move the client");
	cr_assert(pbft_replies_view(moved, 0xf, 4, &view) && view == 7,
		  "two replicas in view 7 (one correct): the client follows");
	cr_assert(pbft_replies_view(moved, 0x3, 4, &view) && view == 2,
		  "only the replies in the mask count");
	view = 42;
	cr_assert(!pbft_replies_view(moved, 0x2, 4, &view) && view == 42, "one reply of 4");
	cr_assert(pbft_replies_view(seven, 0x7f, 7, &view) && view == 1,
		  "n = 7: two liars in view 9 are not f+1");
}
