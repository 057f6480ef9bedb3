/* SPDX-License-Identifier: MIT */
/* test_checker.c - the dispatcher, verdict arithmetic and check_result helpers (checker.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "check_compose.h"
#include "checker_table.h"
#include "crdt_model.h"
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

static int failing_check(const struct checker *c, const struct check_run *run,
			 const struct check_opts *o, struct check_result *r, struct errbuf *eb)
{
	return errbuf_set(eb, -EBADMSG, "op 3: broken on purpose");
}

static const struct checker_ops failing_ops = { .name = "failing", .check = failing_check };

Test(checker, dispatcher_turns_an_error_into_unknown)
{
	const struct checker failing = { .ops = &failing_ops };
	struct check_opts o = { .model = NULL };
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

/* ---- compose: verdicts merge by maximum, every part runs ---- */

static int found_check(const struct checker *c, const struct check_run *run,
		       const struct check_opts *o, struct check_result *r, struct errbuf *eb)
{
	uint64_t op = 1;

	check_result_add_anomaly(r, "lost-add", &op, 1, "found on purpose");
	r->model = "fake";
	return 0;
}

static int undecided_check(const struct checker *c, const struct check_run *run,
			   const struct check_opts *o, struct check_result *r, struct errbuf *eb)
{
	check_result_set_unknown(r, "undecided on purpose");
	return 0;
}

static int seen_runs;

static int quiet_check(const struct checker *c, const struct check_run *run,
		       const struct check_opts *o, struct check_result *r, struct errbuf *eb)
{
	seen_runs += run->dir && strcmp(run->dir, "/some/run") == 0;
	return 0;
}

static const struct checker_ops found_ops = { .name = "found", .check = found_check };
static const struct checker_ops undecided_ops = { .name = "undecided",
						  .check = undecided_check };
static const struct checker_ops quiet_ops = { .name = "quiet", .check = quiet_check };
static const struct checker found = { .ops = &found_ops }, undecided = { .ops = &undecided_ops },
			     quiet = { .ops = &quiet_ops }, failing = { .ops = &failing_ops };

static enum verdict composed(const struct checker *const *parts, uint32_t count, int *err,
			     struct check_result *r)
{
	struct check_opts o = { .model = NULL };
	struct check_compose c;
	struct hist_build b;
	struct errbuf eb;

	hb_init(&b);
	check_compose_init(&c, "both", parts, count);
	check_result_init(r);
	*err = checker_check_run(&c.base, &(struct check_run){ .history = &b.h,
							       .dir = "/some/run" }, &o, r, &eb);
	hb_fini(&b);
	return r->verdict;
}

Test(checker, compose_merges_verdicts_by_maximum_and_runs_every_part)
{
	const struct checker *valid2[] = { &quiet, &quiet };
	const struct checker *unknown[] = { &quiet, &undecided };
	const struct checker *invalid[] = { &undecided, &found, &quiet };
	const struct checker *broken[] = { &failing, &quiet };
	struct check_result r;
	int err;

	seen_runs = 0;
	cr_expect_eq(composed(valid2, 2, &err, &r), VERDICT_VALID);
	cr_expect_eq(seen_runs, 2, "every part sees the run directory");
	cr_expect_str_eq(r.checker, "both");
	check_result_fini(&r);
	cr_expect_eq(composed(unknown, 2, &err, &r), VERDICT_UNKNOWN);
	check_result_fini(&r);
	cr_expect_eq(composed(invalid, 3, &err, &r), VERDICT_INVALID);
	cr_expect_eq(r.anomaly_count, 1);
	cr_expect(strstr(r.unknown_reason, "undecided on purpose"), "%s", r.unknown_reason);
	cr_expect_str_eq(r.model, "fake");
	cr_expect_eq(seen_runs, 4, "the part after the finding ran too");
	check_result_fini(&r);
	cr_expect_eq(composed(broken, 2, &err, &r), VERDICT_UNKNOWN);
	cr_expect_eq(err, -EBADMSG);
	cr_expect(strstr(r.unknown_reason, "broken on purpose"), "%s", r.unknown_reason);
	cr_expect_eq(seen_runs, 5, "a failed part does not stop the rest");
	check_result_fini(&r);
}

/* ---- the registry ---- */

Test(checker, registry_names_are_unique_and_each_makes_a_checker)
{
	const struct checker_entry *e;
	const struct checker *c;
	char names[512];

	for (size_t i = 0; (e = checker_entry_at(i)); i++) {
		struct check_opts o = { .model = NULL };
		struct errbuf eb;

		cr_expect_eq(checker_entry_find(e->name), e, "%s: found by its name", e->name);
		cr_expect(e->help && e->help[0]);
		cr_assert_eq(checker_make(e, NULL, &o, &c, &eb), 0, "%s: %s", e->name, eb.msg);
		cr_expect(c && c->ops && c->ops->check);
		checker_free((struct checker *)c);
	}
	checker_entry_names(names, sizeof(names));
	cr_expect_str_eq(names, "gcounter, gset, orset, lww, cas-register, register, mutex, "
			 "multi-register, kv, linearizable-set, unordered-queue, fifo-queue, pbft, "
			 "chord, window, mapreduce, counter, set, set-full, broadcast, queue, "
			 "total-queue, unique-ids");
	cr_expect_null(checker_entry_find("nosuch"));
}

Test(checker, a_run_picks_its_checker_by_model_then_by_system)
{
	struct hist_build b;

	cr_expect_str_eq(checker_entry_for_run("crdt", "orset")->name, "orset");
	cr_expect_str_eq(checker_entry_for_run("pbft", NULL)->name, "pbft");
	cr_expect_str_eq(checker_entry_for_run("pbft", "cas-register")->name, "pbft",
			 "a pbft run names the model its checker extends");
	cr_expect_str_eq(checker_entry_for_run("lww", NULL)->name, "lww");
	cr_expect_str_eq(checker_entry_for_run(NULL, "kv")->name, "kv");
	cr_expect_null(checker_entry_for_run("nosuch", NULL));
	cr_expect_null(checker_entry_for_run(NULL, "nosuch"));
	hb_init(&b);
	cr_expect_str_eq(checker_entry_detect(&b.h)->name, "crdt",
			 "a history nothing claims goes to the CRDT checker");
	hb_fini(&b);
}
