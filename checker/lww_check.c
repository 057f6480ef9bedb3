/* SPDX-License-Identifier: MIT */
/* lww_check.c - the LWW-register checker: phantom values, final reads, then causality. */
#include "lww_check.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

static void report_phantom(const struct lww_scan *s, const struct lww_op *read, uint32_t w,
			   const char *why, struct check_result *result)
{
	uint64_t ops[2] = { read->invoke_index, w == LWW_NONE ? 0 : s->ops[w].invoke_index };

	check_result_add_anomaly(result, "phantom-value", ops, w == LWW_NONE ? 1 : 2,
				 "read of %s on %s by process %" PRId32 " (op %" PRIu64 ") "
				 "returned %" PRId64 " (ts %" PRIu64 ", writer %" PRId64 "), %s",
				 s->keys[read->key].name, lww_op_node(s, read), read->process,
				 read->invoke_index, read->value, read->ts, read->writer, why);
}

/* Checks ok read @read against the write of its value @w; true when it may have read it. */
static bool read_plausible(const struct lww_scan *s, const struct lww_op *read, uint32_t w,
			   struct check_result *result)
{
	const struct lww_op *write = w == LWW_NONE ? NULL : &s->ops[w];
	char why[CHECK_MESSAGE_BYTES_MAX];

	if (!write) {
		snprintf(why, sizeof(why), "a value no write of %s ever wrote",
			 s->keys[read->key].name);
	} else if (write->outcome == OP_FAIL) {
		snprintf(why, sizeof(why), "a value only a failed write wrote (op %" PRIu64 ")",
			 write->invoke_index);
	} else if (write->invoke_index > read->result_index) {
		snprintf(why, sizeof(why), "before its write (op %" PRIu64 ") was invoked",
			 write->invoke_index);
	} else if (write->ts_known && (write->ts != read->ts || write->writer != read->writer)) {
		snprintf(why, sizeof(why), "but %s stamped ts %" PRIu64 ", writer %" PRId64,
			 write->outcome == OP_OK ? "its write's ok" : "an earlier read saw it",
			 write->ts, write->writer);
	} else {
		return true;
	}
	report_phantom(s, read, w, why, result);
	return false;
}

/*
 * Match every ok read to the write of the value it returned, in index order, so an info
 * write takes the stamp the first read of it saw. An unmatched read is a phantom-value and
 * gets no causal edge.
 */
static void reads_match(struct lww_scan *s, struct check_result *result)
{
	for (uint32_t k = 0; k < s->op_count; k++) {
		struct lww_op *read = &s->ops[k];
		struct lww_op *write;
		uint32_t w;

		if (read->f != LWW_F_READ || read->outcome != OP_OK || read->value_null)
			continue;
		w = lww_write_find(s, read->key, read->value);
		if (!read_plausible(s, read, w, result))
			continue;
		write = &s->ops[w];
		ASSERT(write->f == LWW_F_WRITE && write->outcome != OP_FAIL);
		if (!write->ts_known) {
			write->ts = read->ts;
			write->writer = read->writer;
			write->ts_known = true;
		}
		read->write = w;
	}
}

static bool same_state(const struct lww_op *a, const struct lww_op *b)
{
	if (a->value_null || b->value_null)
		return a->value_null == b->value_null;
	return a->value == b->value && a->ts == b->ts && a->writer == b->writer;
}

static void finals_collect(struct lww_scan *s)
{
	for (uint32_t k = 0; k < s->op_count; k++) {
		const struct lww_op *read = &s->ops[k];
		struct lww_key *key = &s->keys[read->key];

		if (read->f != LWW_F_READ || read->outcome != OP_OK || !read->final)
			continue;
		s->final_count++;
		key->final_count++;
		if (read->node != LWW_NODE_NONE)
			key->final_nodes |= 1ull << read->node;
		if (key->final_first == LWW_NONE)
			key->final_first = k;
		else if (!same_state(&s->ops[key->final_first], read))
			key->diverged = true;
	}
}

