/* SPDX-License-Identifier: MIT */
/* test_daemon.c - four pbft-node processes on 127.0.0.1 and a UDP client that seals its
 * requests: f+1 matching replies, the status and byzantine lines, the evidence log (commits,
 * executes and checkpoints agree across replicas), forgeries counted, usage errors, and a
 * restart that appends a new incarnation to the same evidence log; and one --unreplicated
 * daemon (replica 0 of 1: each request executed once, at once, a retransmission answered
 * from the reply cache).
 * PBFT_TEST_KEEP_LOGS=1 in the environment keeps the temporary directory for a look. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "monotime.h"
#include "pbft.h"
#include "pbft_promise_file.h"
#include "pbft_bundle.h"

enum {
	PATH_BYTES_MAX = 256,
	N = 4,
	F = 1,
	CLIENT = 3,                     /* the test client's id; principal N + CLIENT */
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
	/*
	 * Ports 7500..7899, used by no other test, in slots of 8 (client and gossip port of
	 * four replicas); below the ephemeral range, as in the lww-node test.
	 */
	PORT_FIRST = 7500,
	PORT_SLOTS = 50,
	PORT_WIDTH = 2 * N,
	REQUEST_WAIT_MS = 10000,
	RESEND_MS = 500,
	EVIDENCE_BYTES_MAX = 1 << 18,
	SEQS_MAX = 64,
};

static const char secret_hex[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct replica {
	pid_t pid;
	int fd;                         /* the TCP status connection, -1 if none */
	char log_path[PATH_BYTES_MAX + 16];
	char out_path[PATH_BYTES_MAX + 16];
	char data_dir[PATH_BYTES_MAX + 16];
	char evidence_path[PATH_BYTES_MAX + 32];
};

static char tmp_dir[PATH_BYTES_MAX];
static struct replica reps[N];
static int port_base;                   /* replica i: TCP port_base + 2i, UDP + 1 */
static uint32_t n_now = N;              /* the client's n: N, or 1 for --unreplicated */
static int udp_fd = -1;                 /* the client's socket */
static uint8_t secret[PBFT_SECRET_BYTES];
static uint64_t next_ts = 1;
static bool fast;               /* reads as READ-ONLY; 2f+1 matching replies */
static struct pbft_msg msg;             /* large: static */
static char evidence[EVIDENCE_BYTES_MAX];

static void setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fl-pbft-daemon-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_dir));
	for (int i = 0; i < N; i++) {
		struct replica *r = &reps[i];

		r->pid = -1;
		r->fd = -1;
		snprintf(r->log_path, sizeof(r->log_path), "%s/r%d.log", tmp_dir, i);
		snprintf(r->out_path, sizeof(r->out_path), "%s/r%d.out", tmp_dir, i);
		snprintf(r->data_dir, sizeof(r->data_dir), "%s/r%d", tmp_dir, i);
		snprintf(r->evidence_path, sizeof(r->evidence_path), "%s/evidence.jsonl",
			 r->data_dir);
	}
	for (int i = 0; i < PBFT_SECRET_BYTES; i++)
		cr_assert_eq(sscanf(secret_hex + 2 * i, "%2hhx", &secret[i]), 1);
	port_base = daemon_ports_pick(PORT_FIRST, PORT_SLOTS, PORT_WIDTH);
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(udp_fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(bind(udp_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	next_ts = 1;
	n_now = N;
}

static void teardown(void)
{
	char path[PATH_BYTES_MAX + 32];

	for (int i = 0; i < N; i++) {
		daemon_stop(&reps[i].pid, &reps[i].fd, SIGKILL);
		if (getenv("PBFT_TEST_KEEP_LOGS"))
			continue;
		unlink(reps[i].evidence_path);
		snprintf(path, sizeof(path), "%s/%s", reps[i].data_dir, PBFT_PROMISE_FILE_NAME);
		unlink(path);
		daemon_data_dir_remove(reps[i].data_dir);
		unlink(reps[i].log_path);
		unlink(reps[i].out_path);
	}
	if (udp_fd >= 0)
		close(udp_fd);
	udp_fd = -1;
	if (!getenv("PBFT_TEST_KEEP_LOGS"))
		rmdir(tmp_dir);
}

TestSuite(pbft_daemon, .init = setup, .fini = teardown, .timeout = 90);

/* spawn() - replica @i of four on loopback with its data dir, and @extra arguments. */
static pid_t spawn(int i, const char *const *extra)
{
	char id[12], listen[32], port[16], peers[N - 1][48];
	const char *argv[40] = { PBFT_NODE_EXE, "--id", id, "--replicas", "4", "--listen",
				 listen, "--client-port", port, "--secret", secret_hex,
				 "--data-dir", reps[i].data_dir, "--seed", "7" };
	int argc = 15, k = 0;

	snprintf(id, sizeof(id), "%d", i);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port_base + 2 * i + 1);
	snprintf(port, sizeof(port), "%d", port_base + 2 * i);
	for (int j = 0; j < N; j++) {
		if (j == i)
			continue;
		snprintf(peers[k], sizeof(peers[k]), "%d=127.0.0.1:%d", j, port_base + 2 * j + 1);
		argv[argc++] = "--peer";
		argv[argc++] = peers[k++];
	}
	for (int e = 0; extra && extra[e]; e++)
		argv[argc++] = extra[e];
	cr_assert_lt(argc, 40);
	return daemon_spawn(argv, reps[i].out_path, reps[i].log_path);
}

static void start(int i, const char *const *extra)
{
	char what[32];

	snprintf(what, sizeof(what), "pbft-node %d", i);
	reps[i].pid = spawn(i, extra);
	reps[i].fd = daemon_connect(reps[i].pid, port_base + 2 * i, what);
}

static void start_all(void)
{
	for (int i = 0; i < N; i++)
		start(i, NULL);
}

static const char *status(int i)
{
	return daemon_request(reps[i].fd, "status\n");
}

static void send_udp(int i, const uint8_t *bytes, size_t size)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)(port_base + 2 * i + 1)) };

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	cr_assert_eq(sendto(udp_fd, bytes, size, 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)size);
}

