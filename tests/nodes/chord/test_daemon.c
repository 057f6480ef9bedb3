/* SPDX-License-Identifier: MIT */
/* test_daemon.c - six chord-node processes on 127.0.0.1 (a base of four, two joiners):
 * lookups over UDP find successor(key) from every node, a killed node's keys pass to its
 * successor, a spare joins when told and a member leaves gracefully, bad requests get an
 * error reply, and the evidence log records the joins and the leave. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "chord_id.h"
#include "daemon_harness.h"

enum {
	N = 6,
	BASE = 4,
	BITS = 16,
	PORT_FIRST = 7900,
	PORT_SLOTS = 8,
	PORT_WIDTH = 2 * N,     /* node i: TCP port_base + 2i, UDP + 1 */
	PATH_BYTES_MAX = 128,
	ARGS_MAX = 40,
	CONVERGE_MS_MAX = 8000,
};

struct node {
	pid_t pid;
	int fd;
	bool alive;
	uint64_t id;
	char data_dir[PATH_BYTES_MAX + 16], log_path[PATH_BYTES_MAX + 24];
	char evidence_path[PATH_BYTES_MAX + 48];
};

static char tmp_dir[PATH_BYTES_MAX];
static struct node nodes[N];
static int port_base;
static int udp_fd = -1;
static struct chord_space space;

static void setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval timeout = { .tv_sec = 1 };

	cr_assert_eq(chord_space_init(&space, BITS), 0);
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fl-chord-daemon-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_dir));
	for (int i = 0; i < N; i++) {
		struct node *n = &nodes[i];
		char name[8];

		*n = (struct node){ .pid = -1, .fd = -1 };
		snprintf(name, sizeof(name), "n%d", i + 1);
		n->id = chord_hash(&space, name, strlen(name));
		snprintf(n->data_dir, sizeof(n->data_dir), "%s/n%d", tmp_dir, i + 1);
		snprintf(n->log_path, sizeof(n->log_path), "%s.log", n->data_dir);
		snprintf(n->evidence_path, sizeof(n->evidence_path), "%s/evidence.jsonl",
			 n->data_dir);
	}
	port_base = daemon_ports_pick(PORT_FIRST, PORT_SLOTS, PORT_WIDTH);
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(udp_fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(bind(udp_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(setsockopt(udp_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);
}

static void teardown(void)
{
	for (int i = 0; i < N; i++) {
		daemon_stop(&nodes[i].pid, &nodes[i].fd, SIGKILL);
		if (getenv("CHORD_TEST_KEEP_LOGS"))
			continue;
		unlink(nodes[i].evidence_path);
		daemon_data_dir_remove(nodes[i].data_dir);
		unlink(nodes[i].log_path);
	}
	if (udp_fd >= 0)
		close(udp_fd);
	udp_fd = -1;
	if (!getenv("CHORD_TEST_KEEP_LOGS"))
		rmdir(tmp_dir);
}

TestSuite(chord_daemon, .init = setup, .fini = teardown, .timeout = 60);

static void spawn_as(int i, bool spare)
{
	char id[12], listen[32], port[16], bits[8], base[8], peers[N - 1][48];
	const char *argv[ARGS_MAX] = { CHORD_NODE_EXE, "--id", id, "--replicas", "6", "--listen",
				       listen, "--client-port", port, "--base", base, "--bits",
				       bits, "--data-dir", nodes[i].data_dir, "--seed", "3" };
	int argc = 17, k = 0;

	snprintf(id, sizeof(id), "%d", i);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port_base + 2 * i + 1);
	snprintf(port, sizeof(port), "%d", port_base + 2 * i);
	snprintf(bits, sizeof(bits), "%d", BITS);
	snprintf(base, sizeof(base), "%d", BASE);
	for (int j = 0; j < N; j++) {
		if (j == i)
			continue;
		snprintf(peers[k], sizeof(peers[k]), "%d=127.0.0.1:%d", j, port_base + 2 * j + 1);
		argv[argc++] = "--peer";
		argv[argc++] = peers[k++];
	}
	if (spare)
		argv[argc++] = "--spare";
	nodes[i].pid = daemon_spawn(argv, NULL, nodes[i].log_path);
	nodes[i].fd = daemon_connect(nodes[i].pid, port_base + 2 * i, "chord-node");
	nodes[i].alive = !spare;        /* alive: a member, as successor(key) counts */
}

static void spawn(int i)
{
	spawn_as(i, false);
}

/* One lookup of @key at node @i; the reply line (static) or "" after a second. */
static const char *ask(int i, const char *request)
{
	static char reply[1024];
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)(port_base + 2 * i + 1)) };
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	cr_assert_eq(sendto(udp_fd, request, strlen(request), 0, (struct sockaddr *)&to,
			    sizeof(to)), (ssize_t)strlen(request));
	n = recv(udp_fd, reply, sizeof(reply) - 1, 0);
	reply[n > 0 ? n : 0] = '\0';
	return reply;
}

/* successor(@key) over the live nodes: its name. */
static int owner(uint64_t key)
{
	int best = -1, lowest = -1;

	for (int i = 0; i < N; i++) {
		if (!nodes[i].alive)
			continue;
		if (nodes[i].id >= key && (best < 0 || nodes[i].id < nodes[best].id))
			best = i;
		if (lowest < 0 || nodes[i].id < nodes[lowest].id)
			lowest = i;
	}
	return best >= 0 ? best : lowest;
}

