/* SPDX-License-Identifier: MIT */
/* checker.c - the checker dispatcher, verdict arithmetic and check_result helpers. */
#include "checker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "skew.h"
#include "textbuf.h"

static const char *const verdict_names[] = {
	[VERDICT_VALID] = "valid",
	[VERDICT_UNKNOWN] = "unknown",
	[VERDICT_INVALID] = "invalid",
};

static const char *const model_names[] = {
	[CRDT_MODEL_NONE] = "none",
	[CRDT_MODEL_GCOUNTER] = "gcounter",
	[CRDT_MODEL_GSET] = "gset",
	[CRDT_MODEL_ORSET] = "orset",
};

const char *verdict_name(enum verdict verdict)
{
	ASSERT((size_t)verdict < ARRAY_SIZE(verdict_names));
	return verdict_names[verdict];
}

enum verdict verdict_merge(enum verdict a, enum verdict b)
{
	ASSERT(a <= VERDICT_INVALID);
	ASSERT(b <= VERDICT_INVALID);
	return a > b ? a : b;
}

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

void check_result_init(struct check_result *result)
{
	ASSERT(result);
	memset(result, 0, sizeof(*result));
	result->verdict = VERDICT_VALID;
}

void check_result_fini(struct check_result *result)
{
	if (!result)
		return;
	free(result->anomalies);
	skew_free(result->skew);
	check_result_init(result);
}

void check_result_add_anomaly(struct check_result *result, const char *kind,
			      const uint64_t *ops, uint32_t op_count, const char *fmt, ...)
{
	struct anomaly *a;
	va_list ap;

	ASSERT(result);
	ASSERT(kind && kind[0]);
	ASSERT(ops || op_count == 0);
	result->verdict = VERDICT_INVALID;
	result->anomalies_total++;
	if (result->anomaly_count >= CHECK_ANOMALIES_MAX)
		return;
	if (!result->anomalies) {
		/* One allocation for the whole bounded array: adding never fails half-way. */
		result->anomalies = calloc(CHECK_ANOMALIES_MAX, sizeof(*result->anomalies));
		if (!result->anomalies)
			return;
	}
	a = &result->anomalies[result->anomaly_count++];
	a->kind = kind;
	va_start(ap, fmt);
	vsnprintf(a->message, sizeof(a->message), fmt, ap);
	va_end(ap);
	a->op_count = op_count < CHECK_ANOMALY_OPS_MAX ? op_count : CHECK_ANOMALY_OPS_MAX;
	if (a->op_count)
		memcpy(a->ops, ops, a->op_count * sizeof(a->ops[0]));
	ASSERT(result->anomaly_count <= result->anomalies_total);
}

void check_result_set_unknown(struct check_result *result, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	ASSERT(result);
	ASSERT(fmt);
	result->verdict = verdict_merge(result->verdict, VERDICT_UNKNOWN);
	used = strlen(result->unknown_reason);
	if (used > 0 && used + 2 < sizeof(result->unknown_reason)) {
		memcpy(result->unknown_reason + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= sizeof(result->unknown_reason))
		return;
	va_start(ap, fmt);
	vsnprintf(result->unknown_reason + used, sizeof(result->unknown_reason) - used, fmt, ap);
	va_end(ap);
	ASSERT(result->unknown_reason[0]);
}

void check_text_init(struct check_text *t)
{
	ASSERT(t);
	t->buf[0] = '\0';
	t->used = 0;
}

void check_text_add(struct check_text *t, const char *fmt, ...)
{
	struct textbuf text = { .buf = t->buf, .size = sizeof(t->buf), .used = t->used };
	va_list ap;

	/* A diagnostic: cut where the buffer ends (textbuf_vput()). */
	va_start(ap, fmt);
	textbuf_vput(&text, fmt, ap);
	va_end(ap);
	t->used = text.used;
	ASSERT(t->buf[t->used] == '\0');
}

static void assert_result_sane(const struct check_result *r)
{
	ASSERT(r->verdict <= VERDICT_INVALID);
	ASSERT(r->anomaly_count <= CHECK_ANOMALIES_MAX);
	ASSERT(r->anomaly_count <= r->anomalies_total);
	if (r->anomalies_total > 0)
		ASSERT(r->verdict == VERDICT_INVALID);
	if (r->verdict == VERDICT_UNKNOWN)
		ASSERT(r->unknown_reason[0] != '\0');
	for (uint32_t i = 0; i < r->anomaly_count; i++) {
		ASSERT(r->anomalies[i].kind);
		ASSERT(r->anomalies[i].op_count <= CHECK_ANOMALY_OPS_MAX);
	}
}

int check_history(const struct checker *checker, const struct history *history,
		  const struct check_opts *opts, struct check_result *result, struct errbuf *eb)
{
	struct errbuf local;
	int err;

	ASSERT(checker && checker->ops && checker->ops->check && checker->ops->name);
	ASSERT(history);
	ASSERT(history->count == 0 || (history->ops && history->pair));
	ASSERT(opts);
	ASSERT(result);
	ASSERT(result->anomalies_total == 0 && result->verdict == VERDICT_VALID);
	if (!eb)
		eb = &local;
	errbuf_clear(eb);
	result->checker = checker->ops->name;
	result->op_count = history->count;
	err = checker->ops->check(checker, history, opts, result, eb);
	ASSERT(err <= 0);
	if (err < 0) {
		/* STYLE S25: an error contributes UNKNOWN and its text, never VALID. */
		check_result_set_unknown(result, "checker %s failed: %s (%s)",
					 checker->ops->name,
					 eb->msg[0] ? eb->msg : "no message", strerror(-err));
	}
	result->checker = checker->ops->name;
	assert_result_sane(result);
	return err;
}

static int noop_check(const struct checker *checker, const struct history *history,
		      const struct check_opts *opts, struct check_result *result,
		      struct errbuf *eb)
{
	ASSERT(checker);
	ASSERT(result);
	return 0;
}

const struct checker_ops checker_noop_ops = {
	.name = "noop",
	.check = noop_check,
};

const struct checker checker_noop = { .ops = &checker_noop_ops };
