/* SPDX-License-Identifier: MIT */
/* test_pbft_check.c - the PBFT evidence checker: valid runs pass, each rule can fail. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_dir.h"
#include "checker.h"
#include "errbuf.h"
#include "hist_build.h"
#include "pbft_check.h"

static char dir[64];
static struct hist_build b;
static struct check_result r;
static struct errbuf eb;
static struct pbft_figures fig;

/* The client history the evidence below executes: write 5, cas 5 -> 6, read 6, on k1.
 * Op i's request is ts i + 1: ts 1 (client 0), ts 3 (client 1), ts 5 (client 0). */
static void history_build(void)
{
	hb_key(&b, "k1");
	hb_op(&b, 0, "write", NULL, HB_INT(5), OP_OK, HB_INT(5), false);
	hb_op(&b, 1, "cas", NULL, HB_SET(5, 6), OP_OK, HB_SET(5, 6), false);
	hb_op(&b, 0, "read", NULL, HB_NULL, OP_OK, HB_INT(6), false);
}

static void setup(void)
{
	char nodes[96];

	snprintf(dir, sizeof(dir), "/tmp/fl-pbft-test-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp");
	snprintf(nodes, sizeof(nodes), "%s/nodes", dir);
	cr_assert_eq(mkdir(nodes, 0755), 0);
	hb_init(&b);
	history_build();
	check_result_init(&r);
	memset(&eb, 0, sizeof(eb));
}