/* send_request() - @op sealed for each replica, as a PBFT client does. */
static void send_request(uint64_t ts, const struct pbft_op *op)
{
	uint8_t plain[PBFT_MSG_BYTES_MAX], sealed[PBFT_SEALED_BYTES_MAX], key[PBFT_KEY_BYTES];
	ssize_t size;

	memset(&msg, 0, sizeof(msg));
	msg.type = fast && op->verb == PBFT_VERB_READ ? PBFT_MSG_READ_ONLY : PBFT_MSG_REQUEST;
	msg.sender = n_now + CLIENT;
	msg.request = (struct pbft_request){ .client = CLIENT, .timestamp = ts, .op = *op };
	size = pbft_encode(&msg, plain, sizeof(plain));
	cr_assert_gt(size, 0);
	for (int j = 0; j < (int)n_now; j++) {
		ssize_t n;

		pbft_key_derive(secret, n_now + CLIENT, (uint32_t)j, key);
		n = pbft_seal(key, plain, (size_t)size, sealed, sizeof(sealed));
		cr_assert_gt(n, 0);
		send_udp(j, sealed, (size_t)n);
	}
}

/* receive_reply() - one authentic REPLY for @ts from a replica into *@from, *@result. */
static bool receive_reply(uint64_t ts, uint32_t *from, struct pbft_result *result)
{
	uint8_t bytes[PBFT_SEALED_BYTES_MAX], key[PBFT_KEY_BYTES];
	ssize_t n = recv(udp_fd, bytes, sizeof(bytes), MSG_DONTWAIT);
	size_t plain;
	uint32_t sender;

	if (n <= 0 || pbft_sender_peek(bytes, (size_t)n, &sender) < 0 || sender >= n_now)
		return false;
	pbft_key_derive(secret, sender, n_now + CLIENT, key);
	if (pbft_open(key, bytes, (size_t)n, &plain) < 0 ||
	    pbft_decode(bytes, plain, n_now + PBFT_CLIENTS_MAX, &msg, NULL) < 0)
		return false;
	if (msg.type != PBFT_MSG_REPLY || msg.result.client != CLIENT ||
	    msg.result.timestamp != ts)
		return false;
	*from = sender;
	*result = msg.result;
	return true;
}

