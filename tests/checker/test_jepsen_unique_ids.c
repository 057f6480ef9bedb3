/* SPDX-License-Identifier: MIT */
/* test_jepsen_unique_ids.c - Jepsen's unique-ids checker: duplicates with their counts,
 * attempted and acknowledged counts, the range, composite ids, and an EDN history. */
#include <criterion/criterion.h>
#include <string.h>

#include "checker.h"
#include "checker_table.h"
#include "hist_build.h"
#include "jepsen_fixture.h"
#include "jepsen_unique_ids.h"

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

TestSuite(jepsen_unique_ids, .init = setup, .fini = teardown);

static enum verdict run(void)
{
	cr_assert_eq(jepsen_fixture_check(&jepsen_unique_ids_checker, &b.h, NULL, &r), 0, "%s",
		     r.unknown_reason);
	return r.verdict;
}

static void generate(int32_t p, enum op_type type, struct hb_val id)
{
	hb_op(&b, p, "generate", NULL, HB_NULL, type, id, false);
}

static bool figures_have(const char *text)
{
	return r.figures && strstr(r.figures, text);
}

Test(jepsen_unique_ids, empty_history_is_valid)
{
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect(figures_have("unique-ids: attempted-count 0, acknowledged-count 0, "
			       "duplicated-count 0, range [nil nil]\n"), "%s", r.figures);
}

/* Jepsen's "dups" case: 0 three times, a crashed generate. */
Test(jepsen_unique_ids, duplicates_are_counted)
{
	generate(0, OP_OK, HB_INT(0));
	generate(1, OP_OK, HB_INT(1));
	generate(2, OP_OK, HB_INT(0));
	generate(3, OP_OK, HB_INT(0));
	generate(4, OP_INFO, HB_NULL);
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "duplicated"), 1);
	cr_expect_str_eq(r.anomalies[0].message, "id 0 was generated 3 times (first ok at ops 1 "
			 "and 5)");
	cr_expect_eq(r.anomalies[0].op_count, 4);
	cr_expect(figures_have("unique-ids: attempted-count 5, acknowledged-count 4, "
			       "duplicated-count 1, range [0 1]\n"), "%s", r.figures);
	cr_expect(figures_have("duplicated (id x count): 0 x3\n"), "%s", r.figures);
}

Test(jepsen_unique_ids, failed_and_crashed_generates_are_not_ids)
{
	generate(0, OP_OK, HB_INT(-4));
	generate(0, OP_FAIL, HB_INT(-4));
	generate(1, OP_INFO, HB_INT(-4));
	hb_invoke(&b, 2, "generate", NULL, HB_NULL, false);
	generate(3, OP_OK, HB_INT(9));
	cr_expect_eq(run(), VERDICT_VALID);
	cr_expect_eq(r.anomalies_total, 0);
	cr_expect(figures_have("attempted-count 5, acknowledged-count 2, duplicated-count 0, "
			       "range [-4 9]\n"), "%s", r.figures);
}

Test(jepsen_unique_ids, composite_ids_compare_whole)
{
	generate(0, OP_OK, HB_SET(1, 7));
	generate(1, OP_OK, HB_SET(2, 7));
	generate(2, OP_OK, HB_JSON("[1, 7]"));
	generate(3, OP_OK, HB_SET(7, 1));
	cr_expect_eq(run(), VERDICT_INVALID);
	cr_expect_eq(r.anomalies_total, 1);
	cr_expect(strstr(r.anomalies[0].message, "id [1,7] was generated 2 times"), "%s",
		  r.anomalies[0].message);
	cr_expect(figures_have("range [[1,7] [7,1]]"), "%s", r.figures);
}

Test(jepsen_unique_ids, edn_history_through_the_importer)
{
	static const char edn[] =
		"{:process 0, :type :invoke, :f :generate, :value nil}\n"
		"{:process 0, :type :ok, :f :generate, :value \"n1-1\"}\n"
		"{:process 1, :type :invoke, :f :generate, :value nil}\n"
		"{:process 1, :type :ok, :f :generate, :value \"n2-1\"}\n"
		"{:process 0, :type :invoke, :f :generate, :value nil}\n"
		"{:process 0, :type :ok, :f :generate, :value \"n1-1\"}\n"
		"{:process 1, :type :invoke, :f :generate, :value nil}\n"
		"{:process 1, :type :ok, :f :generate, :value \"n1-1\"}\n"
		"{:process 1, :type :invoke, :f :generate, :value nil}\n"
		"{:process 1, :type :ok, :f :generate, :value \"n2-1\"}\n";
	struct history h;

	jepsen_fixture_load_edn(&h, edn);
	cr_expect_str_eq(checker_entry_detect(&h)->name, "unique-ids");
	cr_expect_eq(jepsen_fixture_check(&jepsen_unique_ids_checker, &h, NULL, &r), 0);
	cr_expect_eq(r.verdict, VERDICT_INVALID);
	cr_expect_eq(jepsen_fixture_kind_count(&r, "duplicated"), 2);
	cr_expect(figures_have("duplicated-count 2, range [\"n1-1\" \"n2-1\"]"), "%s", r.figures);
	cr_expect(figures_have("duplicated (id x count): \"n1-1\" x3 \"n2-1\" x2\n"), "%s",
		  r.figures);
	hist_fini(&h);
}