static void teardown(void)
{
	char cmd[128];

	check_result_fini(&r);
	hb_fini(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(pbft_check, .init = setup, .fini = teardown);

/* ---- Writing evidence ------------------------------------------------------------------ */

/* 64 hex digits of @c: a digest that is easy to tell apart. */
static const char *dg(char c)
{
	static char bufs[8][65];
	static int next;
	char *buf = bufs[next++ % 8];

	memset(buf, c, 64);
	buf[64] = '\0';
	return buf;
}

static void append_raw(uint32_t replica, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/nodes/n%" PRIu32 ".data", dir, replica);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/nodes/n%" PRIu32 ".data/evidence.jsonl", dir, replica);
	f = fopen(path, "a");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void line(uint32_t replica, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(uint32_t replica, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof(text) - 1);
	text[n] = '\n';
	text[n + 1] = '\0';
	append_raw(replica, text);
}

static void start(uint32_t replica, uint32_t incarnation, const char *byzantine)
{
	line(replica, "{\"ev\":\"start\",\"replica\":%" PRIu32 ",\"replicas\":4,\"f\":1,"
	     "\"incarnation\":%" PRIu32 ",\"byzantine\":[%s],\"bugs\":[],\"time_ns\":%" PRIu32
	     "000}", replica, incarnation, byzantine, 17 + incarnation);
}

static void commit(uint32_t replica, uint64_t view, uint64_t seq, char digest, int client,
		   uint64_t ts)
{
	char c[16];

	snprintf(c, sizeof(c), client < 0 ? "null" : "%d", client);
	line(replica, "{\"ev\":\"commit\",\"replica\":%" PRIu32 ",\"view\":%" PRIu64 ",\"seq\":%"
	     PRIu64 ",\"digest\":\"%s\",\"index\":0,\"client\":%s,\"ts\":%" PRIu64 "}", replica,
	     view, seq, dg(digest), c, client < 0 ? 0 : ts);
}

/* @op: "\"f\":\"write\",\"key\":1,\"a\":5,\"b\":null" and so on; NULL for the null batch. */
static void execute(uint32_t replica, uint64_t view, uint64_t seq, char digest, int client,
		    uint64_t ts, const char *op)
{
	char c[16];

	snprintf(c, sizeof(c), client < 0 ? "null" : "%d", client);
	line(replica, "{\"ev\":\"execute\",\"replica\":%" PRIu32 ",\"view\":%" PRIu64 ",\"seq\":%"
	     PRIu64 ",\"digest\":\"%s\",\"index\":0,\"client\":%s,\"ts\":%" PRIu64 ",%s}",
	     replica, view, seq, dg(digest), c, client < 0 ? 0 : ts,
	     op ? op : "\"f\":null,\"key\":null,\"a\":null,\"b\":null");
}

static void checkpoint(uint32_t replica, const char *ev, uint64_t seq, char digest)
{
	line(replica, "{\"ev\":\"%s\",\"replica\":%" PRIu32 ",\"seq\":%" PRIu64
	     ",\"digest\":\"%s\"}", ev, replica, seq, dg(digest));
}

#define OP_WRITE5 "\"f\":\"write\",\"key\":1,\"a\":5,\"b\":null"
#define OP_CAS56 "\"f\":\"cas\",\"key\":1,\"a\":5,\"b\":6"
#define OP_READ "\"f\":\"read\",\"key\":1,\"a\":null,\"b\":null"

/* Seqs 1..3 of the history's requests, then a null batch at 4 and a checkpoint there. */
static void replica_run(uint32_t replica)
{
	commit(replica, 0, 1, '1', 0, 1);
	execute(replica, 0, 1, '1', 0, 1, OP_WRITE5);
	commit(replica, 0, 2, '2', 1, 3);
	execute(replica, 0, 2, '2', 1, 3, OP_CAS56);
	commit(replica, 0, 3, '3', 0, 5);
	execute(replica, 0, 3, '3', 0, 5, OP_READ);
	commit(replica, 0, 4, '4', -1, 0);
	execute(replica, 0, 4, '4', -1, 0, NULL);
	checkpoint(replica, "checkpoint", 4, 'c');
}

/* Replicas @first .. 3 start correct and run the same log. */
static void valid_from(uint32_t first)
{
	for (uint32_t k = first; k < 4; k++) {
		start(k, 1, "");
		replica_run(k);
	}
}

static enum verdict check(void)
{
	check_result_fini(&r);
	check_result_init(&r);
	cr_assert_eq(pbft_check_evidence_figures(dir, &b.h, &r, &fig, &eb), 0, "%s", eb.msg);
	return r.verdict;
}

static const struct anomaly *find(const char *kind)
{
	for (uint32_t k = 0; k < r.anomaly_count; k++)
		if (strcmp(r.anomalies[k].kind, kind) == 0)
			return &r.anomalies[k];
	return NULL;
}

static bool cites(const struct anomaly *a, uint64_t op)
{
	for (uint32_t k = 0; k < a->op_count; k++)
		if (a->ops[k] == op)
			return true;
	return false;
}

/* Exactly the anomalies of @kind: the check must not blame another rule. */
static const struct anomaly *only(const char *kind)
{
	const struct anomaly *a = find(kind);

	cr_assert(a, "no %s anomaly (%" PRIu32 " others)", kind, r.anomaly_count);
	for (uint32_t k = 0; k < r.anomaly_count; k++)
		cr_expect_str_eq(r.anomalies[k].kind, kind, "%s", r.anomalies[k].message);
	return a;
}

/* ---- Valid runs ------------------------------------------------------------------------ */

Test(pbft_check, consistent_four_replicas_are_valid_with_figures)
{
	valid_from(0);
	cr_expect_eq(check(), VERDICT_VALID, "%s / %s", r.unknown_reason,
		     r.anomaly_count ? r.anomalies[0].message : "");
	cr_expect_str_empty(eb.msg);
	cr_expect(fig.loaded);
	cr_expect_eq(fig.replica_count, 4);
	cr_expect_eq(fig.replicas_declared, 4);
	cr_expect_eq(fig.f, 1);
	cr_expect_eq(fig.byzantine_count, 0);
	cr_expect_eq(fig.replicas[2].events[PBFT_EV_COMMIT], 4);
	cr_expect_eq(fig.replicas[2].events[PBFT_EV_EXECUTE], 4);
	cr_expect_eq(fig.replicas[2].events[PBFT_EV_CHECKPOINT], 1);
	cr_expect_eq(fig.replicas[3].executed_max, 4);
}

Test(pbft_check, restart_and_state_transfer_may_move_execution)
{
	valid_from(1);
	start(0, 1, "");
	commit(0, 0, 1, '1', 0, 1);
	execute(0, 0, 1, '1', 0, 1, OP_WRITE5);
	checkpoint(0, "state-transfer", 4, 'c');        /* jumps from 1 to 4 */
	start(0, 2, "");                                /* a restart starts over */
	replica_run(0);
	cr_expect_eq(check(), VERDICT_VALID, "%s", r.anomaly_count ? r.anomalies[0].message : "");
	cr_expect_eq(fig.replicas[0].incarnations, 2);
	cr_expect_eq(fig.replicas[0].events[PBFT_EV_STATE_TRANSFER], 1);
}

Test(pbft_check, byzantine_replicas_divergent_evidence_is_ignored)
{
	valid_from(2);
	start(0, 1, "\"equivocate\"");
	commit(0, 0, 2, '9', 1, 3);
	execute(0, 0, 2, '9', 0, 40, OP_WRITE5);
	checkpoint(0, "checkpoint", 4, 'f');
	/* Correct at first, Byzantine later: not a correct replica either. */
	start(1, 1, "");
	replica_run(1);
	line(1, "{\"ev\":\"byzantine\",\"replica\":1,\"byzantine\":[\"silent\",\"corrupt-digest\"],"
		"\"time_ns\":99}");
	execute(1, 0, 2, '8', 1, 3, OP_CAS56);
	line(1, "{\"ev\":\"byzantine\",\"replica\":1,\"byzantine\":[],\"time_ns\":120}");
	cr_expect_eq(check(), VERDICT_VALID, "%s", r.anomaly_count ? r.anomalies[0].message : "");
	cr_expect_eq(fig.byzantine_count, 2);
	cr_expect(fig.replicas[0].byzantine);
	cr_expect_eq(fig.replicas[1].switch_count, 2);
	cr_expect_str_eq(fig.replicas[1].switches[0].modes, "silent,corrupt-digest");
	cr_expect_eq(fig.replicas[1].switches[0].time_ns, 99);
	cr_expect_str_empty(fig.replicas[1].switches[1].modes);
}

Test(pbft_check, torn_last_line_is_a_warning)
{
	valid_from(0);
	append_raw(2, "{\"ev\":\"execute\",\"replica\":2,\"view\":0,\"se");
	cr_expect_eq(check(), VERDICT_VALID);
	cr_expect(strstr(eb.msg, "n2.data/evidence.jsonl:11: torn last line ignored"), "%s",
		  eb.msg);
}

Test(pbft_check, figures_print_replicas_and_byzantine_switches)
{
	char text[2048] = "";
	FILE *out = fmemopen(text, sizeof(text) - 1, "w");

	valid_from(1);
	start(0, 1, "\"equivocate\"");
	check();
	cr_assert(out);
	pbft_figures_fprint(out, &fig);
	fclose(out);
	cr_expect(strstr(text, "pbft evidence: 4 replica logs (replicas 4, f 1), 1 byzantine\n"),
		  "%s", text);
	cr_expect(strstr(text, "  replica 0 (byzantine): 1 incarnation, 0 commit"), "%s", text);
	cr_expect(strstr(text, "modes: equivocate at time_ns 18000 (incarnation 1)"), "%s", text);
	cr_expect(strstr(text, "  replica 3: 1 incarnation, 4 commit, 4 execute, 1 checkpoint, "
			 "0 state-transfer; executed up to seq 4\n"), "%s", text);
}

/* ---- Each rule can fail ---------------------------------------------------------------- */

Test(pbft_check, agreement_two_replicas_commit_different_batches)
{
	valid_from(0);
	commit(2, 1, 2, '9', 1, 30);    /* the digest of another batch at seq 2, view 1 */
	cr_expect_eq(check(), VERDICT_INVALID);
	const struct anomaly *a = only("agreement");

	cr_expect(strstr(a->message, "seq 2: replica 0 commit 22222222 (view 0, line 4) vs "
			 "replica 2 commit 99999999 (view 1, line 11)"), "%s", a->message);
	cr_expect(cites(a, 2), "the cas op");
	cr_expect_eq(r.anomalies_total, 1);
}

/* Commit lines may name their certificate: 2f+1 = 3 distinct replicas, or it is too weak. */
static void commit_voters(uint32_t replica, uint64_t seq, char digest, int client,
			  uint64_t ts, const char *voters)
{
	line(replica, "{\"ev\":\"commit\",\"replica\":%" PRIu32 ",\"view\":0,\"seq\":%" PRIu64
	     ",\"digest\":\"%s\",\"index\":0,\"client\":%d,\"ts\":%" PRIu64
	     ",\"voters\":[%s]}", replica, seq, dg(digest), client, ts, voters);
}

Test(pbft_check, commit_quorum_full_certificates_are_valid)
{
	valid_from(0);
	commit_voters(1, 5, '5', 0, 1, "0,1,2");
	commit_voters(2, 5, '5', 0, 1, "0,1,2,3");
	cr_expect_eq(check(), VERDICT_VALID, "%s",
		     r.anomaly_count ? r.anomalies[0].message : "");
}

Test(pbft_check, commit_quorum_certificate_of_2f_is_flagged)
{
	const struct anomaly *a;

	valid_from(0);
	commit_voters(1, 5, '5', 0, 1, "1,3");
	cr_expect_eq(check(), VERDICT_INVALID);
	a = only("commit-quorum");
	cr_expect(strstr(a->message, "replica 1 committed seq 5 in view 0 on commits from 2 "
			 "replicas"), "%s", a->message);
	cr_expect(cites(a, 0), "the request's op");
	cr_expect_eq(r.anomalies_total, 1);
}

Test(pbft_check, commit_quorum_of_a_byzantine_replica_is_ignored_and_voters_are_checked)
{
	valid_from(1);
	start(0, 1, "\"silent\"");
	replica_run(0);
	commit_voters(0, 5, '5', 0, 1, "0");
	cr_expect_eq(check(), VERDICT_VALID, "Byzantine evidence does not count");
	commit_voters(2, 6, '6', 0, 1, "1,1,2");
	cr_expect_eq(pbft_check_evidence_figures(dir, &b.h, &r, &fig, &eb), -EBADMSG);
	cr_expect(strstr(eb.msg, "voters"), "%s", eb.msg);
}

Test(pbft_check, agreement_one_replica_against_itself_across_views)
{
	valid_from(1);
	start(0, 1, "");
	commit(0, 0, 1, '1', 0, 1);
	commit(0, 3, 1, '7', 0, 5);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(strstr(only("agreement")->message, "replica 0 commit 77777777 (view 3"), "%s",
		  find("agreement")->message);
}

Test(pbft_check, duplicate_execution_in_one_incarnation)
{
	valid_from(0);
	commit(3, 0, 5, '5', 0, 1);
	execute(3, 0, 5, '5', 0, 1, OP_WRITE5);
	cr_expect_eq(check(), VERDICT_INVALID);
	const struct anomaly *a = only("duplicate-execution");

	cr_expect(strstr(a->message, "replica 3 (incarnation 1) executed request client 0 ts 1 "
			 "2 times: seq 1 view 0 (line 3), seq 5 view 0 (line 12)"), "%s",
		  a->message);
	cr_expect(cites(a, 0));
}

Test(pbft_check, phantom_request_with_another_value_or_no_op)
{
	for (uint32_t k = 0; k < 4; k++) {
		start(k, 1, "");
		commit(k, 0, 1, '1', 0, 1);
		execute(k, 0, 1, '1', 0, 1, "\"f\":\"write\",\"key\":1,\"a\":7,\"b\":null");
		commit(k, 0, 2, '2', 1, 99);
		execute(k, 0, 2, '2', 1, 99, OP_CAS56);
	}
	cr_expect_eq(check(), VERDICT_INVALID);
	only("phantom-request");
	cr_expect_eq(r.anomalies_total, 2, "one per request, not per replica");
	cr_expect(strstr(r.anomalies[0].message, "request client 0 ts 1 executed by replica "
			 "0,1,2,3 (seq 1): op 0 is write k1 5, executed write k1 7"), "%s",
		  r.anomalies[0].message);
	cr_expect(cites(&r.anomalies[0], 0));
	cr_expect(strstr(r.anomalies[1].message, "no history op 98 (the history has 6 ops)"),
		  "%s", r.anomalies[1].message);
	cr_expect_eq(r.anomalies[1].op_count, 0);
}

Test(pbft_check, phantom_request_naming_a_completion)
{
	valid_from(1);
	start(0, 1, "");
	execute(0, 0, 1, '1', 0, 2, OP_WRITE5);         /* op 1 is the write's ok */
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(strstr(only("phantom-request")->message, "op 1 is an ok, not a client invoke"),
		  "%s", find("phantom-request")->message);
}

Test(pbft_check, total_order_different_batches_executed_at_one_seq)
{
	valid_from(0);
	execute(1, 0, 3, 'e', -1, 0, NULL);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(strstr(only("total-order")->message, "seq 3: replica 0 execute 33333333"),
		  "%s", find("total-order")->message);
}

Test(pbft_check, total_order_one_incarnation_executes_backwards)
{
	valid_from(1);
	start(0, 1, "");
	execute(0, 0, 1, '1', 0, 1, OP_WRITE5);
	execute(0, 0, 3, '3', 0, 5, OP_READ);
	execute(0, 0, 2, '2', 1, 3, OP_CAS56);
	cr_expect_eq(check(), VERDICT_INVALID);
	const struct anomaly *a = only("total-order");

	cr_expect(strstr(a->message, "replica 0 (incarnation 1) executed seq 2 (line 4) after "
			 "executing seq 3 (line 3)"), "%s", a->message);
	cr_expect(cites(a, 2) && cites(a, 4));
	cr_expect_eq(r.anomalies_total, 1);
}

Test(pbft_check, total_order_execute_below_a_state_transfer)
{
	valid_from(1);
	start(0, 1, "");
	checkpoint(0, "state-transfer", 4, 'c');
	execute(0, 0, 3, '3', 0, 5, OP_READ);
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(strstr(only("total-order")->message, "after a state transfer to seq 4"), "%s",
		  find("total-order")->message);
}

Test(pbft_check, checkpoint_divergence_between_correct_replicas)
{
	valid_from(0);
	checkpoint(1, "state-transfer", 4, 'd');
	cr_expect_eq(check(), VERDICT_INVALID);
	cr_expect(strstr(only("checkpoint-divergence")->message,
			 "seq 4: replica 0 checkpoint cccccccc (line 10) vs replica 1 "
			 "state-transfer dddddddd (line 11)"), "%s",
		  find("checkpoint-divergence")->message);
}

/* ---- Unknown and errors ---------------------------------------------------------------- */

Test(pbft_check, no_evidence_is_unknown)
{
	cr_expect_eq(check(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "no PBFT evidence"), "%s", r.unknown_reason);
	cr_expect_eq(fig.replica_count, 0);
}

Test(pbft_check, only_byzantine_evidence_is_unknown)
{
	start(0, 1, "\"silent\"");
	replica_run(0);
	cr_expect_eq(check(), VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "no PBFT evidence from a correct replica"), "%s",
		  r.unknown_reason);
}

Test(pbft_check, malformed_middle_line_is_an_error_naming_file_and_line)
{
	char expect[256];

	valid_from(0);
	check();
	start(1, 2, "");
	line(1, "{\"ev\":\"commit\",\"replica\":1,\"view\":0,\"seq\":-3}");
	replica_run(1);
	check_result_fini(&r);
	check_result_init(&r);
	cr_expect_eq(pbft_check_evidence(dir, &b.h, &r, &eb), -EBADMSG);
	snprintf(expect, sizeof(expect), "%s/nodes/n1.data/evidence.jsonl:12: expected \"seq\": "
		 "an integer >= 0", dir);
	cr_expect(strstr(eb.msg, expect), "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "PBFT evidence not checked"), "%s", r.unknown_reason);
}

Test(pbft_check, bad_lines_and_bounds_are_refused)
{
	static const char *const bad[] = {
		"{\"ev\":\"commit\",\"replica\":0,\"view\":0,\"seq\":1,\"digest\":\"AB\","
		"\"index\":0,\"client\":0,\"ts\":1}\n",
		"{\"ev\":\"start\",\"replica\":12,\"replicas\":13,\"f\":4,\"incarnation\":1,"
		"\"byzantine\":[],\"time_ns\":1}\n",
		"{\"ev\":\"prepare\",\"replica\":0}\n",
		"[1, 2]\n",
	};
	static const char *const why[] = { "\"digest\": 64 lowercase hex digits",
					   "beyond the 10 replicas checked",
					   "expected \"ev\": start, byzantine", "not an object" };

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s/nodes/n0.data'", dir);
		cr_assert_eq(system(cmd), 0);
		start(0, 1, "");
		append_raw(0, bad[k]);
		check_result_fini(&r);
		check_result_init(&r);
		cr_expect_lt(pbft_check_evidence(dir, &b.h, &r, &eb), 0, "%zu", k);
		cr_expect(strstr(eb.msg, why[k]), "%zu: %s", k, eb.msg);
		cr_expect_neq(r.verdict, VERDICT_VALID);
	}
}

/* ---- Through `faultline check` --------------------------------------------------------- */

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* The history above as JSONL; @read: the value the final read returned. */
static void history_write(int read)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"write\","
		 "\"value\":5,\"key\":\"k1\"}\n"
		 "{\"index\":1,\"time\":2000,\"process\":0,\"type\":\"ok\",\"f\":\"write\","
		 "\"value\":5,\"key\":\"k1\"}\n"
		 "{\"index\":2,\"time\":3000,\"process\":1,\"type\":\"invoke\",\"f\":\"cas\","
		 "\"value\":[5,6],\"key\":\"k1\"}\n"
		 "{\"index\":3,\"time\":4000,\"process\":1,\"type\":\"ok\",\"f\":\"cas\","
		 "\"value\":[5,6],\"key\":\"k1\"}\n"
		 "{\"index\":4,\"time\":5000,\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
		 "\"value\":null,\"key\":\"k1\"}\n"
		 "{\"index\":5,\"time\":6000,\"process\":0,\"type\":\"ok\",\"f\":\"read\","
		 "\"value\":%d,\"key\":\"k1\"}\n", read);
	write_file("history.jsonl", text);
}