static bool result_equal(const struct pbft_result *a, const struct pbft_result *b)
{
	return a->ok == b->ok && a->value.present == b->value.present && a->value.v == b->value.v;
}

/* invoke() - @op with the next timestamp until f+1 (fast: 2f+1) replicas give the same
 * result. */
static struct pbft_result invoke(const struct pbft_op *op)
{
	uint64_t ts = next_ts++;
	struct pbft_result results[N];
	uint32_t seen = 0;
	int64_t start = monotime_ns(), sent = 0;

	while (monotime_ns() - start < (int64_t)REQUEST_WAIT_MS * 1000000) {
		struct pollfd p = { .fd = udp_fd, .events = POLLIN };
		struct pbft_result r;
		uint32_t from, match = 0;

		if (sent == 0 || monotime_ns() - sent > (int64_t)RESEND_MS * 1000000) {
			send_request(ts, op);
			sent = monotime_ns();
		}
		poll(&p, 1, 50);
		if (!receive_reply(ts, &from, &r) || (seen & (1u << from)))
			continue;
		seen |= 1u << from;
		results[from] = r;
		for (uint32_t j = 0; j < n_now; j++)
			match += (seen & (1u << j)) && result_equal(&results[j], &r);
		if (match >= (fast ? 2 : 1) * ((n_now - 1) / 3) + 1)
			return r;
	}
	cr_assert_fail("not enough matching replies to ts %" PRIu64, ts);
	return (struct pbft_result){ 0 };
}

static struct pbft_result op_write(uint32_t key, int64_t v)
{
	const struct pbft_op op = { .verb = PBFT_VERB_WRITE, .key = key, .a = { true, v } };

	return invoke(&op);
}

static struct pbft_result op_read(uint32_t key)
{
	const struct pbft_op op = { .verb = PBFT_VERB_READ, .key = key };

	return invoke(&op);
}

static struct pbft_result op_cas(uint32_t key, int64_t old, int64_t new)
{
	const struct pbft_op op = { .verb = PBFT_VERB_CAS, .key = key, .a = { true, old },
				    .b = { true, new } };

	return invoke(&op);
}

/* evidence_text() - replica @i's evidence log, "" if none yet (valid until the next call). */
static const char *evidence_text(int i)
{
	FILE *f = fopen(reps[i].evidence_path, "r");
	size_t n;

	evidence[0] = '\0';
	if (!f)
		return evidence;
	n = fread(evidence, 1, sizeof(evidence) - 1, f);
	fclose(f);
	evidence[n] = '\0';
	return evidence;
}

static int count_of(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* wait_evidence_at() - until replica @i's log mentions @what (or fail after 15 s: under
 * the sanitizers a replica once took over 5 s to log a checkpoint). */
static void wait_evidence_at(int i, const char *what)
{
	for (int ms = 0; !strstr(evidence_text(i), what) && ms < 3 * DAEMON_WAIT_MS_MAX;
	     ms += 20)
		daemon_sleep_ms(20);
	cr_assert(strstr(evidence_text(i), what), "replica %d: no %s", i, what);
}

/* wait_evidence() - until every replica's log mentions @what. */
static void wait_evidence(const char *what)
{
	for (int i = 0; i < N; i++)
		wait_evidence_at(i, what);
}

/* digest_after() - the 64 hex digits after the first "digest":" following @p. */
static void digest_after(const char *p, char digest[2 * PBFT_DIGEST_BYTES + 1])
{
	const char *d = strstr(p, "\"digest\":\"");

	cr_assert_not_null(d);
	memcpy(digest, d + 10, 2 * PBFT_DIGEST_BYTES);
	digest[2 * PBFT_DIGEST_BYTES] = '\0';
	cr_assert_eq(strspn(digest, "0123456789abcdef"), 2 * PBFT_DIGEST_BYTES, "%s", digest);
}

