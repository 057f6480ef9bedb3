/* SPDX-License-Identifier: MIT */
/* test_state.c - state transfer and view catch-up: a replica restarted empty while the
 * others moved on by more than three windows and a view fetches a certified checkpoint's
 * state, joins the view and executes on in agreement; wrong or uncertified STATE messages
 * are refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "pbft_sim.h"

TestSuite(pbft_state);

enum { WINDOW = 16, INTERVAL = 4 };

static uint32_t violations(const struct sim_report *rep)
{
	return rep->agreement + rep->order + rep->checkpoint + rep->integrity;
}

/* View 0 proposes nothing above seq 24: the backups time out and view 1 takes over. */
static bool stall_view_0(uint32_t from, uint32_t to, const struct pbft_msg *m)
{
	(void)from;
	(void)to;
	return m->type == PBFT_MSG_PRE_PREPARE && m->view == 0 && m->seq > 24;
}

static void status(struct sim *s, uint32_t i, struct pbft_status *st)
{
	pbft_replica_status(sim_replica(s, i), st);
}

/* Run in steps of 10 ticks until @done_fn holds or @ticks pass. */
static bool run_until(struct sim *s, uint32_t ticks, bool (*done_fn)(struct sim *s))
{
	for (uint32_t t = 0; t < ticks; t += 10) {
		(void)sim_run(s, 10);
		if (done_fn(s))
			return true;
	}
	return false;
}

static bool far_ahead(struct sim *s)
{
	struct pbft_status st;

	status(s, 0, &st);
	return st.view >= 1 && !st.view_changing && st.stable_seq > 3 * WINDOW;
}

static bool transferred(struct sim *s)
{
	struct pbft_status st;

	status(s, 3, &st);
	return st.state_transfer_count > 0;
}

static bool caught_up(struct sim *s)
{
	struct pbft_status a, b;

	status(s, 0, &a);
	status(s, 3, &b);
	return sim_run(s, 0) && b.executed_seq == a.executed_seq && b.view == a.view;
}

static void restarted_empty_catches_up(uint32_t f, uint64_t seed)
{
	struct sim_opts o;
	struct sim *s;
	struct pbft_status st0, st3;
	const struct sim_report *rep;
	uint64_t at, transfers;

	sim_defaults(&o, f, seed);
	o.clients = 4;
	o.requests = 150;
	o.window = WINDOW;
	o.checkpoint_interval = INTERVAL;
	o.filter = stall_view_0;
	o.run_all_ticks = true;     /* run_until() decides when to stop */
	s = sim_new(&o);
	(void)sim_run(s, 20);
	sim_set_down(s, 3, true);
	cr_assert(run_until(s, 20000, far_ahead), "seed %llu: the others did not move on",
		  (unsigned long long)seed);
	sim_replace(s, 3);
	cr_assert(run_until(s, 2000, transferred), "seed %llu: no state transfer",
		  (unsigned long long)seed);
	status(s, 3, &st3);
	at = st3.stable_seq;
	cr_assert_gt(at, 3 * WINDOW);
	cr_assert(run_until(s, 30000, caught_up), "seed %llu: replica 3 did not catch up",
		  (unsigned long long)seed);
	/* Caught up: now it takes part in the normal case, executing and checkpointing itself. */
	status(s, 3, &st3);
	at = st3.executed_seq;
	transfers = st3.state_transfer_count;
	sim_more_requests(s, 40);
	cr_assert(run_until(s, 30000, caught_up), "seed %llu: the last requests did not finish",
		  (unsigned long long)seed);
	status(s, 0, &st0);
	status(s, 3, &st3);
	rep = sim_report(s);
	cr_assert_eq(violations(rep), 0, "seed %llu: %s", (unsigned long long)seed, rep->first);
	cr_assert_gt(rep->state_transfers, 0);
	cr_assert_eq(st3.state_transfer_count, transfers, "caught up, it needs no more");
	cr_assert_gt(st3.executed_seq, at + 2 * INTERVAL, "too few seqs after catching up");
	cr_assert_gt(st3.stable_seq, at, "no checkpoint of its own became stable");
	cr_assert_eq(st3.executed_seq, st0.executed_seq);
	cr_assert_eq(st3.bad_state_count, 0);
	cr_assert_eq(st3.forged_count + st3.malformed_count, 0);
	sim_free(s);
}

Test(pbft_state, a_replica_restarted_empty_catches_up_across_a_view_change)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		restarted_empty_catches_up(1, seed);
}

Test(pbft_state, a_replica_restarted_empty_catches_up_with_seven)
{
	restarted_empty_catches_up(2, 4);
}

/* --- a STATE is installed only for a certified checkpoint and with its digest --- */

static struct pbft_msg m;
static uint8_t buf[PBFT_SEALED_BYTES_MAX];

