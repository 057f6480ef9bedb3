/* SPDX-License-Identifier: MIT */
/* chord_load.c - closed-loop lookups over UDP against chord-node processes, judged against
 * successor(key) over the ring's members, and their hop and latency figures. */
#include "chord_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "chord_net.h"
#include "fl_assert.h"
#include "monotime.h"
#include "prng.h"

enum { STATUS_BYTES_MAX = 16 };        /* "no-progress" and its NUL fit */

STATIC_ASSERT((int)CLOAD_OUTSTANDING_MAX <= (int)CHORD_LOOKUPS_MAX,
	      "one node takes every lookup in flight");

/* A lookup in flight: its tag is its number in the batch. */
struct flight {
	bool used;
	uint32_t tag;
	uint64_t key;
	int64_t sent_ns;
};

/* "lookup TAG KEY" to a random member of @c from slot @f. */
static void lookup_send(struct cprocs *c, int fd, struct prng *prng, struct flight *f,
			uint32_t tag)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	char line[CHORD_NET_CLIENT_BYTES_MAX];
	uint32_t origin;
	int n;

	do {
		origin = (uint32_t)prng_below(prng, c->opts.count);
	} while (!c->nodes[origin].member);
	*f = (struct flight){ .used = true, .tag = tag, .key = prng_next(prng) & UINT32_MAX,
			      .sent_ns = monotime_ns() };
	to.sin_addr = c->nodes[origin].addr;
	to.sin_port = htons(c->nodes[origin].udp_port);
	n = snprintf(line, sizeof(line), "lookup %" PRIu32 " %" PRIu64 "\n", tag, f->key);
	ASSERT(n > 0 && (size_t)n < sizeof(line));
	/* A datagram the kernel refuses counts as lost when its time is up. */
	sendto(fd, line, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
}

/* A reply: "lookup TAG ok OWNER-ID OWNER-NODE HOPS PATH" or "lookup TAG STATUS HOPS ...". */
static void lookup_reply(struct cprocs *c, struct flight *flights, uint32_t count,
			 const char *reply, struct cload_stats *st)
{
	char status[STATUS_BYTES_MAX];
	uint64_t owner = 0;
	uint32_t tag, node, hops = CLOAD_HOPS_MAX + 1, k;
	int at = 0;

	if (sscanf(reply, "lookup %" SCNu32 " %15s %n", &tag, status, &at) != 2 || at == 0)
		return;                 /* not an answer to one of ours */
	for (k = 0; k < count; k++) {
		if (flights[k].used && flights[k].tag == tag)
			break;
	}
	if (k == count)
		return;                 /* late: already counted as lost */
	flights[k].used = false;
	st->answered++;
	if (strcmp(status, "ok") == 0 &&
	    sscanf(reply + at, "%" SCNu64 " n%" SCNu32 " %" SCNu32, &owner, &node, &hops) == 3) {
		st->latency_us[st->ok++] = (uint32_t)((monotime_ns() - flights[k].sent_ns) / 1000);
		st->wrong += owner != cprocs_owner(c, flights[k].key);
	} else {
		st->failed++;
		if (sscanf(reply + at, "%" SCNu32, &hops) != 1)
			hops = CLOAD_HOPS_MAX + 1;    /* "error WHY": no hops */
	}
	if (hops <= CLOAD_HOPS_MAX) {
		st->hops[hops]++;
		st->hops_sum += hops;
	}
}

/* Lost: in flight past CLOAD_TIMEOUT_MS. Return: the ms until the next one is due. */
static int expire(struct flight *flights, uint32_t count, struct cload_stats *st)
{
	int64_t now = monotime_ns(), next = now + CLOAD_TIMEOUT_MS * 1000000ll;

	for (uint32_t k = 0; k < count; k++) {
		int64_t due = flights[k].sent_ns + CLOAD_TIMEOUT_MS * 1000000ll;

		if (!flights[k].used)
			continue;
		if (due <= now) {
			flights[k].used = false;
			st->lost++;
		} else if (due < next) {
			next = due;
		}
	}
	return (int)((next - now) / 1000000 + 1);
}

/* @lookups of random keys from random members, @outstanding in flight: a closed loop. */
int cload_run(struct cprocs *c, int fd, struct prng *prng, const volatile sig_atomic_t *stop,
	      uint32_t lookups, uint32_t outstanding, struct cload_stats *st)
{
	struct flight flights[CLOAD_OUTSTANDING_MAX] = { { 0 } };
	char reply[CHORD_NET_REPLY_BYTES_MAX + 1];
	int64_t start = monotime_ns();
	double cpu = cprocs_cpu_s(c);

	ASSERT(outstanding >= 1 && outstanding <= CLOAD_OUTSTANDING_MAX);
	*st = (struct cload_stats){ .latency_us = calloc(lookups, sizeof(uint32_t)) };
	if (!st->latency_us)
		return -ENOMEM;
	while (st->answered + st->lost < lookups) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		for (uint32_t k = 0; k < outstanding && st->sent < lookups; k++) {
			if (!flights[k].used)
				lookup_send(c, fd, prng, &flights[k], st->sent++);
		}
		if (*stop)
			return -EINTR;
		if (poll(&pfd, 1, expire(flights, outstanding, st)) <= 0)
			continue;
		while ((n = recv(fd, reply, sizeof(reply) - 1, MSG_DONTWAIT)) > 0) {
			reply[n] = '\0';
			lookup_reply(c, flights, outstanding, reply, st);
		}
	}
	st->seconds = (double)(monotime_ns() - start) / 1e9;
	st->cpu_s = cprocs_cpu_s(c) - cpu;
	return 0;
}

uint32_t cload_hops_quantile(const struct cload_stats *st, double q)
{
	uint64_t total = 0, seen = 0, want;

	for (uint32_t h = 0; h <= CLOAD_HOPS_MAX; h++)
		total += st->hops[h];
	want = (uint64_t)ceil(q * (double)total);
	for (uint32_t h = 0; h <= CLOAD_HOPS_MAX; h++) {
		seen += st->hops[h];
		if (seen >= want && seen > 0)
			return h;
	}
	return 0;
}

double cload_hops_mean(const struct cload_stats *st)
{
	uint64_t total = 0;

	for (uint32_t h = 0; h <= CLOAD_HOPS_MAX; h++)
		total += st->hops[h];
	return total ? (double)st->hops_sum / (double)total : 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t cload_latency_quantile(struct cload_stats *st, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)st->ok);

	if (st->ok == 0)
		return 0;
	qsort(st->latency_us, st->ok, sizeof(uint32_t), u32_cmp);
	return st->latency_us[rank > 0 ? rank - 1 : 0];
}

void cload_free(struct cload_stats *st)
{
	free(st->latency_us);
	st->latency_us = NULL;
}