/* commit_digests() - the batch digest of each seq committed in @text, by seq. */
static void commit_digests(const char *text, char digests[SEQS_MAX][2 * PBFT_DIGEST_BYTES + 1])
{
	for (const char *p = strstr(text, "{\"ev\":\"commit\""); p;
	     p = strstr(p + 1, "{\"ev\":\"commit\"")) {
		unsigned long seq = 0;
		const char *s = strstr(p, "\"seq\":");

		cr_assert(s && sscanf(s, "\"seq\":%lu", &seq) == 1);
		cr_assert(seq >= 1 && seq < SEQS_MAX);
		digest_after(s, digests[seq]);
	}
}

Test(pbft_daemon, write_read_cas_status_evidence)
{
	struct pbft_result r;
	static char digests[N][SEQS_MAX][2 * PBFT_DIGEST_BYTES + 1];
	char checkpoints[N][2 * PBFT_DIGEST_BYTES + 1];

	start_all();
	r = op_write(1, 5);
	cr_assert(r.ok);
	r = op_read(1);
	cr_assert(r.ok && r.value.present && r.value.v == 5, "read %d %" PRId64, r.ok, r.value.v);
	r = op_cas(1, 1, 2);
	cr_assert(!r.ok, "cas 1 -> 2 of 5 succeeded");
	r = op_read(1);
	cr_assert(r.value.present && r.value.v == 5);
	for (int k = 0; k < 8; k++)
		cr_assert(op_write(2, 100 + k).ok);
	cr_assert(strstr(status(0), "{\"id\":0,\"view\":0,\"view_changing\":false,"), "%s",
		  status(0));
	cr_assert(strstr(status(0), ",\"forged\":0,\"malformed\":0,"), "%s", status(0));
	cr_assert(strstr(status(0), ",\"bundles\":0,\"bad_bundles\":0,"), "plain path: %s",
		  status(0));
	cr_assert(strstr(status(0), "\"byzantine\":[]}\n"), "%s", status(0));
	wait_evidence("{\"ev\":\"checkpoint\",\"replica\"");
	wait_evidence("\"client\":3,\"ts\":12,\"f\":\"write\",\"key\":2,\"a\":107,\"b\":null}");
	memset(digests, 0, sizeof(digests));
	for (int i = 0; i < N; i++) {
		const char *text = evidence_text(i);
		char line[128];

		snprintf(line, sizeof(line), "{\"ev\":\"start\",\"replica\":%d,\"replicas\":4,"
			 "\"f\":1,\"incarnation\":1,\"byzantine\":[],\"bugs\":[],\"time_ns\":", i);
		cr_assert(strstr(text, line), "replica %d: %.300s", i, text);
		cr_assert(strstr(text, "\"client\":3,\"ts\":1,\"f\":\"write\",\"key\":1,\"a\":5,"
				       "\"b\":null}\n"), "replica %d", i);
		cr_assert(strstr(text, "\"client\":3,\"ts\":2,\"f\":\"read\",\"key\":1,"
				       "\"a\":null,\"b\":null}\n"));
		cr_assert(strstr(text, "\"client\":3,\"ts\":3,\"f\":\"cas\",\"key\":1,\"a\":1,"
				       "\"b\":2}\n"));
		cr_assert_eq(count_of(text, "{\"ev\":\"execute\""), 12, "replica %d", i);
		cr_assert_eq(count_of(text, "{\"ev\":\"commit\""), 12, "replica %d", i);
		snprintf(line, sizeof(line), "{\"ev\":\"checkpoint\",\"replica\":%d,\"seq\":8,", i);
		cr_assert(strstr(text, line), "replica %d", i);
		digest_after(strstr(text, line), checkpoints[i]);
		commit_digests(text, digests[i]);
	}
	for (int i = 1; i < N; i++) {
		cr_assert_str_eq(checkpoints[i], checkpoints[0], "replica %d", i);
		for (int seq = 1; seq <= 12; seq++)
			cr_assert_str_eq(digests[i][seq], digests[0][seq], "seq %d replica %d",
					 seq, i);
	}
}

