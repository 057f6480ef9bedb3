/* SPDX-License-Identifier: MIT */
/* check_compose.c - several checkers over one run, verdicts merged by maximum. */
#include "check_compose.h"

#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

static int compose_check(const struct checker *checker, const struct check_run *run,
			 const struct check_opts *opts, struct check_result *result,
			 struct errbuf *eb)
{
	const struct check_compose *c = container_of(checker, const struct check_compose, base);
	struct errbuf part_eb;
	int first_err = 0;

	for (uint32_t i = 0; i < c->count; i++) {
		const struct checker *part = c->parts[i];
		const char *model = result->model;
		int err;

		errbuf_clear(&part_eb);
		err = part->ops->check(part, run, opts, result, &part_eb);
		ASSERT(err <= 0);
		if (model)
			result->model = model;  /* the first part's model stands */
		if (err < 0) {
			check_result_set_unknown(result, "checker %s failed: %s", part->ops->name,
						 part_eb.msg[0] ? part_eb.msg : "no message");
			if (!first_err)
				errbuf_set(eb, err, "%s", part_eb.msg);
			first_err = first_err ? first_err : err;
		} else if (part_eb.msg[0] && !first_err && !eb->msg[0]) {
			errbuf_set(eb, 0, "%s", part_eb.msg);   /* a part's warning */
		}
	}
	return first_err;
}

void check_compose_init(struct check_compose *c, const char *name,
			const struct checker *const *parts, uint32_t count)
{
	ASSERT(count >= 1 && count <= CHECK_COMPOSE_PARTS_MAX);
	memset(c, 0, sizeof(*c));
	c->ops = (struct checker_ops){ .name = name, .check = compose_check };
	c->base.ops = &c->ops;
	for (uint32_t i = 0; i < count; i++) {
		ASSERT(parts[i] && parts[i]->ops && parts[i]->ops->check);
		c->parts[i] = parts[i];
	}
	c->count = count;
}
