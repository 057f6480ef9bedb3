/* SPDX-License-Identifier: MIT */
/* test_checker.c - the dispatcher, verdict arithmetic and check_result helpers (checker.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "hist_build.h"

TestSuite(checker);

Test(checker, verdicts_merge_by_maximum)
{
	cr_expect_eq(verdict_merge(VERDICT_VALID, VERDICT_UNKNOWN), VERDICT_UNKNOWN);
	cr_expect_eq(verdict_merge(VERDICT_INVALID, VERDICT_UNKNOWN), VERDICT_INVALID);
	cr_expect_eq(verdict_merge(VERDICT_VALID, VERDICT_VALID), VERDICT_VALID);
	cr_expect_str_eq(verdict_name(VERDICT_INVALID), "invalid");
	cr_expect_str_eq(verdict_name(VERDICT_UNKNOWN), "unknown");
	cr_expect_str_eq(verdict_name(VERDICT_VALID), "valid");
}

Test(checker, models_parse_and_name)
{
	enum crdt_model m;

	cr_expect_eq(crdt_model_parse("orset", &m), 0);
	cr_expect_eq(m, CRDT_MODEL_ORSET);
	cr_expect_eq(crdt_model_parse("none", &m), -EINVAL);
	cr_expect_eq(crdt_model_parse("lww", &m), -EINVAL);
	cr_expect_str_eq(crdt_model_name(CRDT_MODEL_GCOUNTER), "gcounter");
}

Test(checker, anomalies_past_the_cap_are_counted)
{
	struct check_result r;
	uint64_t ops[CHECK_ANOMALY_OPS_MAX + 4] = { 0 };

	check_result_init(&r);
	for (int k = 0; k < CHECK_ANOMALIES_MAX + 5; k++)
		check_result_add_anomaly(&r, "lost-add", ops, CHECK_ANOMALY_OPS_MAX + 4, "n%d", k);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(r.anomaly_count, CHECK_ANOMALIES_MAX);
	cr_expect_eq(r.anomalies_total, CHECK_ANOMALIES_MAX + 5);
	cr_expect_eq(r.anomalies[0].op_count, CHECK_ANOMALY_OPS_MAX);
	check_result_set_unknown(&r, "a");
	cr_expect_eq(r.verdict, VERDICT_INVALID, "unknown never lowers invalid");
	check_result_fini(&r);
	cr_expect_null(r.anomalies);
}

Test(checker, unknown_reasons_accumulate)
{
	struct check_result r;

	check_result_init(&r);
	check_result_set_unknown(&r, "first %d", 1);
	check_result_set_unknown(&r, "second");
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect_str_eq(r.unknown_reason, "first 1; second");
	check_result_fini(&r);
}

static int failing_check(const struct checker *c, const struct history *h,
			 const struct check_opts *o, struct check_result *r, struct errbuf *eb)
{
	return errbuf_set(eb, -EBADMSG, "op 3: broken on purpose");
}

static const struct checker_ops failing_ops = { .name = "failing", .check = failing_check };

Test(checker, dispatcher_turns_an_error_into_unknown)
{
	const struct checker failing = { .ops = &failing_ops };
	struct check_opts o = { .model = CRDT_MODEL_NONE };
	struct check_result r;
	struct hist_build b;
	struct errbuf eb;

	hb_init(&b);
	check_result_init(&r);
	cr_expect_eq(check_history(&failing, &b.h, &o, &r, &eb), -EBADMSG);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "broken on purpose"), "%s", r.unknown_reason);
	cr_expect_str_eq(r.checker, "failing");
	check_result_fini(&r);
	check_result_init(&r);
	cr_expect_eq(check_history(&checker_noop, &b.h, &o, &r, &eb), 0);
	cr_expect_eq(r.verdict, VERDICT_VALID);
	check_result_fini(&r);
	hb_fini(&b);
}