Test(pbft_daemon, tentative_execution_and_read_only_reads)
{
	static const char *const tentative[] = { "--tentative", NULL };
	struct pbft_result r;

	for (int i = 0; i < N; i++)
		start(i, tentative);
	fast = true;
	cr_assert(op_write(1, 5).ok);
	r = op_read(1);
	cr_assert(r.ok && r.value.present && r.value.v == 5, "read %d %" PRId64, r.ok, r.value.v);
	cr_assert(op_cas(1, 5, 6).ok);
	cr_assert_eq(op_read(1).value.v, 6);
	cr_assert(op_read(4).ok && !op_read(4).value.present);
	wait_evidence("\"client\":3,\"ts\":3,\"f\":\"cas\",\"key\":1,\"a\":5,\"b\":6}");
	for (int i = 0; i < N; i++) {
		const char *text = evidence_text(i);

		/* Reads were answered unordered: only the write and the cas executed. */
		cr_assert_eq(count_of(text, "{\"ev\":\"execute\""), 2, "replica %d: %s", i,
			     text);
		cr_assert_eq(count_of(text, "\"f\":\"read\""), 0, "replica %d", i);
	}
	cr_assert(strstr(status(0), ",\"rollbacks\":0,"), "%s", status(0));
	cr_assert_not(strstr(status(0), ",\"read_only\":0,"), "%s", status(0));
	/* Back-to-back writes: each commit rides on the next write's pre-prepare or prepare. */
	for (int k = 0; k < 4; k++)
		cr_assert(op_write(2 + k, 10 + k).ok);
	for (int i = 0; i < N; i++)
		cr_assert_not(strstr(status(i), ",\"bundles\":0,"), "%s", status(i));
	cr_assert_eq(op_read(5).value.v, 13);
	fast = false;
}

Test(pbft_daemon, byzantine_lines)
{
	start_all();
	cr_assert_str_eq(daemon_request(reps[3].fd, "byzantine silent\n"),
			 "{\"ok\":true,\"byzantine\":[\"silent\"]}\n");
	cr_assert(strstr(status(3), "\"byzantine\":[\"silent\"]}\n"), "%s", status(3));
	cr_assert_str_eq(daemon_request(reps[3].fd, "byzantine bogus\n"),
			 "{\"error\":\"unknown mode 'bogus'\"}\n");
	cr_assert_str_eq(daemon_request(reps[3].fd, "byzantine silent,\"x\n"),
			 "{\"error\":\"unknown mode '?x'\"}\n");
	cr_assert(strstr(daemon_request(reps[3].fd, "hello\n"), "{\"error\":"));
	/* f = 1 silent replica: the others still answer. */
	cr_assert(op_write(4, 9).ok);
	cr_assert(op_read(4).value.v == 9);
	cr_assert_str_eq(daemon_request(reps[3].fd, "byzantine equivocate,corrupt-digest\n"),
			 "{\"ok\":true,\"byzantine\":[\"equivocate\",\"corrupt-digest\"]}\n");
	cr_assert_str_eq(daemon_request(reps[3].fd, "byzantine none\n"),
			 "{\"ok\":true,\"byzantine\":[]}\n");
	cr_assert(strstr(status(3), "\"byzantine\":[]}\n"));
	evidence_text(3);
	cr_assert(strstr(evidence, "{\"ev\":\"byzantine\",\"replica\":3,\"byzantine\":"
			 "[\"silent\"],\"time_ns\":"), "%s", evidence);
	cr_assert(strstr(evidence, "{\"ev\":\"byzantine\",\"replica\":3,\"byzantine\":[],"));
	cr_assert_eq(count_of(evidence, "{\"ev\":\"byzantine\""), 3);
}