static void inject(struct sim *s, uint32_t from, uint32_t to)
{
	ssize_t n = sim_seal(s, from, to, &m, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	sim_inject(s, to, buf, (size_t)n);
}

static void claim(struct sim *s, uint32_t from, uint64_t seq, const uint8_t *digest)
{
	memset(&m, 0, sizeof(m));
	m.type = PBFT_MSG_CHECKPOINT;
	m.sender = from;
	m.seq = seq;
	memcpy(m.digest, digest, PBFT_DIGEST_BYTES);
	inject(s, from, 3);
}

static void state(struct sim *s, uint32_t from, uint64_t seq, const uint8_t *digest,
		  const struct pbft_snapshot *snap)
{
	memset(&m, 0, sizeof(m));
	m.type = PBFT_MSG_STATE;
	m.sender = from;
	m.seq = seq;
	memcpy(m.digest, digest, PBFT_DIGEST_BYTES);
	m.snapshot = *snap;
	inject(s, from, 3);
}

Test(pbft_state, a_wrong_or_uncertified_state_is_refused)
{
	struct sim_opts o;
	struct sim *s;
	struct pbft_status st;
	struct pbft_snapshot good = { 0 }, bad;
	uint8_t d_good[PBFT_DIGEST_BYTES], d_bad[PBFT_DIGEST_BYTES], now[PBFT_DIGEST_BYTES];

	sim_defaults(&o, 1, 1);
	o.clients = 0;
	s = sim_new(&o);
	good.values[2] = (struct pbft_value){ .present = true, .v = 7 };
	good.clients[1] = (struct pbft_snapshot_client){ .last_timestamp = 3, .ok = true,
							 .value = good.values[2] };
	bad = good;
	bad.values[2].v = 8;
	pbft_snapshot_digest(&good, d_good);
	pbft_snapshot_digest(&bad, d_bad);

	claim(s, 0, 8, d_good);
	state(s, 0, 8, d_good, &good);          /* one claim (f) certifies nothing */
	status(s, 3, &st);
	cr_assert_eq(st.executed_seq, 0);
	cr_assert_eq(st.refused_count, 1);
	claim(s, 1, 8, d_good);                 /* f+1 */
	state(s, 2, 8, d_good, &bad);           /* the certified digest, another snapshot */
	state(s, 2, 8, d_bad, &bad);            /* its own digest, not the certified one */
	status(s, 3, &st);
	cr_assert_eq(st.bad_state_count, 2);
	cr_assert_eq(st.executed_seq, 0);
	state(s, 2, 12, d_bad, &bad);           /* a seq nobody certified */
	status(s, 3, &st);
	cr_assert_eq(st.refused_count, 2);
	cr_assert_eq(st.executed_seq, 0);
	state(s, 1, 8, d_good, &good);
	status(s, 3, &st);
	cr_assert_eq(st.executed_seq, 8);
	cr_assert_eq(st.stable_seq, 8);
	cr_assert_eq(st.state_transfer_count, 1);
	pbft_replica_state_digest(sim_replica(s, 3), now);
	cr_assert_eq(memcmp(now, d_good, PBFT_DIGEST_BYTES), 0);
	state(s, 0, 8, d_good, &good);          /* again: already there */
	status(s, 3, &st);
	cr_assert_eq(st.state_transfer_count, 1);
	cr_assert_eq(st.refused_count, 3);
	sim_free(s);
}

/* One sealed FETCH-STATE from replica 3 stepped into replica 0. Return: the STATEs sent. */
static uint32_t fetch_from_3(struct sim *s, uint64_t seq)
{
	static uint8_t sealed[PBFT_SEALED_BYTES_MAX];
	static struct pbft_outputs out;
	struct pbft_msg fetch = { .type = PBFT_MSG_FETCH_STATE, .sender = 3, .seq = seq };
	ssize_t n = sim_seal(s, 3, 0, &fetch, sealed, sizeof(sealed));
	struct pbft_input in = { .type = PBFT_IN_MESSAGE, .bytes = sealed };
	uint32_t states = 0;

	cr_assert_gt(n, 0);
	in.size = (size_t)n;
	(void)pbft_step(sim_replica(s, 0), &in, &out);
	for (uint32_t k = 0; k < out.send_count; k++) {
		const struct pbft_send *d = &out.sends[k];

		states += d->target_kind == PBFT_TO_REPLICA && d->target == 3 &&
			  out.bytes[d->offset] == PBFT_MSG_STATE;
	}
	return states;
}

/* A STATE is large and a FETCH-STATE small: a replica asking over and over (Byzantine)
 * gets one STATE per half retransmit period, a correct one (asking once a period) all. */
Test(pbft_state, fetch_state_floods_get_one_state_per_half_period)
{
	struct sim_opts o;
	struct sim *s;
	struct pbft_status st;
	static struct pbft_outputs out;
	const struct pbft_input tick = { .type = PBFT_IN_TICK };

	sim_defaults(&o, 1, 8);
	s = sim_new(&o);
	cr_assert(sim_run(s, 20000));
	status(s, 0, &st);
	cr_assert_gt(st.stable_seq, 0);
	cr_assert_eq(fetch_from_3(s, st.stable_seq), 1, "the first fetch is answered");
	for (int i = 0; i < 20; i++)
		cr_assert_eq(fetch_from_3(s, st.stable_seq), 0, "fetch %d answered too", i);
	for (uint32_t t = 0; t < o.retransmit_ticks / 2; t++)
		(void)pbft_step(sim_replica(s, 0), &tick, &out);
	cr_assert_eq(fetch_from_3(s, st.stable_seq), 1, "half a period later it is again");
	cr_assert_eq(fetch_from_3(s, st.stable_seq), 0);
	sim_free(s);
}
