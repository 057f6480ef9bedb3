/* SPDX-License-Identifier: MIT */
/* test_jepsen_set.c - Jepsen's set checker: attempts, acknowledgements and the final read;
 * lost, unexpected and recovered elements; an EDN history through the importer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "checker.h"
#include "checker_table.h"
#include "hist_build.h"
#include "jepsen_fixture.h"
#include "jepsen_set.h"

static struct hist_build b;
static struct check_result r;

static void setup(void)
{
	hb_init(&b);
	check_result_init(&r);
}

static void teardown(void)
{
	check_result_fini(&r);
	hb_fini(&b);
}

TestSuite(jepsen_set, .init = setup, .fini = teardown);

static enum verdict run(void)
{
	cr_assert_eq(jepsen_fixture_check(&jepsen_set_checker, &b.h, NULL, &r), 0, "%s",
		     r.unknown_reason);
	return r.verdict;
}

static void add(int32_t p, int64_t element, enum op_type type)
{
	hb_op(&b, p, "add", NULL, HB_INT(element), type, HB_INT(element), false);
}

static bool figures_have(const char *text)
{
	return r.figures && strstr(r.figures, text);
}

/* Jepsen's set-test, op for op: two ok adds, two crashed, two failed, one final read. */
Test(jepsen_set, jepsen_reference_history)
{
	add(0, 0, OP_OK);
	add(0, 1, OP_OK);
	add(1, 10, OP_INFO);
	add(2, 11, OP_INFO);
	add(3, 20, OP_FAIL);
	add(3, 21, OP_FAIL);
	hb_op(&b, 4, "read", NULL, HB_NULL, OP_OK, HB_SET(0, 10, 20, 30), false);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 2);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "unexpected"), 1);
	cr_expect(figures_have("set: attempt-count 6, acknowledged-count 2, ok-count 3, "
			       "lost-count 1, recovered-count 2, unexpected-count 1\n"),
		  "%s", r.figures);
	cr_expect(figures_have("ok: #{0 10 20}\n"), "%s", r.figures);
	cr_expect(figures_have("lost: #{1}\n"), "%s", r.figures);
	cr_expect(figures_have("unexpected: #{30}\n"), "%s", r.figures);
	cr_expect(figures_have("recovered: #{10 20}\n"), "%s", r.figures);
}

Test(jepsen_set, never_read_is_unknown)
{
	add(0, 1, OP_OK);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_FAIL, HB_NULL, false);
	cr_expect_eq(run(), VERDICT_UNKNOWN);
	cr_expect_str_eq(r.unknown_reason, "set was never read");
	cr_expect_eq(r.anomalies_total, 0);
}

Test(jepsen_set, crashed_add_may_be_absent_and_the_last_ok_read_is_final)
{
	add(0, 1, OP_OK);
	add(0, 2, OP_OK);
	add(1, 3, OP_INFO);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(1), false);   /* not final */
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_OK, HB_SET(2, 1), false);
	hb_op(&b, 2, "read", NULL, HB_NULL, OP_FAIL, HB_NULL, false);
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect_eq(r.anomalies_total, 0);
	cr_expect(figures_have("ok-count 2, lost-count 0, recovered-count 0"), "%s", r.figures);
	cr_expect(figures_have("ok: #{1..2}\n"), "%s", r.figures);
}

Test(jepsen_set, lost_element_cites_its_add_and_the_final_read)
{
	add(0, 5, OP_OK);
	add(0, 6, OP_OK);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_SET(6), false);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect_str_eq(r.anomalies[0].message, "element 5 was added ok (op 0) but is not in "
			 "the final read (op 4)");
	cr_expect_eq(r.anomalies[0].op_count, 4);
	cr_expect_eq(r.anomalies[0].ops[1], 1);
	cr_expect_eq(r.anomalies[0].ops[3], 5);
}

Test(jepsen_set, runs_of_integers_are_folded_in_the_figures)
{
	for (int64_t e = 1; e <= 7; e++)
		add(0, e == 6 ? 60 : e, OP_OK);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_SET(7, 1, 2, 3, 4, 5, 60, 60), false);
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect(figures_have("ok: #{1..5 7 60}\n"), "%s", r.figures);
}

Test(jepsen_set, string_elements_and_a_named_add_f)
{
	struct check_opts o = { .add_f = "insert", .read_f = "scan" };

	hb_op(&b, 0, "insert", NULL, HB_JSON("\"a\""), OP_OK, HB_NULL, false);
	hb_op(&b, 0, "insert", NULL, HB_JSON("\"b\""), OP_OK, HB_NULL, false);
	hb_op(&b, 0, "add", NULL, HB_JSON("\"c\""), OP_OK, HB_NULL, false);  /* not an add */
	hb_op(&b, 1, "scan", NULL, HB_NULL, OP_OK, HB_JSON("[\"a\", \"c\"]"), false);
	cr_expect_eq(jepsen_fixture_check(&jepsen_set_checker, &b.h, &o, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "unexpected"), 1);
	cr_expect(figures_have("lost: #{\"b\"}\n"), "%s", r.figures);
	cr_expect(figures_have("unexpected: #{\"c\"}\n"), "%s", r.figures);
}

Test(jepsen_set, a_read_that_is_not_a_collection_is_an_error)
{
	add(0, 1, OP_OK);
	hb_op(&b, 1, "read", NULL, HB_NULL, OP_OK, HB_INT(1), false);
	cr_expect_eq(jepsen_fixture_check(&jepsen_set_checker, &b.h, NULL, &r), -EINVAL);
	cr_expect_eq(r.verdict, VERDICT_UNKNOWN);
	cr_expect(strstr(r.unknown_reason, "op 3 (the final read): expected a collection"), "%s",
		  r.unknown_reason);
}

Test(jepsen_set, edn_history_through_the_importer)
{
	static const char edn[] =
		"[{:process 0, :type :invoke, :f :add, :value :a}\n"
		" {:process 0, :type :ok, :f :add, :value :a}\n"
		" {:process 1, :type :invoke, :f :add, :value :b}\n"
		" {:process 1, :type :info, :f :add, :value :b}\n"
		" {:process 0, :type :invoke, :f :add, :value :c}\n"
		" {:process 0, :type :ok, :f :add, :value :c}\n"
		" {:process 2, :type :invoke, :f :read, :value nil}\n"
		" {:process 2, :type :ok, :f :read, :value #{:a :b :z}}]\n";
	struct history h;

	jepsen_fixture_load_edn(&h, edn);
	cr_expect_str_eq(checker_entry_detect(&h)->name, "set");
	cr_expect_eq(jepsen_fixture_check(&jepsen_set_checker, &h, NULL, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "lost"), 1);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "unexpected"), 1);
	cr_expect(figures_have("lost: #{\"c\"}\n"), "%s", r.figures);
	cr_expect(figures_have("recovered: #{\"b\"}\n"), "%s", r.figures);
	cr_expect(figures_have("unexpected: #{\"z\"}\n"), "%s", r.figures);
	hist_fini(&h);
}
