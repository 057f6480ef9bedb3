/* SPDX-License-Identifier: MIT */
/* system_thread.c - what every system shares: client threads, digests, the common init. */
#include "system.h"

#include <errno.h>
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

int system_init(struct system *sys, const struct system_ops *ops, struct gen *gen,
		struct replica_db *db, const char *check_model,
		const struct campaign_opts *o, const char *data_root, struct errbuf *eb)
{
	const struct system_bug *bug = o->bug ? system_bug_find(o->system, o->bug) : NULL;
	/* A client-side bug leaves the replicas correct: they are not told of it. */
	int err = replica_db_init(db, o->node_exe, data_root,
				  bug && !bug->client_side ? o->bug : NULL, o->seed);

	if (err < 0)
		return errbuf_set(eb, err, "path too long: %s or %s", o->node_exe, data_root);
	*sys = (struct system){ .ops = ops, .gen = gen, .db = &db->base,
				.check_model = check_model, .op_timeout_ns = o->op_timeout_ns };
	return 0;
}