Test(pbft_daemon, forged_datagrams_are_counted)
{
	uint8_t plain[PBFT_MSG_BYTES_MAX], sealed[PBFT_SEALED_BYTES_MAX], key[PBFT_KEY_BYTES];
	const struct pbft_op op = { .verb = PBFT_VERB_WRITE, .key = 0, .a = { true, 1 } };
	ssize_t size, n;

	start_all();
	memset(&msg, 0, sizeof(msg));
	msg.type = PBFT_MSG_REQUEST;
	msg.sender = N + CLIENT;
	msg.request = (struct pbft_request){ .client = CLIENT, .timestamp = 99, .op = op };
	size = pbft_encode(&msg, plain, sizeof(plain));
	cr_assert_gt(size, 0);
	/* The key of another pair: the MAC does not verify at replica 0. */
	pbft_key_derive(secret, N + CLIENT, 1, key);
	n = pbft_seal(key, plain, (size_t)size, sealed, sizeof(sealed));
	cr_assert_gt(n, 0);
	send_udp(0, sealed, (size_t)n);
	sealed[n - 1] ^= 1;
	send_udp(1, sealed, (size_t)n);
	send_udp(0, (const uint8_t *)"x", 1);
	send_udp(1, (const uint8_t[]){ PBFT_BUNDLE_MARK, 2, 1, 0, 'x' }, 5);   /* one part */
	daemon_sleep_ms(100);
	cr_assert_eq(kill(reps[0].pid, 0), 0);
	cr_assert_not(strstr(status(0), "\"forged\":0,"), "%s", status(0));
	cr_assert_not(strstr(status(1), "\"forged\":0,"), "%s", status(1));
	cr_assert(strstr(status(1), ",\"bad_bundles\":1,"), "%s", status(1));
	cr_assert(strstr(status(0), "\"executed\":0,"), "%s", status(0));
	/* A real client after the forgeries is served. */
	cr_assert(op_write(0, 3).ok);
}

/*
 * The primary serves one write, then goes silent: the backups time out after 200 ms of
 * ticks, move to view 1 (primary 1) and execute the client's next write there. (The new
 * view re-proposes the first write's certificate; the later request of the same client
 * must stay pending, not be taken for part of that batch.)
 */
Test(pbft_daemon, silent_primary_is_replaced)
{
	const char *const short_timeout[] = { "--view-timeout-ms", "200", NULL };
	const char *view1 = "\"view\":1,\"view_changing\":false,";

	for (int i = 0; i < N; i++)
		start(i, short_timeout);
	cr_assert(op_write(6, 1).ok);
	cr_assert_str_eq(daemon_request(reps[0].fd, "byzantine silent\n"),
			 "{\"ok\":true,\"byzantine\":[\"silent\"]}\n");
	cr_assert(op_write(6, 2).ok);
	for (int i = 1; i < N; i++)
		cr_assert(strstr(status(i), view1), "replica %d: %s", i, status(i));
	wait_evidence_at(1, "{\"ev\":\"execute\",\"replica\":1,\"view\":1,");
	cr_assert(op_read(6).value.v == 2);
}

