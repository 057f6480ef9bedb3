/* SPDX-License-Identifier: MIT */
/* system.c - the table of systems `faultline run` knows. */
#include "system.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "replica_db.h"

/* Invariant: @clients holds @node_count clients of @client_size bytes, then the session. */
struct system_thread {
	uint32_t node_count;
	size_t client_size;
	unsigned char *session;
	_Alignas(max_align_t) unsigned char clients[];
};

static const char *const crdt_bugs[] = { "gcounter-sum-merge", "orset-remove-wins",
					 "no-retransmit", "restart-empty", NULL };
static const char *const lww_bugs[] = { "wallclock-lww", NULL };
static const char *const pbft_bugs[] = { "quorum-2f", "no-digest-check",
					 "count-messages-not-senders",
					 "view-change-drops-prepared", "client-first-reply", NULL };

static const struct system_kind kinds[] = {
	{ "crdt", "crdt-node", crdt_bugs, true, false, crdt_system_new },
	{ "lww", "lww-node", lww_bugs, false, false, lww_system_new },
	{ "pbft", "pbft-node", pbft_bugs, false, true, pbft_system_new },
};

const struct system_kind *system_kind_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	}
	return NULL;
}

const char *system_kind_names(void)
{
	static char names[64];

	/* Built once from the table (a few bytes a kind), so the list cannot fall behind it. */
	if (!names[0]) {
		size_t used = 0;

		for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 i ? ", " : "", kinds[i].name);
		ASSERT(used < sizeof(names));
	}
	return names;
}

/* Rounded up so the session that follows the clients is aligned. */
static size_t aligned(size_t size)
{
	return (size + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * _Alignof(max_align_t);
}

int system_thread_new(const struct system *sys, uint32_t node_count,
		      struct system_thread **out, struct errbuf *eb)
{
	size_t client_size = aligned(sys->ops->client_size);
	struct system_thread *t = calloc(1, sizeof(*t) + node_count * client_size +
					    sys->ops->session_size);

	ASSERT(sys->ops->client_size >= sizeof(struct client));
	if (!t)
		return errbuf_set(eb, -ENOMEM, "out of memory for client connections");
	t->node_count = node_count;
	t->client_size = client_size;
	t->session = t->clients + node_count * client_size;
	for (uint32_t i = 0; i < node_count; i++)
		sys->ops->client_init(sys, system_thread_client(t, i),
				      sys->ops->session_size ? t->session : NULL);
	*out = t;
	return 0;
}

struct client *system_thread_client(struct system_thread *t, uint32_t node)
{
	ASSERT(node < t->node_count);
	return (struct client *)(void *)(t->clients + node * t->client_size);
}

void system_thread_free(struct system_thread *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->node_count; i++)
		client_close(system_thread_client(t, i));
	free(t);
}

uint64_t system_digest_fnv(uint64_t h, const void *data, size_t size)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < size; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

int system_init(struct system *sys, const struct system_ops *ops, struct gen *gen,
		struct replica_db *db, const char *check_model,
		const struct campaign_opts *o, const char *data_root, struct errbuf *eb)
{
	int err = replica_db_init(db, o->node_exe, data_root, o->bug, o->seed);

	if (err < 0)
		return errbuf_set(eb, err, "path too long: %s or %s", o->node_exe, data_root);
	*sys = (struct system){ .ops = ops, .gen = gen, .db = &db->base,
				.check_model = check_model, .op_timeout_ns = o->op_timeout_ns };
	return 0;
}
