/* SPDX-License-Identifier: MIT */
/* test_jepsen_lenient.c - what Jepsen really writes is read with a warning naming its line,
 * and refused at that same line under strict. */
#include <criterion/criterion.h>
#include <string.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_test_files.h"
#include "jepsen_import.h"
#include "jepsen_lenient.h"

TestSuite(jepsen_lenient, .fini = test_dir_remove);

static char path[TEST_PATH_BYTES_MAX];

/* Loads @text (from a temp file) leniently into @h; asserts it loads. */
static void load_ok(struct history *h, const char *text)
{
	struct errbuf eb = { "" };

	test_write_text(path, "h.edn", text);
	cr_assert_eq(jepsen_import_load(h, path, NULL, NULL, &eb), 0, "%s", eb.msg);
}

/* Asserts h's warnings have one at @line that says @what. */
static void expect_warning(const struct history *h, int line, const char *what)
{
	char at[TEST_PATH_BYTES_MAX + 32];
	const char *w;

	snprintf(at, sizeof(at), "%s:%d: ", path, line);
	/* Bounded by the text: each pass moves past one match. */
	for (w = strstr(h->warning, at); w; w = strstr(w + 1, at)) {
		if (strncmp(w + strlen(at), what, strlen(what)) == 0)
			return;
	}
	cr_assert_fail("no warning \"%s%s\" in \"%s\"", at, what, h->warning);
}

/* Asserts @text is refused under strict with "path:@line: expected" and @what. */
static void expect_strict_error(const char *text, int line, const char *what)
{
	struct jepsen_import_opts strict = { .strict = true };
	char prefix[TEST_PATH_BYTES_MAX + 32];
	struct errbuf eb = { "" };
	struct history h;

	test_write_text(path, "h.edn", text);
	cr_assert_eq(jepsen_import_load(&h, path, &strict, NULL, &eb), -EINVAL, "%s", eb.msg);
	snprintf(prefix, sizeof(prefix), "%s:%d: expected", path, line);
	cr_assert(strncmp(eb.msg, prefix, strlen(prefix)) == 0, "\"%s\", want \"%s\"", eb.msg,
		  prefix);
	cr_assert_not_null(strstr(eb.msg, what), "\"%s\" lacks \"%s\"", eb.msg, what);
	cr_assert_not_null(strstr(eb.msg, "(--strict)"), "%s", eb.msg);
	cr_assert_eq(h.count, 0);
}

static const char nemesis_pair[] =
	"{:process 0, :type :invoke, :f :read, :value nil}\n"
	"{:type :info, :f :start-partition, :value :majorities-ring, :process :nemesis}\n"
	"{:process 0, :type :ok, :f :read, :value 3}\n"
	"{:type :info, :f :start-partition, :value {\"n1\" #{\"n2\"}}, :process :nemesis}\n";

Test(jepsen_lenient, nemesis_info_pair_is_an_invocation_and_its_completion)
{
	struct history h;

	load_ok(&h, nemesis_pair);
	cr_assert_eq(h.count, 4);
	cr_expect_eq(h.ops[1].process, OP_PROCESS_NEMESIS);
	cr_expect_eq(h.ops[1].type, OP_INVOKE);
	cr_expect_eq(h.ops[3].type, OP_INFO);
	cr_expect_eq(hist_pair(&h, 1), 3);
	expect_warning(&h, 2, "nemesis op logged as :info with no :invoke (1 op)");
	hist_fini(&h);
	expect_strict_error(nemesis_pair, 2, "a nemesis :info to complete an :invoke");
}

Test(jepsen_lenient, lone_nemesis_info_is_closed_by_the_next_nemesis_op)
{
	struct history h;

	load_ok(&h, "{:type :info, :f :kill, :value :all, :process :nemesis}\n"
		    "{:type :info, :f :start, :value :all, :process :nemesis}\n"
		    "{:type :info, :f :start, :value nil, :process :nemesis}\n");
	/* kill opens, start closes it (a made completion) and opens; the last closes start. */
	cr_assert_eq(h.count, 4);
	cr_expect_eq(h.ops[0].type, OP_INVOKE);
	cr_expect_str_eq(h.ops[1].f, "kill");
	cr_expect_eq(h.ops[1].type, OP_INFO);
	cr_expect_eq(h.ops[2].type, OP_INVOKE);
	cr_expect_str_eq(h.ops[2].f, "start");
	cr_expect_eq(h.ops[3].type, OP_INFO);
	cr_expect_eq(hist_pair(&h, 0), 1);
	cr_expect_eq(hist_pair(&h, 2), 3);
	expect_warning(&h, 1, "nemesis op logged as :info with no :invoke (2 ops)");
	hist_fini(&h);
}