Test(pbft_check, run_dir_pbft_model_valid_then_not_linearizable)
{
	valid_from(0);
	history_write(6);
	check_result_fini(&r);
	cr_expect_eq(check_run_dir_model(dir, "pbft", false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_VALID, "%s", r.unknown_reason);
	cr_expect_str_eq(r.checker, "pbft");
	cr_expect_str_eq(r.model, "cas-register");
	check_result_fini(&r);
	history_write(7);
	cr_expect_eq(check_run_dir_model(dir, "pbft", false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_str_eq(r.checker, "pbft");
	cr_expect(r.anomaly_count > 0 && strcmp(r.anomalies[0].kind, "not-linearizable") == 0);
}

Test(pbft_check, run_dir_merges_evidence_anomalies_and_errors)
{
	valid_from(0);
	commit(2, 1, 2, '9', 1, 3);
	history_write(6);
	write_file("config.json", "{\"system\": \"pbft\", \"model\": \"cas-register\"}\n");
	check_result_fini(&r);
	cr_expect_eq(check_run_dir_model(dir, NULL, false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_str_eq(r.checker, "pbft", "system pbft picks the pbft model");
	cr_expect_str_eq(r.anomalies[0].kind, "agreement");
	check_result_fini(&r);
	line(3, "{\"ev\":\"checkpoint\",\"replica\":3}");
	replica_run(3);
	cr_expect_eq(check_run_dir_model(dir, "pbft", false, &r, &eb), -EBADMSG);
	cr_expect(strstr(eb.msg, "n3.data/evidence.jsonl:11: expected \"seq\""), "%s", eb.msg);
	cr_expect_neq(r.verdict, VERDICT_VALID);
}

Test(pbft_check, run_dir_without_evidence_is_unknown)
{
	history_write(6);
	check_result_fini(&r);
	cr_expect_eq(check_run_dir_model(dir, "pbft", false, &r, &eb), 0, "%s", eb.msg);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "no PBFT evidence"), "%s", r.unknown_reason);
}
