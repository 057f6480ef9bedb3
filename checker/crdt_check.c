/* SPDX-License-Identifier: MIT */
/* crdt_check.c - the CRDT checker: scan and validate a history, infer the model, run checks. */
#include "crdt_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

enum crdt_f { F_ADD, F_REMOVE, F_READ, F_OTHER };

static enum crdt_f classify(const char *f)
{
	if (strcmp(f, "add") == 0)
		return F_ADD;
	if (strcmp(f, "read") == 0)
		return F_READ;
	if (strcmp(f, "remove") == 0)
		return F_REMOVE;
	return F_OTHER;
}

static bool is_final(const struct history *h, uint64_t invoke_index)
{
	uint64_t r = crdt_result_index(h, invoke_index);

	return h->ops[invoke_index].final || (r != HIST_NO_PAIR && h->ops[r].final);
}

static int node_note(struct crdt_scan *s, const char *name, struct crdt_node **out,
		     struct errbuf *eb)
{
	uint32_t i;

	for (i = 0; i < s->node_count; i++) {
		const char *known = s->nodes[i].name;

		if (known == name || (known && name && strcmp(known, name) == 0))
			break;
	}
	if (i == s->node_count) {
		if (s->node_count == CHK_NODES_MAX)
			return errbuf_set(eb, -E2BIG, "more than %d distinct nodes named by ops",
					  CHK_NODES_MAX);
		memset(&s->nodes[i], 0, sizeof(s->nodes[i]));
		s->nodes[i].name = name;
		s->node_count++;
	}
	*out = &s->nodes[i];
	ASSERT(s->node_count <= CHK_NODES_MAX);
	return 0;
}

static bool same_key(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * The checker judges one object: every client op must name the same key (or none). Mixing
 * keys would let an add to one object vouch for a read of another.
 */
static int check_one_key(const struct history *h, struct errbuf *eb)
{
	const struct op *first = NULL;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];

		if (op->process < 0)
			continue;
		if (!first)
			first = op;
		if (!same_key(first->key, op->key))
			return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": key \"%s\" differs from "
					  "key \"%s\" of op %" PRIu64 ": check one object at a "
					  "time (split the history by key)", i,
					  op->key ? op->key : "(none)",
					  first->key ? first->key : "(none)",
					  (uint64_t)first->index);
	}
	return 0;
}

/* Count (fill == false) or record (fill == true) the client invocations by f. */
static int scan_pass(struct crdt_scan *s, bool fill, struct errbuf *eb)
{
	const struct history *h = s->h;
	uint64_t counts[3] = { 0, 0, 0 };
	uint64_t *lists[3] = { s->adds, s->removes, s->reads };

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		enum crdt_f f;

		if (op->process < 0 || op->type != OP_INVOKE)
			continue;
		f = classify(op->f);
		if (f == F_OTHER)
			return errbuf_set(eb, -EINVAL,
					  "op %" PRIu64 ": f \"%s\" is not a CRDT op (add, "
					  "remove, read): a history of another system?", i, op->f);
		if (f != F_READ && op->value.kind != OP_VALUE_INT)
			return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": %s value must be an "
					  "integer", i, op->f);
		if (f == F_READ && crdt_outcome(h, i) != OP_OK)
			continue;
		if (fill)
			lists[f][counts[f]] = i;
		counts[f]++;
	}
	if (fill) {
		ASSERT(counts[F_ADD] == s->add_count);
		ASSERT(counts[F_READ] == s->read_count);
	}
	s->add_count = counts[F_ADD];
	s->remove_count = counts[F_REMOVE];
	s->read_count = counts[F_READ];
	return 0;
}

/* Every node named by a client op, and the fate of its final reads. */
static int scan_nodes(struct crdt_scan *s, struct errbuf *eb)
{
	const struct history *h = s->h;
	int err;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		struct crdt_node *node = NULL;

		if (op->process < 0 || op->type != OP_INVOKE || !crdt_op_node(h, i))
			continue;
		/* The node may be named on the completion only (the format allows it). */
		err = node_note(s, crdt_op_node(h, i), &node, eb);
		if (err)
			return err;
		ASSERT(node);
		if (classify(op->f) != F_READ || !is_final(h, i))
			continue;
		node->final_invoked = true;
		node->final_outcome = crdt_outcome(h, i);
		node->final_invoke_index = i;
		if (node->final_outcome == OP_OK)
			node->final_ok = true;
	}
	return 0;
}

static int infer_model(struct crdt_scan *s, struct errbuf *eb)
{
	const struct history *h = s->h;
	uint64_t ints = 0, arrays = 0;

	if (s->model != CRDT_MODEL_NONE)
		return 0;
	if (s->remove_count > 0) {
		s->model = CRDT_MODEL_ORSET;
		return 0;
	}
	for (uint64_t k = 0; k < s->read_count; k++) {
		enum op_value_kind kind = h->ops[crdt_result_index(h, s->reads[k])].value.kind;

		ints += kind == OP_VALUE_INT;
		arrays += kind == OP_VALUE_INTS;
	}
	if (ints > 0 && arrays == 0) {
		s->model = CRDT_MODEL_GCOUNTER;
		return 0;
	}
	if (arrays > 0 && ints == 0) {
		/* Without removes an OR-Set history is checked exactly like a G-Set one. */
		s->model = CRDT_MODEL_GSET;
		return 0;
	}
	return errbuf_set(eb, -EINVAL, "cannot tell the CRDT model (%" PRIu64 " integer reads, %"
			  PRIu64 " array reads, no removes): pass --model", ints, arrays);
}