static const char backwards[] =
	"{:process 0, :type :invoke, :f :write, :value 1, :time 500}\n"
	"{:process 1, :type :invoke, :f :read, :value nil, :time 900}\n"
	"{:process 0, :type :ok, :f :write, :value 1, :time 700}\n"
	"{:process 1, :type :ok, :f :read, :value 1, :time 1000}\n";

Test(jepsen_lenient, time_going_back_keeps_file_order)
{
	struct history h;

	load_ok(&h, backwards);
	cr_assert_eq(h.count, 4);
	cr_expect_eq(h.ops[2].time_ns, 900);
	cr_expect_eq(h.ops[3].time_ns, 1000);
	expect_warning(&h, 3, ":time goes back from the op before (1 op)");
	hist_fini(&h);
	expect_strict_error(backwards, 3, "non-decreasing");
}

static const char reused[] =
	"{:process 3, :type :invoke, :f :write, :value 1}\n"
	"{:process 3, :type :info, :f :write, :value 1, :error :timeout}\n"
	"{:process 3, :type :invoke, :f :read, :value nil}\n"
	"{:process 3, :type :ok, :f :read, :value 1}\n"
	"{:process 3, :type :info, :f :write, :value 2}\n";

Test(jepsen_lenient, a_process_reused_after_info_becomes_a_new_logical_process)
{
	struct errbuf eb = { "" };
	struct history h;

	/* The last line completes nothing: reuse is fitted, a stray completion is not. */
	test_write_text(path, "h.edn", reused);
	cr_assert_eq(jepsen_import_load(&h, path, NULL, NULL, &eb), -EINVAL);
	cr_expect_not_null(strstr(eb.msg, ":5: expected an invocation in flight"), "%s", eb.msg);
	load_ok(&h, "{:process 3, :type :invoke, :f :write, :value 1}\n"
		    "{:process 3, :type :info, :f :write, :value 1, :error :timeout}\n"
		    "{:process 3, :type :invoke, :f :read, :value nil}\n"
		    "{:process 3, :type :ok, :f :read, :value 1}\n"
		    "{:process 3, :type :invoke, :f :read, :value nil}\n");
	cr_assert_eq(h.count, 5);
	cr_expect_eq(h.ops[1].process, 3);
	cr_expect_eq(h.ops[2].process, JEPSEN_LOGICAL_PROCESS_BASE);
	cr_expect_eq(h.ops[3].process, JEPSEN_LOGICAL_PROCESS_BASE);
	cr_expect_eq(h.ops[4].process, JEPSEN_LOGICAL_PROCESS_BASE);
	cr_expect_eq(hist_pair(&h, 2), 3);
	expect_warning(&h, 3, "process invokes again after its op ended in :info (1 op)");
	hist_fini(&h);
	expect_strict_error(reused, 3, "no invocation from a process after its :info");
}

static const char sparse[] =
	"{:process 0, :type :invoke, :f :read, :value nil, :index 40}\n"
	"{:process 0, :type :ok, :f :read, :value nil, :index 41}\n"
	"{:process 0, :type :invoke, :f :read, :value nil, :index 57}\n"
	"{:process 0, :type :ok, :f :read, :value nil, :index 58}\n";

Test(jepsen_lenient, sparse_or_partial_index_is_renumbered_missing_index_is_quiet)
{
	struct history h;

	load_ok(&h, sparse);
	cr_assert_eq(h.count, 4);
	cr_expect_eq(h.ops[3].index, 3);
	expect_warning(&h, 1, ":index missing or not 0, 1, 2, ... in file order");
	hist_fini(&h);
	expect_strict_error(sparse, 1, ":index on every op");
	load_ok(&h, "{:process 0, :type :invoke, :f :read, :value nil, :index 0}\n"
		    "{:process 0, :type :ok, :f :read, :value nil}\n");
	expect_warning(&h, 2, ":index missing");
	hist_fini(&h);
	load_ok(&h, "{:process 0, :type :invoke, :f :read, :value nil}\n"
		    "{:process 0, :type :ok, :f :read, :value nil}\n");
	cr_expect_str_eq(h.warning, "");
	hist_fini(&h);
}