/* Do lookups of a spread of keys from every live node all name successor(key)? */
static bool lookups_right(char *first_wrong, size_t size)
{
	static uint64_t serial;

	for (int i = 0; i < N; i++) {
		for (uint64_t k = 0; k < 8 && nodes[i].alive; k++) {
			uint64_t key = (k * 8191 + (uint64_t)i * 977) % space.size;
			char request[64], want[32];
			const char *reply;

			snprintf(request, sizeof(request), "lookup t%" PRIu64 " %" PRIu64 "\n",
				 ++serial, key);
			reply = ask(i, request);
			snprintf(want, sizeof(want), " ok %" PRIu64 " n%d ", nodes[owner(key)].id,
				 owner(key) + 1);
			if (!strstr(reply, want)) {
				snprintf(first_wrong, size, "n%d, key %" PRIu64 ": \"%s\", want%s",
					 i + 1, key, reply, want);
				return false;
			}
		}
	}
	return true;
}

static void converge(const char *when)
{
	char wrong[1200] = "";
	int waited = 0;

	while (!lookups_right(wrong, sizeof(wrong)) && waited < CONVERGE_MS_MAX) {
		daemon_sleep_ms(200);
		waited += 200;
	}
	cr_assert(lookups_right(wrong, sizeof(wrong)), "%s: %s", when, wrong);
}

Test(chord_daemon, joiners_and_a_crash_leave_lookups_naming_the_successor)
{
	for (int i = 0; i < N; i++)
		spawn(i);
	for (int i = 0; i < N; i++)
		cr_expect_str_eq(daemon_request(nodes[i].fd, "ping\n"), "pong\n");
	converge("after the joins");
	cr_expect(daemon_file_mentions(nodes[5].evidence_path, "\"event\":\"joined\""),
		  "n6's evidence records its join");
	cr_expect_not(daemon_file_mentions(nodes[0].evidence_path, "\"event\":\"joined\""),
		      "n1 is in the base: it never joins");
	daemon_stop(&nodes[4].pid, &nodes[4].fd, SIGKILL);
	nodes[4].alive = false;
	converge("after n5 was killed");
}

Test(chord_daemon, bad_requests_get_an_error_reply)
{
	char request[64];

	spawn(0);
	cr_expect(strstr(ask(0, "lookup x\n"), "lookup x error expected"), "a missing id");
	snprintf(request, sizeof(request), "lookup big %" PRIu64 "\n", space.size);
	cr_expect(strstr(ask(0, request), "lookup big error id"), "an id outside the space");
	cr_expect(strstr(ask(0, "lookup t 5"), "error expected"), "no newline");
}

Test(chord_daemon, a_spare_joins_when_told_and_a_member_leaves_gracefully)
{
	for (int i = 0; i < N; i++)
		spawn_as(i, i == N - 1);
	converge("the spare n6 idles");
	cr_expect(strstr(daemon_request(nodes[N - 1].fd, "state\n"), "\"idle\":true"),
		  "n6 idles");
	cr_expect_str_eq(daemon_request(nodes[N - 1].fd, "join\n"), "ok joining\n");
	nodes[N - 1].alive = true;
	converge("after n6 joined");
	cr_expect_str_eq(daemon_request(nodes[N - 2].fd, "leave\n"), "ok left\n");
	nodes[N - 2].alive = false;
	converge("after n5 left");
	cr_expect(strstr(daemon_request(nodes[N - 2].fd, "state\n"), "\"joined\":false"),
		  "n5 is no member");
	cr_expect(daemon_file_mentions(nodes[N - 2].evidence_path, "\"event\":\"left\""),
		  "n5's evidence records its leave");
	cr_expect(strstr(daemon_request(nodes[N - 2].fd, "bogus\n"), "error expected"),
		  "an unknown line is refused");
}

/* Puts through one node read back through every other, owned by successor(key); a put and
 * a get of a bad request are refused; the owner's evidence records the stored key. */
Test(chord_daemon, puts_read_back_from_every_node)
{
	char request[96], want[64], evidence_key[64];
	const char *reply;
	int holder;

	for (int i = 0; i < N; i++)
		spawn(i);
	converge("after the joins");
	for (uint64_t k = 0; k < 6; k++) {
		uint64_t key = (k * 40503 + 17) % space.size;

		snprintf(request, sizeof(request), "put p%" PRIu64 " %" PRIu64 " %" PRId64 "\n",
			 k, key, (int64_t)k - 3);
		reply = ask((int)k % N, request);
		snprintf(want, sizeof(want), "put p%" PRIu64 " ok 1 %" PRIu64 " n%d ", k,
			 nodes[owner(key)].id, owner(key) + 1);
		cr_expect(strncmp(reply, want, strlen(want)) == 0, "\"%s\", want \"%s\"", reply,
			  want);
		for (int i = 0; i < N; i++) {
			snprintf(request, sizeof(request), "get g%d %" PRIu64 "\n", i, key);
			reply = ask(i, request);
			snprintf(want, sizeof(want), "get g%d ok %" PRId64 " 1 %" PRIu64 " ", i,
				 (int64_t)k - 3, nodes[owner(key)].id);
			cr_expect(strncmp(reply, want, strlen(want)) == 0,
				  "n%d: \"%s\", want \"%s\"", i + 1, reply, want);
		}
		holder = owner(key);
		snprintf(evidence_key, sizeof(evidence_key), "\"key\":%" PRIu64, key);
		cr_expect(daemon_file_mentions(nodes[holder].evidence_path, evidence_key),
			  "the owner's evidence records key %" PRIu64, key);
	}
	cr_expect(strstr(ask(0, "put x 5\n"), "put x error expected"), "a put without a value");
	cr_expect(strstr(ask(0, "get y\n"), "get y error expected"), "a get without a key");
}
