/* SPDX-License-Identifier: MIT */
/* compose.c - routes requests to member nemeses; setup and teardown are all-or-nothing. */
#include "compose.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

/* Each fault's two fs, as in FAULTS.md. */
static const struct {
	const char *f;
	uint32_t fault;
} f_table[] = {
	{ "start-partition", NEM_F_PARTITION }, { "stop-partition", NEM_F_PARTITION },
	{ "start-loss", NEM_F_LOSS },           { "stop-loss", NEM_F_LOSS },
	{ "start-dup", NEM_F_DUP },             { "stop-dup", NEM_F_DUP },
	{ "start-delay", NEM_F_DELAY },         { "stop-delay", NEM_F_DELAY },
	{ "start-reorder", NEM_F_REORDER },     { "stop-reorder", NEM_F_REORDER },
	{ "start-bandwidth", NEM_F_BANDWIDTH }, { "stop-bandwidth", NEM_F_BANDWIDTH },
	{ "kill", NEM_F_KILL },                 { "start", NEM_F_KILL },
	{ "pause", NEM_F_PAUSE },               { "resume", NEM_F_PAUSE },
	{ "bump", NEM_F_CLOCK },                { "strobe", NEM_F_CLOCK },
	{ "drift", NEM_F_CLOCK },               { "reset", NEM_F_CLOCK },
	{ "start-byzantine", NEM_F_BYZANTINE }, { "stop-byzantine", NEM_F_BYZANTINE },
	{ "start-msgdrop", NEM_F_MSGDROP },     { "stop-msgdrop", NEM_F_MSGDROP },
	{ "crash", NEM_F_CHURN },               { "leave", NEM_F_CHURN },
	{ "join", NEM_F_CHURN },
};

uint32_t nem_f_of(const char *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(f_table); i++) {
		if (strcmp(f, f_table[i].f) == 0)
			return f_table[i].fault;
	}
	return 0;
}

/* Invariant: members[0 .. set_up-1] are set up, in order; no two members share an fs bit. */
struct compose {
	struct nemesis base;
	struct nemesis *members[NEM_COMPOSE_MEMBERS_MAX];
	uint32_t count, set_up;
};

static int compose_teardown(struct nemesis *nem, struct errbuf *eb)
{
	struct compose *c = container_of(nem, struct compose, base);
	int first = 0;

	while (c->set_up > 0) {
		int err = nem_teardown(c->members[--c->set_up], first ? NULL : eb);

		if (err < 0 && !first)
			first = err;
	}
	return first;
}

static int compose_setup(struct nemesis *nem, struct cluster *cluster, struct errbuf *eb)
{
	struct compose *c = container_of(nem, struct compose, base);

	ASSERT(c->set_up == 0);
	for (; c->set_up < c->count; c->set_up++) {
		int err = nem_setup(c->members[c->set_up], cluster, eb);

		if (err < 0) {
			errbuf_prefix(eb, err, "%s: ", c->members[c->set_up]->ops->name);
			compose_teardown(nem, NULL);
			return err;
		}
	}
	return 0;
}

static int compose_invoke(struct nemesis *nem, const struct nem_request *request,
			  struct prng *prng, struct nem_completion *completion, struct errbuf *eb)
{
	struct compose *c = container_of(nem, struct compose, base);
	uint32_t fault = nem_f_of(request->f);

	ASSERT(c->set_up == c->count);
	for (uint32_t i = 0; fault && i < c->count; i++) {
		if (c->members[i]->ops->fs & fault)
			return nem_invoke(c->members[i], request, prng, completion, eb);
	}
	return errbuf_set(eb, -EINVAL, "no nemesis here handles f %s", request->f);
}

static void nem_compose_free(struct nemesis *nem);

static const struct nemesis_ops compose_ops = {
	.name = "compose",
	.setup = compose_setup,
	.invoke = compose_invoke,
	.teardown = compose_teardown,
	.free = nem_compose_free,
};

int nem_compose_new(struct nemesis **out, struct nemesis *const *members, uint32_t count,
		    struct errbuf *eb)
{
	struct compose *c;
	uint32_t claimed = 0;

	if (count > NEM_COMPOSE_MEMBERS_MAX)
		return errbuf_set(eb, -E2BIG, "at most %d nemeses compose",
				  NEM_COMPOSE_MEMBERS_MAX);
	for (uint32_t i = 0; i < count; i++) {
		if (claimed & members[i]->ops->fs)
			return errbuf_set(eb, -EINVAL,
					  "nemesis %s handles a fault another one does",
					  members[i]->ops->name);
		claimed |= members[i]->ops->fs;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	c->base.ops = &compose_ops;
	memcpy(c->members, members, count * sizeof(members[0]));
	c->count = count;
	*out = &c->base;
	return 0;
}

static void nem_compose_free(struct nemesis *nem)
{
	if (nem)
		free(container_of(nem, struct compose, base));
}