static void report_divergence(const struct lww_scan *s, uint16_t key,
			      struct check_result *result)
{
	uint64_t ops[CHECK_ANOMALY_OPS_MAX];
	uint32_t op_count = 0;
	struct check_text t;

	check_text_init(&t);
	check_text_add(&t, "final reads of %s disagree:", s->keys[key].name);
	for (uint32_t k = 0; k < s->op_count; k++) {
		const struct lww_op *read = &s->ops[k];

		if (read->f != LWW_F_READ || read->outcome != OP_OK || !read->final ||
		    read->key != key)
			continue;
		if (read->value_null)
			check_text_add(&t, " %s=null (op %" PRIu64 ");", lww_op_node(s, read),
				       read->invoke_index);
		else
			check_text_add(&t, " %s=%" PRId64 " (op %" PRIu64 ", ts %" PRIu64
				       ", writer %" PRId64 ");", lww_op_node(s, read), read->value,
				       read->invoke_index, read->ts, read->writer);
		if (op_count < CHECK_ANOMALY_OPS_MAX)
			ops[op_count++] = read->invoke_index;
	}
	check_result_add_anomaly(result, "divergence", ops, op_count, "%s", t.buf);
}

/* Nodes named by client ops that gave no ok final read of @key. */
static void report_missing_finals(const struct lww_scan *s, const struct lww_key *key,
				  struct check_result *result)
{
	uint64_t missing = s->nodes_named & ~key->final_nodes;
	struct check_text t;

	if (key->final_count > 0 && !missing)
		return;
	check_text_init(&t);
	for (uint32_t n = 0; n < s->node_count && key->final_count > 0; n++)
		if (missing & (1ull << n))
			check_text_add(&t, "%s%s", t.used ? ", " : " on ", s->nodes[n]);
	check_result_set_unknown(result, "%s: no ok final read%s", key->name, t.buf);
}

static void finals_judge(const struct lww_scan *s, struct check_result *result)
{
	if (s->final_count == 0) {
		check_result_set_unknown(result, "no ok final read: divergence and lost updates "
					 "cannot be judged");
		return;
	}
	for (uint32_t k = 0; k < s->key_count; k++) {
		if (s->keys[k].diverged)
			report_divergence(s, (uint16_t)k, result);
		report_missing_finals(s, &s->keys[k], result);
	}
}

static int lww_check(const struct checker *checker, const struct check_run *run,
		     const struct check_opts *opts, struct check_result *result,
		     struct errbuf *eb)
{
	const struct history *h = run->history;
	struct lww_scan s;
	int err;

	ASSERT(checker && h && opts && result);
	result->model = "lww";
	err = lww_scan_init(&s, h, opts, result, eb);
	if (err)
		goto out;
	reads_match(&s, result);
	finals_collect(&s);
	result->final_read_count = s.final_count;
	finals_judge(&s, result);
	err = lww_causal_check(&s, result, eb);
out:
	lww_scan_fini(&s);
	ASSERT(err <= 1);
	return err > 0 ? 0 : err;       /* 1: the input was judged unknown, not an error */
}

bool lww_history_detect(const struct history *h)
{
	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		json_t *doc;
		bool has_ts;

		if (op->process < 0 || op->type != OP_OK || !op->key)
			continue;
		if (strcmp(op->f, "read") != 0 && strcmp(op->f, "write") != 0)
			return false;
		if (op->value.kind != OP_VALUE_JSON)
			return false;
		doc = json_loads(op->value.json, 0, NULL);
		has_ts = json_is_object(doc) && json_object_get(doc, "ts");
		json_decref(doc);
		return has_ts;
	}
	return false;
}

const struct checker_ops lww_checker_ops = {
	.name = "lww",
	.check = lww_check,
};

const struct checker lww_checker = { .ops = &lww_checker_ops };
