/* SPDX-License-Identifier: MIT */
/* test_decide.c - the new view's decision procedure (pbft_decide.c) on hand-made
 * view-changes: one liar's certificate or checkpoint is never chosen, a choice waits for
 * enough messages, nothing prepared gives null, and the view-change wire form round-trips. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pbft_decide.h"

TestSuite(pbft_decide);

enum { N = 4, F = 1, L = 8 };

static struct pbft_msg vcs[N], nv, back;
static uint8_t buf[PBFT_MSG_BYTES_MAX];
static const struct pbft_decide_params params = { .replicas = N, .f = F, .window = L,
						  .view = 2 };

/* A batch of one write by @client (0: the null batch). */
static struct pbft_batch batch_of(uint32_t client)
{
	struct pbft_batch b = { .count = client ? 1 : 0 };

	b.requests[0] = (struct pbft_request){ .client = client, .timestamp = 1,
					       .op = { .verb = PBFT_VERB_WRITE, .key = 1,
						       .a = { .present = true, .v = 7 } } };
	if (!client)
		memset(&b.requests[0], 0, sizeof(b.requests[0]));
	return b;
}

static void digest_of(uint32_t client, uint8_t digest[PBFT_DIGEST_BYTES])
{
	struct pbft_batch b = batch_of(client);

	pbft_batch_digest(&b, digest);
}

/* Every sender's view-change for view 2: stable checkpoint 0 (all-zero digest), empty. */
static void reset(void)
{
	memset(vcs, 0, sizeof(vcs));
	for (uint32_t j = 0; j < N; j++) {
		vcs[j].type = PBFT_MSG_VIEW_CHANGE;
		vcs[j].sender = j;
		vcs[j].view = params.view;
	}
}

static void prepared(uint32_t j, uint64_t seq, uint64_t view, uint32_t client)
{
	struct pbft_cert *c = &vcs[j].certs[vcs[j].cert_count++];

	c->seq = seq;
	c->view = view;
	c->batch = batch_of(client);
	digest_of(client, c->digest);
}

static void vouch(uint32_t j, uint64_t seq, uint64_t view, uint32_t client)
{
	struct pbft_vouch *q = &vcs[j].vouches[vcs[j].vouch_count++];

	q->seq = seq;
	q->view = view;
	digest_of(client, q->digest);
}

static void stable(uint32_t j, uint64_t seq, uint8_t digest_byte)
{
	vcs[j].seq = seq;
	memset(vcs[j].digest, digest_byte, PBFT_DIGEST_BYTES);
}

static void claim(uint32_t j, uint64_t seq, uint8_t digest_byte)
{
	struct pbft_ckpt_claim *c = &vcs[j].claims[vcs[j].claim_count++];

	c->seq = seq;
	memset(c->digest, digest_byte, PBFT_DIGEST_BYTES);
}

/* nv's certificate at index @i holds @client's batch (0: null). */
static void expect_choice(uint32_t i, uint32_t client)
{
	uint8_t d[PBFT_DIGEST_BYTES];

	digest_of(client, d);
	cr_assert_lt(i, nv.cert_count);
	cr_assert_eq(nv.certs[i].view, params.view);
	cr_assert_eq(memcmp(nv.certs[i].digest, d, PBFT_DIGEST_BYTES), 0,
		     "seq %llu: not client %u's batch", (unsigned long long)nv.certs[i].seq,
		     client);
}

/* Replicas 1-3 prepared client 5's write at seq 1 in view 0 (it may have committed);
 * replica 0 claims the null batch prepared there in view 1 and vouches for it. */
static void one_liar_with_a_later_certificate(void)
{
	reset();
	for (uint32_t j = 1; j < N; j++) {
		prepared(j, 1, 0, 5);
		vouch(j, 1, 0, 5);
	}
	prepared(0, 1, 1, 0);
	vouch(0, 1, 1, 0);
	for (uint32_t j = 0; j < N; j++)
		cr_assert(pbft_view_change_valid(&vcs[j], L), "vc %u", j);
}

Test(pbft_decide, a_liars_later_certificate_is_not_chosen)
{
	one_liar_with_a_later_certificate();
	cr_assert(pbft_decide_new_view(vcs, 0xf, &params, &nv));
	cr_assert_eq(nv.seq, 0);
	cr_assert_eq(nv.cert_count, 1);
	expect_choice(0, 5);
	cr_assert_eq(nv.vc_mask, 0xf);
}

/* With the liar among only 2f+1, the real certificate lacks 2f+1 that do not contradict it
 * and the lie lacks f+1 vouchers: the primary waits for another view-change. */
Test(pbft_decide, with_the_liar_among_2f_plus_1_the_choice_waits)
{
	one_liar_with_a_later_certificate();
	cr_assert_not(pbft_decide_new_view(vcs, 0x7, &params, &nv));
	cr_assert(pbft_decide_new_view(vcs, 0xe, &params, &nv));
	expect_choice(0, 5);
}

/* A certificate from a later view wins when f+1 vouch for it there. */
Test(pbft_decide, a_later_certificate_vouched_for_by_f_plus_1_wins)
{
	reset();
	prepared(1, 1, 0, 5);
	vouch(1, 1, 0, 5);
	prepared(2, 1, 1, 6);
	vouch(2, 1, 1, 6);
	vouch(3, 1, 1, 6);
	cr_assert(pbft_decide_new_view(vcs, 0xe, &params, &nv));
	expect_choice(0, 6);
	/* Vouched for only by its holder: not yet (replica 1's view-0 one is contradicted). */
	vcs[3].vouch_count = 0;
	cr_assert_not(pbft_decide_new_view(vcs, 0xe, &params, &nv));
}

