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
	free(result->figures);
	free(result->warnings);
	check_result_init(result);
}

void check_result_add_figures(struct check_result *result, const char *fmt, ...)
{
	size_t had = result->figures ? strlen(result->figures) : 0;
	va_list ap;
	char *grown;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0 || (size_t)n > CHECK_FIGURES_BYTES_MAX - had)
		return;
	grown = realloc(result->figures, had + (size_t)n + 1);
	if (!grown)
		return;
	va_start(ap, fmt);
	vsnprintf(grown + had, (size_t)n + 1, fmt, ap);
	va_end(ap);
	result->figures = grown;
}

void check_result_add_warning(struct check_result *result, const char *fmt, ...)
{
	size_t had = result->warnings ? strlen(result->warnings) : 0;
	va_list ap;
	char *grown;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0 || (size_t)n > CHECK_WARNINGS_BYTES_MAX - had)
		return;
	grown = realloc(result->warnings, had + (had > 0) + (size_t)n + 1);
	if (!grown)
		return;
	if (had)
		grown[had++] = '\n';
	va_start(ap, fmt);
	vsnprintf(grown + had, (size_t)n + 1, fmt, ap);
	va_end(ap);
	result->warnings = grown;
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

int checker_check_run(const struct checker *checker, const struct check_run *run,
		      const struct check_opts *opts, struct check_result *result,
		      struct errbuf *eb)
{
	const struct history *history = run ? run->history : NULL;
	struct errbuf local;
	int err;

	ASSERT(checker && checker->ops && checker->ops->check && checker->ops->name);
	ASSERT(history);
	ASSERT(history->count == 0 || (history->ops && history->pair32));
	ASSERT(opts);
	ASSERT(result);
	ASSERT(result->anomalies_total == 0 && result->verdict == VERDICT_VALID);
	if (!eb)
		eb = &local;
	errbuf_clear(eb);
	result->checker = checker->ops->name;
	result->op_count = history->count;
	err = checker->ops->check(checker, run, opts, result, eb);
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

int check_history(const struct checker *checker, const struct history *history,
		  const struct check_opts *opts, struct check_result *result, struct errbuf *eb)
{
	return checker_check_run(checker, &(struct check_run){ .history = history }, opts,
				 result, eb);
}

static int noop_check(const struct checker *checker, const struct check_run *run,
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