/* run_usage() - pbft-node with @argv (after the path); its exit status. */
static int run_usage(const char *const *args)
{
	const char *argv[24] = { PBFT_NODE_EXE };
	int status;
	pid_t pid;

	for (int i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	pid = daemon_spawn(argv, NULL, NULL);
	status = daemon_wait_exit(pid);
	cr_assert(WIFEXITED(status), "status %d", status);
	return WEXITSTATUS(status);
}

Test(pbft_daemon, usage_errors_exit_64)
{
	const char *base[] = { "--id", "0", "--replicas", "4", "--listen", "127.0.0.1",
			       "--peer", "1=127.0.0.1", "--peer", "2=127.0.0.1", "--peer",
			       "3=127.0.0.1" };
	const char *args[24];
	const char *cases[][3] = {
		{ "--secret", secret_hex, "--byzantine=bogus" },
		{ "--secret", "abcd", NULL },
		{ "--byzantine", "silent", NULL },             /* no secret */
		{ "--secret", secret_hex, "--batch-max=9" },
		{ "--secret", secret_hex, "--view-timeout-ms=0" },
		{ "--secret", secret_hex, "--bug=nope" },
		{ "--secret", secret_hex, "extra" },
		{ "--secret", secret_hex, "--unreplicated" },  /* with --replicas 4 */
	};
	const char *three[] = { "--id", "0", "--replicas", "3", "--listen", "127.0.0.1",
				"--peer", "1=127.0.0.1", "--peer", "2=127.0.0.1", "--secret",
				secret_hex, NULL };
	const char *byz1[] = { "--unreplicated", "--id", "0", "--replicas", "1", "--listen",
			       "127.0.0.1", "--secret", secret_hex, "--byzantine", "silent", NULL };
	const char *none[] = { NULL };
	const char *help[] = { "--help", NULL };

	cr_assert_eq(run_usage(none), EXIT_USAGE);
	cr_assert_eq(run_usage(three), EXIT_USAGE);
	cr_assert_eq(run_usage(byz1), EXIT_USAGE);
	cr_assert_eq(run_usage(help), 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = 0;

		for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
			args[n++] = base[i];
		for (size_t i = 0; i < 3 && cases[c][i]; i++)
			args[n++] = cases[c][i];
		args[n] = NULL;
		cr_assert_eq(run_usage(args), EXIT_USAGE, "case %zu", c);
	}
}

/* refused_start() - replica @i, started again, exits 70 and its log says @why. */
static void refused_start(int i, const char *why)
{
	int status_code;

	reps[i].pid = spawn(i, NULL);
	status_code = daemon_wait_exit(reps[i].pid);
	reps[i].pid = -1;
	cr_assert(WIFEXITED(status_code) && WEXITSTATUS(status_code) == EXIT_INTERNAL, "%d",
		  status_code);
	cr_assert(daemon_file_mentions(reps[i].log_path, why), "replica %d: no '%s'", i, why);
}

Test(pbft_daemon, restart_appends_a_new_incarnation)
{
	static char before[EVIDENCE_BYTES_MAX];
	char state[PATH_BYTES_MAX + 32];
	int status_code;
	size_t size;

	start_all();
	cr_assert(op_write(5, 1).ok);
	wait_evidence("\"client\":3,\"ts\":1,\"f\":\"write\",\"key\":5,\"a\":1,\"b\":null}");
	daemon_stop(&reps[2].pid, &reps[2].fd, SIGKILL);
	size = strlen(evidence_text(2));
	memcpy(before, evidence, size + 1);
	cr_assert(strstr(before, "\"incarnation\":1,"));
	start(2, NULL);
	cr_assert(op_write(5, 2).ok);
	wait_evidence_at(2, "\"incarnation\":2,");
	cr_assert_eq(strncmp(evidence, before, size), 0, "the earlier lines are kept");
	cr_assert(strstr(evidence + size, "{\"ev\":\"start\",\"replica\":2,\"replicas\":4,\"f\":1,"
			 "\"incarnation\":2,"), "%s", evidence + size);
	cr_assert(strstr(status(2), "\"id\":2,"));
	/* SIGTERM stops it cleanly (exit 0); the third start is incarnation 3. */
	close(reps[2].fd);
	reps[2].fd = -1;
	kill(reps[2].pid, SIGTERM);
	status_code = daemon_wait_exit(reps[2].pid);
	reps[2].pid = -1;
	cr_assert(WIFEXITED(status_code) && WEXITSTATUS(status_code) == 0, "%d", status_code);
	start(2, NULL);
	wait_evidence_at(2, "\"incarnation\":3,");
	cr_assert_eq(count_of(evidence, "{\"ev\":\"start\""), 3);
	/* A corrupt state file refuses the start (exit 70). */
	daemon_stop(&reps[2].pid, &reps[2].fd, SIGKILL);
	snprintf(state, sizeof(state), "%s/state", reps[2].data_dir);
	daemon_file_poke(state, 30, 0x55);
	refused_start(2, "checksum mismatch");
}

/* wait_reply() - the next authentic reply for @ts from replica 0, within 2 s. */
static bool wait_reply(uint64_t ts, struct pbft_result *r)
{
	uint32_t from;

	for (int ms = 0; ms < 2000; ms += 10) {
		struct pollfd p = { .fd = udp_fd, .events = POLLIN };

		poll(&p, 1, 10);
		if (receive_reply(ts, &from, r))
			return from == 0;
	}
	return false;
}

Test(pbft_daemon, unreplicated_executes_once)
{
	const struct pbft_op write7 = { .verb = PBFT_VERB_WRITE, .key = 2, .a = { true, 7 } };
	const char *argv[] = { PBFT_NODE_EXE, "--unreplicated", "--id", "0", "--replicas", "1",
			       "--listen", NULL, "--client-port", NULL, "--secret", secret_hex,
			       "--data-dir", reps[0].data_dir, NULL };
	char listen[32], port[16];
	struct pbft_result r, again;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port_base + 1);
	snprintf(port, sizeof(port), "%d", port_base);
	argv[7] = listen;
	argv[9] = port;
	n_now = 1;
	reps[0].pid = daemon_spawn(argv, reps[0].out_path, reps[0].log_path);
	reps[0].fd = daemon_connect(reps[0].pid, port_base, "pbft-node --unreplicated");
	cr_assert(op_write(1, 5).ok);
	r = op_read(1);
	cr_assert(r.ok && r.value.present && r.value.v == 5);
	cr_assert(op_cas(1, 5, 6).ok);
	cr_assert_not(op_cas(1, 1, 2).ok);
	cr_assert_eq(op_read(1).value.v, 6);
	/* A retransmission (the same timestamp) is answered from the cache, not executed. */
	send_request(next_ts, &write7);
	cr_assert(wait_reply(next_ts, &r));
	send_request(next_ts, &write7);
	cr_assert(wait_reply(next_ts, &again));
	cr_assert(r.ok && result_equal(&r, &again));
	/* An older timestamp is dropped: no reply, counted as refused. */
	send_request(next_ts - 1, &write7);
	cr_assert_not(wait_reply(next_ts - 1, &r));
	next_ts++;
	fast = true;            /* a READ-ONLY read: answered, not executed */
	cr_assert_eq(op_read(1).value.v, 6);
	fast = false;
	cr_assert(strstr(status(0), "\"executed\":6,"), "%s", status(0));
	cr_assert(strstr(status(0), "\"forged\":0,\"malformed\":0,\"refused\":1,"), "%s",
		  status(0));
	cr_assert(strstr(daemon_request(reps[0].fd, "byzantine silent\n"), "{\"error\":"));
	evidence_text(0);
	cr_assert_eq(count_of(evidence, "{\"ev\":\"execute\""), 6, "%s", evidence);
	cr_assert_eq(count_of(evidence, "\"client\":3,\"ts\":6,\"f\":\"write\",\"key\":2,"),
		     1, "%s", evidence);
	cr_assert(strstr(evidence, "{\"ev\":\"start\",\"replica\":0,\"replicas\":1,\"f\":0,"));
}