static const char tuples[] =
	"{:process 0, :type :invoke, :f :write, :value [7 1]}\n"
	"{:process 0, :type :ok, :f :write, :value [7 1]}\n"
	"{:process 1, :type :invoke, :f :cas, :value [8 [0 2]]}\n"
	"{:process 1, :type :fail, :f :cas, :value [8 [0 2]], :current 5}\n"
	"{:process 2, :type :invoke, :f :read, :value [\"k\" nil]}\n"
	"{:process :nemesis, :type :info, :f :start, :value [1 2]}\n"
	"{:process 2, :type :ok, :f :read, :value [\"k\" 4]}\n";

Test(jepsen_lenient, independent_tuples_are_split_into_key_and_value)
{
	struct history h;

	load_ok(&h, tuples);
	cr_assert_eq(h.count, 7);
	cr_expect_str_eq(h.ops[0].key, "7");
	cr_expect_eq(h.ops[0].value.kind, OP_VALUE_INT);
	cr_expect_eq(h.ops[0].value.integer, 1);
	cr_expect_str_eq(h.ops[2].key, "8");
	cr_assert_eq(h.ops[2].value.kind, OP_VALUE_INTS);
	cr_expect_eq(h.ops[2].value.count, 2);
	cr_expect_eq(h.ops[2].value.ints[1], 2);
	cr_expect_eq(h.ops[3].type, OP_FAIL);       /* :current, an extra key, ignored */
	cr_expect_str_eq(h.ops[4].key, "k");
	cr_expect_eq(h.ops[4].value.kind, OP_VALUE_NULL);
	cr_expect_null(h.ops[5].key);               /* the nemesis's value is its own */
	cr_expect_eq(h.ops[5].value.kind, OP_VALUE_INTS);
	cr_expect_eq(h.ops[6].value.integer, 4);
	expect_warning(&h, 1, "values are [key value] tuples (Jepsen independent)");
	hist_fini(&h);
	/* (Strict stops at the first oddity: here the tuples, with no nemesis op.) */
	expect_strict_error("{:process 0, :type :invoke, :f :write, :value [7 1]}\n"
			    "{:process 0, :type :ok, :f :write, :value [7 1]}\n",
			    1, "not a [key value] tuple");
}

Test(jepsen_lenient, a_plain_cas_register_is_not_taken_for_tuples)
{
	struct history h;

	load_ok(&h, "{:process 0, :type :invoke, :f :cas, :value [1 2]}\n"
		    "{:process 0, :type :ok, :f :cas, :value [1 2]}\n"
		    "{:process 0, :type :invoke, :f :write, :value 3}\n"
		    "{:process 0, :type :ok, :f :write, :value 3}\n");
	cr_expect_null(h.ops[0].key);
	cr_expect_eq(h.ops[0].value.kind, OP_VALUE_INTS);
	cr_expect_str_eq(h.warning, "");
	hist_fini(&h);
}

Test(jepsen_lenient, each_oddity_is_one_line_with_its_count)
{
	struct history h;

	load_ok(&h, "{:process 0, :type :invoke, :f :read, :value nil, :time 9}\n"
		    "{:type :info, :f :start, :value nil, :process :nemesis, :time 5}\n"
		    "{:process 0, :type :ok, :f :read, :value nil, :time 4}\n"
		    "{:type :info, :f :start, :value nil, :process :nemesis, :time 20}\n");
	cr_expect_eq(h.ops[2].time_ns, 9);
	expect_warning(&h, 2, "nemesis op logged as :info with no :invoke (1 op)");
	expect_warning(&h, 2, ":time goes back from the op before (2 ops)");
	cr_expect_not_null(strchr(h.warning, '\n'), "%s", h.warning);
	cr_expect_null(strchr(strchr(h.warning, '\n') + 1, '\n'), "%s", h.warning);
	hist_fini(&h);
}

Test(jepsen_lenient, native_jsonl_stays_strict)
{
	struct errbuf eb = { "" };
	struct history h;

	test_write_text(path, "h.jsonl",
			"{\"index\":0,\"time\":5,\"type\":\"invoke\",\"process\":0,"
			"\"f\":\"read\",\"value\":null}\n"
			"{\"index\":1,\"time\":4,\"type\":\"ok\",\"process\":0,"
			"\"f\":\"read\",\"value\":null}\n");
	cr_assert_eq(jepsen_import_load(&h, path, NULL, NULL, &eb), -EINVAL);
	cr_expect_not_null(strstr(eb.msg, ":2: expected \"time\" >= 5"), "%s", eb.msg);
}