/* Where 2f+1 prepared nothing, the null batch; the new view ends at the last choice. */
Test(pbft_decide, nothing_prepared_at_2f_plus_1_is_null)
{
	reset();
	prepared(1, 1, 0, 5);
	vouch(1, 1, 0, 5);
	vouch(2, 1, 0, 5);
	prepared(0, 3, 1, 6);   /* a liar: only it vouches */
	vouch(0, 3, 1, 6);
	cr_assert(pbft_decide_new_view(vcs, 0xf, &params, &nv));
	cr_assert_eq(nv.cert_count, 3);
	expect_choice(0, 5);
	expect_choice(1, 0);
	expect_choice(2, 0);
	cr_assert_eq(nv.certs[2].seq, 3);
}

/* A checkpoint one sender claims is not the start; one f+1 hold (stable or not) is. */
Test(pbft_decide, the_start_is_a_checkpoint_f_plus_1_hold)
{
	reset();
	stable(0, 8, 0xfa);     /* a liar's stable checkpoint */
	cr_assert(pbft_decide_new_view(vcs, 0xf, &params, &nv));
	cr_assert_eq(nv.seq, 0);
	stable(1, 4, 0x44);
	claim(2, 4, 0x44);      /* taken, not yet stable at replica 2 */
	cr_assert(pbft_decide_new_view(vcs, 0xf, &params, &nv));
	cr_assert_eq(nv.seq, 4);
	cr_assert_eq(nv.digest[0], 0x44);
	claim(3, 8, 0xfb);      /* another digest at 8: no f+1 for either */
	cr_assert(pbft_decide_new_view(vcs, 0xf, &params, &nv));
	cr_assert_eq(nv.seq, 4);
}

/* A message whose stable checkpoint is at or past a seq says nothing about that seq; and a
 * checkpoint f+1 hold with 2f+1 at or below it is the start, covering what lies below. */
Test(pbft_decide, messages_past_a_seq_do_not_decide_it)
{
	reset();
	prepared(0, 1, 1, 6);   /* a liar: only it vouches */
	vouch(0, 1, 1, 6);
	stable(3, 4, 0x44);     /* alone at 4: the start stays 0 */
	/* At seq 1 only 1 and 2 say they prepared nothing: not 2f+1. */
	cr_assert_not(pbft_decide_new_view(vcs, 0xf, &params, &nv));
	stable(3, 0, 0);
	cr_assert(pbft_decide_new_view(vcs, 0xf, &params, &nv));
	cr_assert_eq(nv.cert_count, 1);
	expect_choice(0, 0);
	/* f+1 at 4 and 2f+1 at or below it: the new view starts there, seq 1 is behind it. */
	stable(2, 4, 0x44);
	stable(3, 4, 0x44);
	cr_assert(pbft_decide_new_view(vcs, 0xe, &params, &nv));
	cr_assert_eq(nv.seq, 4);
	cr_assert_eq(nv.cert_count, 0);
}

Test(pbft_decide, the_drops_prepared_bug_ignores_certificates)
{
	struct pbft_decide_params bug = params;

	one_liar_with_a_later_certificate();
	bug.drop_prepared = true;
	cr_assert(pbft_decide_new_view(vcs, 0xf, &bug, &nv));
	cr_assert_eq(nv.cert_count, 0);
}

Test(pbft_decide, malformed_view_changes_are_refused)
{
	one_liar_with_a_later_certificate();
	vcs[1].certs[0].view = params.view;             /* not before the new view */
	cr_assert_not(pbft_view_change_valid(&vcs[1], L));
	one_liar_with_a_later_certificate();
	vcs[1].certs[0].digest[0] ^= 1;                 /* not its batch's digest */
	cr_assert_not(pbft_view_change_valid(&vcs[1], L));
	one_liar_with_a_later_certificate();
	prepared(1, 1, 0, 6);                           /* two certificates for seq 1 */
	cr_assert_not(pbft_view_change_valid(&vcs[1], L));
	one_liar_with_a_later_certificate();
	claim(1, L + 1, 0x11);                          /* past h + L */
	cr_assert_not(pbft_view_change_valid(&vcs[1], L));
	one_liar_with_a_later_certificate();
	vouch(1, 1, params.view, 5);                    /* vouches for the new view itself */
	cr_assert_not(pbft_view_change_valid(&vcs[1], L));
	one_liar_with_a_later_certificate();
	stable(1, 4, 0x44);                             /* its certificate is now below h */
	cr_assert_not(pbft_view_change_valid(&vcs[1], L));
}

Test(pbft_decide, a_view_change_round_trips_on_the_wire)
{
	ssize_t n;

	one_liar_with_a_later_certificate();
	claim(1, 4, 0x44);
	vouch(1, 2, 1, 6);
	n = pbft_encode(&vcs[1], buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(pbft_decode(buf, (size_t)n, N + PBFT_CLIENTS_MAX, &back, NULL), 0);
	cr_assert_eq(back.cert_count, 1);
	cr_assert_eq(back.claim_count, 1);
	cr_assert_eq(back.claims[0].seq, 4);
	cr_assert_eq(back.vouch_count, 2);
	cr_assert_eq(back.vouches[1].seq, 2);
	cr_assert_eq(back.vouches[1].view, 1);
	cr_assert_eq(memcmp(back.vouches[1].digest, vcs[1].vouches[1].digest,
			    PBFT_DIGEST_BYTES), 0);
	for (ssize_t k = 0; k < n; k++)
		cr_assert_eq(pbft_decode(buf, (size_t)k, N + PBFT_CLIENTS_MAX, &back, NULL),
			     -EBADMSG, "prefix of %zd bytes", k);
}