/* A killed replica comes back with what it promised: its stable checkpoint is there before
 * it hears from anyone. A promises file with no whole record refuses the start. */
Test(pbft_daemon, a_restart_keeps_the_promises_and_refuses_damaged_ones)
{
	char promises[PATH_BYTES_MAX + 32];
	FILE *zeros;

	start_all();
	for (int k = 0; k < 9; k++)
		cr_assert(op_write(4, 10 + k).ok);
	wait_evidence("{\"ev\":\"checkpoint\",\"replica\"");
	cr_assert(strstr(status(2), ",\"stable\":8,"), "%s", status(2));
	daemon_stop(&reps[2].pid, &reps[2].fd, SIGKILL);
	daemon_stop(&reps[0].pid, &reps[0].fd, SIGKILL);    /* nobody to transfer state from */
	daemon_stop(&reps[1].pid, &reps[1].fd, SIGKILL);
	daemon_stop(&reps[3].pid, &reps[3].fd, SIGKILL);
	start(2, NULL);
	cr_assert(strstr(status(2), ",\"stable\":8,\"executed\":8,"), "%s", status(2));
	cr_assert(daemon_file_mentions(reps[2].log_path, "promises restored: view 0, stable "
				       "checkpoint 8"));
	daemon_stop(&reps[2].pid, &reps[2].fd, SIGKILL);
	snprintf(promises, sizeof(promises), "%s/%s", reps[2].data_dir, PBFT_PROMISE_FILE_NAME);
	daemon_file_poke(promises, 40, 0x55);           /* in the first record */
	daemon_file_poke(promises, 40 + PBFT_PROMISE_RECORD_BYTES, 0x55);
	refused_start(2, "no whole record of replica 2");
	/* All zeros, as a kill before the first save leaves it: nothing was promised. */
	zeros = fopen(promises, "w");
	cr_assert(zeros);
	for (long k = 0; k < 2L * PBFT_PROMISE_RECORD_BYTES; k++)
		fputc(0, zeros);
	cr_assert_eq(fclose(zeros), 0);
	start(2, NULL);
	cr_assert(strstr(status(2), ",\"stable\":0,\"executed\":0,"), "%s", status(2));
}