static int validate_values(const struct crdt_scan *s, struct errbuf *eb)
{
	const struct history *h = s->h;
	bool counter = s->model == CRDT_MODEL_GCOUNTER;

	if (s->model != CRDT_MODEL_ORSET && s->remove_count > 0)
		return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": remove in a %s history",
				  s->removes[0], crdt_model_name(s->model));
	for (uint64_t k = 0; counter && k < s->add_count; k++) {
		if (h->ops[s->adds[k]].value.integer < 0)
			return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": gcounter add of a "
					  "negative delta %" PRId64, s->adds[k],
					  h->ops[s->adds[k]].value.integer);
	}
	for (uint64_t k = 0; k < s->read_count; k++) {
		uint64_t r = crdt_result_index(h, s->reads[k]);
		const struct op_value *v = &h->ops[r].value;

		if (counter && (v->kind != OP_VALUE_INT || v->integer < 0))
			return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": a gcounter read must "
					  "return an integer >= 0", r);
		if (!counter && v->kind != OP_VALUE_INTS)
			return errbuf_set(eb, -EINVAL, "op %" PRIu64 ": a %s read must return "
					  "an array of integers", r, crdt_model_name(s->model));
	}
	return 0;
}

static void scan_fini(struct crdt_scan *s)
{
	crdt_finals_free(s);
	free(s->adds);
	free(s->removes);
	free(s->reads);
	memset(s, 0, sizeof(*s));
}

static int scan_init(struct crdt_scan *s, const struct history *h, const struct check_opts *o,
		     struct errbuf *eb)
{
	uint64_t bytes;
	int err;

	memset(s, 0, sizeof(*s));
	s->h = h;
	if (o->model && crdt_model_parse(o->model, &s->model) < 0)
		return errbuf_set(eb, -EINVAL, "no CRDT model named \"%s\" (expected gcounter, "
				  "gset or orset)", o->model);
	s->memory_bytes_max = o->memory_bytes_max ? o->memory_bytes_max : CHK_MEMORY_BYTES_DEFAULT;
	err = scan_pass(s, false, eb);
	if (err)
		return err;
	bytes = (s->add_count + s->remove_count + s->read_count) * sizeof(uint64_t);
	if (bytes > s->memory_bytes_max)
		return errbuf_set(eb, -ENOMEM, "op lists need %" PRIu64 " bytes, over the "
				  "checker budget of %" PRIu64, bytes, s->memory_bytes_max);
	s->adds = malloc((s->add_count + 1) * sizeof(uint64_t));
	s->removes = malloc((s->remove_count + 1) * sizeof(uint64_t));
	s->reads = malloc((s->read_count + 1) * sizeof(uint64_t));
	if (!s->adds || !s->removes || !s->reads)
		return errbuf_set(eb, -ENOMEM, "out of memory for op lists");
	err = scan_pass(s, true, eb);
	if (!err)
		err = scan_nodes(s, eb);
	if (!err)
		err = infer_model(s, eb);
	if (!err)
		err = check_one_key(h, eb);
	if (!err)
		err = validate_values(s, eb);
	if (!err)
		err = crdt_finals_build(s, eb);
	return err;
}

static int crdt_check(const struct checker *checker, const struct check_run *run,
		      const struct check_opts *opts, struct check_result *result,
		      struct errbuf *eb)
{
	const struct history *h = run->history;
	struct crdt_scan scan;
	int err;

	ASSERT(checker && h && opts && result);
	err = scan_init(&scan, h, opts, eb);
	if (scan.model != CRDT_MODEL_NONE)
		result->model = crdt_model_name(scan.model);
	if (err)
		goto out;
	result->final_read_count = scan.final_count;
	crdt_convergence_check(&scan, result);
	if (scan.model == CRDT_MODEL_GCOUNTER)
		err = crdt_gcounter_check(&scan, result, eb);
	else
		err = crdt_set_check(&scan, result, eb);
out:
	scan_fini(&scan);
	return err;
}

static const char *const model_names[] = {
	[CRDT_MODEL_NONE] = "none",
	[CRDT_MODEL_GCOUNTER] = "gcounter",
	[CRDT_MODEL_GSET] = "gset",
	[CRDT_MODEL_ORSET] = "orset",
};

const char *crdt_model_name(enum crdt_model model)
{
	ASSERT((size_t)model < ARRAY_SIZE(model_names));
	return model_names[model];
}

int crdt_model_parse(const char *name, enum crdt_model *out)
{
	ASSERT(out);
	if (!name)
		return -EINVAL;
	for (size_t i = CRDT_MODEL_GCOUNTER; i < ARRAY_SIZE(model_names); i++) {
		if (strcmp(name, model_names[i]) == 0) {
			*out = (enum crdt_model)i;
			return 0;
		}
	}
	return -EINVAL;
}

const struct checker_ops crdt_checker_ops = {
	.name = "crdt",
	.check = crdt_check,
};

const struct checker crdt_checker = { .ops = &crdt_checker_ops };
