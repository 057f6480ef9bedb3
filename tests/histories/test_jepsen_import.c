/* SPDX-License-Identifier: MIT */
/* test_jepsen_import.c - Jepsen EDN and console-log histories, and their errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_test_files.h"
#include "jepsen_import.h"

TestSuite(jepsen_import, .fini = test_dir_remove);

/* Loads @text from a temp file named @name; the path goes to @path. */
static int load(struct history *h, const char *name, const char *text,
		char path[TEST_PATH_BYTES_MAX], enum jepsen_form *form, struct errbuf *eb)
{
	test_write_text(path, name, text);
	return jepsen_import_load(h, path, NULL, form, eb);
}

/* Expects the load of @text to fail with "<path>:<line>: expected" and @what in the text. */
static void expect_error(const char *text, int line, const char *what)
{
	char path[TEST_PATH_BYTES_MAX], prefix[TEST_PATH_BYTES_MAX + 32];
	struct errbuf eb = { "" };
	struct history h;
	int err = load(&h, "bad.edn", text, path, NULL, &eb);

	cr_assert_lt(err, 0, "accepted: %s", text);
	snprintf(prefix, sizeof(prefix), "%s:%d: expected", path, line);
	cr_assert(strncmp(eb.msg, prefix, strlen(prefix)) == 0, "message \"%s\", want \"%s\"",
		  eb.msg, prefix);
	cr_assert_not_null(strstr(eb.msg, what), "message \"%s\" lacks \"%s\"", eb.msg, what);
	cr_assert_eq(h.count, 0);
}

Test(jepsen_import, detects_each_form_from_the_content)
{
	static const char jsonl[] = "{\"index\":0}", edn[] = " ; c\n{:process 0}",
			  vec[] = "[{:a 1}]", list[] = "({:a 1})", log[] = "INFO  jepsen.util - 0";

	cr_assert_eq(jepsen_form_detect(jsonl, strlen(jsonl)), JEPSEN_FORM_JSONL);
	cr_assert_eq(jepsen_form_detect(edn, strlen(edn)), JEPSEN_FORM_EDN);
	cr_assert_eq(jepsen_form_detect(vec, strlen(vec)), JEPSEN_FORM_EDN);
	cr_assert_eq(jepsen_form_detect(list, strlen(list)), JEPSEN_FORM_EDN);
	cr_assert_eq(jepsen_form_detect(log, strlen(log)), JEPSEN_FORM_LOG);
	cr_assert_eq(jepsen_form_detect(" \n;x\n", 5), JEPSEN_FORM_EMPTY);
	cr_assert_str_eq(jepsen_form_name(JEPSEN_FORM_LOG), "log");
}

Test(jepsen_import, reads_edn_maps_one_per_line)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	enum jepsen_form form;
	struct history h;
	int err = load(&h, "h.edn",
		       "{:process 0, :type :invoke, :f :cas, :key \"k\", :value [1 2]}\n"
		       "{:process :nemesis, :type :invoke, :f :start, :value nil}\n"
		       "{:process 0, :type :ok, :f :cas, :key \"k\", :value [1 2],\n"
		       "  :extra {:a [1]}}\n"
		       "{:process :nemesis, :type :info, :f :start, :value {:n1 [\"n2\"]}}\n"
		       "{:process 1, :type :invoke, :f :put, :key 7, :value \"a\\\"b\"}\n",
		       path, &form, &eb);

	cr_assert_eq(err, 0, "%s", eb.msg);
	cr_assert_eq(form, JEPSEN_FORM_EDN);
	cr_assert_eq(h.count, 5);
	cr_assert_eq(h.ops[0].value.kind, OP_VALUE_INTS);
	cr_assert_eq(h.ops[0].value.count, 2);
	cr_assert_eq(h.ops[0].value.ints[1], 2);
	cr_assert_str_eq(h.ops[0].key, "k");
	cr_assert_str_eq(h.ops[0].f, "cas");
	cr_assert_eq(h.ops[1].process, OP_PROCESS_NEMESIS);
	cr_assert_eq(h.ops[1].value.kind, OP_VALUE_NULL);
	cr_assert_eq(h.ops[2].type, OP_OK);
	cr_assert_str_eq(h.ops[3].value.json, "{\"n1\":[\"n2\"]}");
	cr_assert_str_eq(h.ops[4].value.json, "\"a\\\"b\"");
	cr_assert_str_eq(h.ops[4].key, "7");
	for (uint64_t i = 0; i < h.count; i++) {
		cr_assert_eq(h.ops[i].index, i);
		cr_assert_eq(h.ops[i].time_ns, (int64_t)i);
	}
	cr_assert_eq(hist_pair(&h, 0), 2);
	cr_assert_eq(hist_pair(&h, 4), HIST_NO_PAIR);
	hist_fini(&h);
}

Test(jepsen_import, reads_one_edn_vector_with_comments_and_times)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct history h;
	int err = load(&h, "v.edn",
		       "; a Jepsen history\n[\n"
		       "{:index 9 :time 100 :process 0 :type :invoke :f :read :value nil} ; r\n"
		       "{:index 10 :time 250 :process 0 :type :ok :f :read :value -3}\n]\n",
		       path, NULL, &eb);

	cr_assert_eq(err, 0, "%s", eb.msg);
	cr_assert_eq(h.count, 2);
	cr_assert_eq(h.ops[1].index, 1);
	cr_assert_eq(h.ops[1].time_ns, 250);
	cr_assert_eq(h.ops[1].value.kind, OP_VALUE_INT);
	cr_assert_eq(h.ops[1].value.integer, -3);
	hist_fini(&h);
}

Test(jepsen_import, reads_the_console_log_with_timeouts)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	enum jepsen_form form;
	struct history h;
	int err = load(&h, "etcd.log",
		       "INFO  jepsen.util - 0\t:invoke\t:write\t4\n"
		       "INFO  jepsen.util - 1  :invoke :cas    [3 0]\n"
		       "\n"
		       "INFO  jepsen.util - 0\t:info\t:write\t:timed-out\n"
		       "INFO  jepsen.util - 1\t:fail\t:cas\t[3 0]\n"
		       "INFO  jepsen.util - 5\t:invoke\t:read\tnil\n"
		       "INFO  jepsen.util - 5\t:ok\t:read\tnil\n", path, &form, &eb);

	cr_assert_eq(err, 0, "%s", eb.msg);
	cr_assert_eq(form, JEPSEN_FORM_LOG);
	cr_assert_eq(h.count, 6);
	cr_assert_eq(h.ops[0].value.integer, 4);
	cr_assert_eq(h.ops[1].value.kind, OP_VALUE_INTS);
	cr_assert_eq(h.ops[2].type, OP_INFO);
	cr_assert_eq(h.ops[2].value.kind, OP_VALUE_NULL);
	cr_assert_str_eq(op_error(&h.ops[2]), "timed-out");
	cr_assert_eq(h.ops[3].type, OP_FAIL);
	cr_assert_eq(h.ops[5].value.kind, OP_VALUE_NULL);
	cr_assert_eq(hist_pair(&h, 1), 3);
	hist_fini(&h);
}

Test(jepsen_import, empty_file_is_an_empty_history_and_jsonl_passes_through)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	enum jepsen_form form;
	struct history h;

	cr_assert_eq(load(&h, "empty.log", "", path, &form, &eb), 0, "%s", eb.msg);
	cr_assert_eq(form, JEPSEN_FORM_EMPTY);
	cr_assert_eq(h.count, 0);
	hist_fini(&h);
	cr_assert_eq(load(&h, "h.jsonl", "{\"index\":0,\"time\":5,\"process\":0,\"type\":"
			  "\"invoke\",\"f\":\"read\",\"value\":null}\n", path, &form, &eb), 0,
		     "%s", eb.msg);
	cr_assert_eq(form, JEPSEN_FORM_JSONL);
	cr_assert_eq(h.count, 1);
	cr_assert_eq(h.ops[0].time_ns, 5);
	hist_fini(&h);
}

Test(jepsen_import, names_file_and_line_of_edn_syntax_errors)
{
	expect_error("{:process 0, :type :invoke, :f :read}\n{:process 1, :type\n", 2,
		     "closing bracket");
	expect_error("{:process 0 :type :invoke :f :read :value \"abc}\n", 1, "string");
	expect_error("[{:process 0 :type :invoke :f :read}\n", 1, "']'");
	expect_error("{:process 0 :type :invoke :f :read :value 99999999999999999999}", 1,
		     "64 bits");
	expect_error("{:process 0 :type :invoke :f :read :value [1 2)}", 1, "']'");
	expect_error("{:a 1 :a 2}", 1, "distinct map keys");
	expect_error("\n\n{:process 0 :type :invoke :f :read :value \"\\q\"}", 3, "escape");
	expect_error("[{:process 0 :type :invoke :f :read}] x", 1, "nothing after");
}

Test(jepsen_import, names_file_and_line_of_bad_fields_and_broken_rules)
{
	expect_error("{:process 0, :type :invoke, :f :read}\n{:type :ok, :f :read}\n", 2,
		     ":process");
	expect_error("{:process 0, :type :done, :f :read}\n", 1, ":type");
	expect_error("{:process 0, :type :invoke, :f 3}\n", 1, ":f");
	expect_error("{:process 0, :type :invoke, :f :read, :time -1}\n", 1, ":time");
	expect_error("[1]\n", 1, "op map");
	/* The format's rules: a completion with no invocation in flight. */
	expect_error("{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :read}\n"
		     "{:process 0, :type :ok, :f :read}\n", 3, "");
}

Test(jepsen_import, names_file_and_line_of_bad_log_lines)
{
	expect_error("hello world\n\nno ops here\n", 1, "found none in 3 lines");
	expect_error("INFO  jepsen.util - 0\t:invoke\n", 1, "<process> :<type> :<f>");
	expect_error("INFO  jepsen.util - 0\t:invoke\t:read\tnil\textra\n", 1, "line to end");
	expect_error("INFO  jepsen.util - x\t:invoke\t:read\tnil\n", 1, ":process");
	expect_error("INFO  jepsen.util - 0\t:invoke\t:read\t[1 2\n", 1, "closing bracket");
}

Test(jepsen_import, detects_discards_tagged_ops_and_logs_that_open_with_other_lines)
{
	static const char discard[] = "#_ [1 2] #_#_ x y\n{:process 0}",
			  only[] = "#_ {:process 0} ; gone\n",
			  tagged[] = "#jepsen.history.Op{:a 1}",
			  broken[] = "#_", thread[] = "[jepsen worker 3] jepsen.util: 3\t:invoke",
			  noise[] = "2017-03-28 13:41:52,803{GMT}\tINFO\t[main] jepsen.cli: Test\n"
				    "[main] more\n"
				    "INFO [2024-01-02 10:11:12,345] w - jepsen.util 0\t:invoke\n";
	const char *second = strchr(noise, '\n') + 1;      /* "[main] more", then an op */

	cr_assert_eq(jepsen_form_detect(discard, strlen(discard)), JEPSEN_FORM_EDN);
	cr_assert_eq(jepsen_form_detect(only, strlen(only)), JEPSEN_FORM_EMPTY);
	cr_assert_eq(jepsen_form_detect(tagged, strlen(tagged)), JEPSEN_FORM_EDN);
	cr_assert_eq(jepsen_form_detect(broken, strlen(broken)), JEPSEN_FORM_EDN);
	cr_assert_eq(jepsen_form_detect(thread, strlen(thread)), JEPSEN_FORM_LOG);
	cr_assert_eq(jepsen_form_detect(noise, strlen(noise)), JEPSEN_FORM_LOG);
	cr_assert_eq(jepsen_form_detect(second, strlen(second)), JEPSEN_FORM_LOG);
	cr_assert_eq(jepsen_form_detect("[1]", 3), JEPSEN_FORM_EDN);
}

Test(jepsen_import, discards_forms_at_top_level_and_chained)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	enum jepsen_form form;
	struct history h;
	int err = load(&h, "d.edn",
		       "#_ {:process 7, :type :ok, :f :read}\n"
		       "{:process 0, :type :invoke, :f :read, :value nil}\n"
		       "#_ #_ {:process 0, :type :ok, :f :read, :value 1}\n"
		       "      {:process 0, :type :ok, :f :read, :value 2}\n"
		       "#_#_#_ 1 \"two\" #{3}\n"
		       "#_ #inst \"2024-01-02\" #_ [{:process 1}]\n"
		       "{:process 0, :type :ok, :f :read, :value 3}\n", path, &form, &eb);

	cr_assert_eq(err, 0, "%s", eb.msg);
	cr_assert_eq(form, JEPSEN_FORM_EDN);
	cr_assert_eq(h.count, 2);
	cr_assert_eq(h.ops[0].type, OP_INVOKE);
	cr_assert_eq(h.ops[1].type, OP_OK);
	cr_assert_eq(h.ops[1].value.integer, 3);
	hist_fini(&h);
}

Test(jepsen_import, discards_forms_inside_maps_vectors_and_before_keys_and_values)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct history h;
	int err = load(&h, "m.edn",
		       "[{#_ :process :process 0, :type #_ :ok :invoke, :f :cas,\n"
		       "  :value #_ [9 9] [1 #_ [3 [4 #_ 5]] #_ {:a 1} 2], #_ :key #_ \"x\"\n"
		       "  :key \"k\" #_ (:node \"n9\")}\n"
		       " {:process 0, :type :ok, :f :cas, :value [1 2] :key \"k\",\n"
		       "  :error #_ :a #_ :b :c}]\n", path, NULL, &eb);

	cr_assert_eq(err, 0, "%s", eb.msg);
	cr_assert_eq(h.count, 2);
	cr_assert_eq(h.ops[0].process, 0);
	cr_assert_eq(h.ops[0].type, OP_INVOKE);
	cr_assert_eq(h.ops[0].value.kind, OP_VALUE_INTS);
	cr_assert_eq(h.ops[0].value.count, 2);
	cr_assert_eq(h.ops[0].value.ints[0], 1);
	cr_assert_eq(h.ops[0].value.ints[1], 2);
	cr_assert_str_eq(h.ops[0].key, "k");
	cr_assert_null(op_node(&h.ops[0]));
	cr_assert_str_eq(op_error(&h.ops[1]), "c");
	hist_fini(&h);
}

Test(jepsen_import, discards_the_final_op_of_each_form)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct history h;

	cr_assert_eq(load(&h, "v.edn",
			  "[{:process 0, :type :invoke, :f :read}\n"
			  " {:process 0, :type :ok, :f :read, :value 4}\n"
			  " #_ {:process 0, :type :invoke, :f :read}] #_ \"after\"\n", path, NULL,
			  &eb), 0, "%s", eb.msg);
	cr_assert_eq(h.count, 2);
	cr_assert_eq(h.ops[1].value.integer, 4);
	hist_fini(&h);
	cr_assert_eq(load(&h, "l.edn",
			  "{:process 0, :type :invoke, :f :read}\n"
			  "#_ {:process 0, :type :ok, :f :read, :value 4}\n; the end\n", path, NULL,
			  &eb), 0, "%s", eb.msg);
	cr_assert_eq(h.count, 1);
	cr_assert_eq(hist_pair(&h, 0), HIST_NO_PAIR);
	hist_fini(&h);
}

Test(jepsen_import, names_the_line_of_a_discard_with_nothing_after_it)
{
	char path[TEST_PATH_BYTES_MAX], want[TEST_PATH_BYTES_MAX + 80];
	struct errbuf eb = { "" };
	struct history h;

	cr_assert_eq(load(&h, "end.edn", "{:process 0, :type :invoke, :f :read}\n#_ \n", path,
			  NULL, &eb), -EBADMSG);
	snprintf(want, sizeof(want), "%s:2: expected a form after #_ (it discards the next "
		 "form), got end of input", path);
	cr_assert_str_eq(eb.msg, want);
	expect_error("{:process 0, :type :invoke, :f :read}\n#_\n", 2,
		     "form after #_ (it discards the next form), got end of input");
	expect_error("{:process 0, :type :invoke, :f :read}\n\n#_ #_ {:process 1}\n", 3,
		     "got end of input");
	expect_error("[{:process 0, :type :invoke, :f :read}\n #_\n]\n", 2,
		     "got \"]\" at line 3");
	expect_error("{:process 0, :type :invoke, :f :read, :value [1 #_]}\n", 1, "got \"]}\"");
	expect_error("{:process 0, :type :invoke, :f :read #_}\n", 1, "after #_");
	expect_error("#_", 1, "after #_");
	expect_error("{:process 0, :type :invoke, :f :read}\n#_ {:a \n", 2, "closing bracket");
}

Test(jepsen_import, reads_op_lines_among_log_output_and_stack_traces)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	enum jepsen_form form;
	struct history h;
	int err = load(&h, "jepsen.log",
		       "2017-03-28 13:41:52,803{GMT}\tINFO\t[jepsen node n1] jepsen.db: Set up\n"
		       "2017-03-28 13:41:52,900{GMT}\tINFO\t[main] jepsen.cli: Test options:\n"
		       " {:concurrency 5,\n"
		       "  :nodes [\"n1\" \"n2\"]}\n"
		       "INFO [2024-01-02 10:11:12,345] jepsen worker 0 - jepsen.util 0\t:invoke"
		       "\t:read\tnil\n"
		       "2017-03-28 13:41:53,001{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 3\t"
		       ":invoke\t:cas\t[1 2]\n"
		       "WARN [2024-01-02 10:11:13,000] jepsen worker 3 - jepsen.core Process 3 "
		       "crashed\n"
		       "java.net.SocketTimeoutException: Read timed out\n"
		       "\tat java.net.SocketInputStream.socketRead0(Native Method)\n"
		       "\tat jepsen.util$timeout.invoke(util.clj:12)\n"
		       "Caused by: java.io.IOException: jepsen.util - broken\n"
		       "\t... 12 more\n"
		       "\n"
		       "INFO [2024-01-02 10:11:13,100] jepsen worker 0 - jepsen.util 0\t:ok\t:read"
		       "\t3\r\n"
		       "INFO [2024-01-02 10:11:13,200] jepsen worker 3 - jepsen.util 3\t:info\t"
		       ":cas\t[1 2]\tindeterminate: Read timed out\n"
		       "INFO  jepsen.util - Waiting for etcd...\n"
		       "INFO  jepsen.util - :nemesis\t:invoke\t:start\tnil\n"
		       "INFO  jepsen.util - :nemesis\t:info\t:start\t{\"n1\" [\"n2\"]}\n"
		       "INFO\t[jepsen worker 3] jepsen.print: 8\t:invoke\t:write\t2\n"
		       "INFO  jepsen.util - 8\t:fail\t:write\t2\t[:crash \"x\"]\n",
		       path, &form, &eb);

	cr_assert_eq(err, 0, "%s", eb.msg);
	cr_assert_eq(form, JEPSEN_FORM_LOG);
	cr_assert_eq(h.count, 8);
	cr_assert_eq(h.ops[0].process, 0);
	cr_assert_str_eq(h.ops[0].f, "read");
	cr_assert_eq(h.ops[0].value.kind, OP_VALUE_NULL);
	cr_assert_eq(h.ops[1].process, 3);
	cr_assert_str_eq(h.ops[1].f, "cas");
	cr_assert_eq(h.ops[1].value.kind, OP_VALUE_INTS);
	cr_assert_eq(h.ops[2].type, OP_OK);
	cr_assert_eq(h.ops[2].value.integer, 3);
	cr_assert_eq(h.ops[3].type, OP_INFO);
	cr_assert_eq(h.ops[3].value.kind, OP_VALUE_INTS);
	cr_assert_eq(h.ops[3].value.ints[1], 2);
	cr_assert_str_eq(op_error(&h.ops[3]), "indeterminate: Read timed out");
	cr_assert_eq(h.ops[4].process, OP_PROCESS_NEMESIS);
	cr_assert_str_eq(h.ops[5].value.json, "{\"n1\":[\"n2\"]}");
	cr_assert_eq(h.ops[6].process, 8);
	cr_assert_eq(h.ops[6].type, OP_INVOKE);
	cr_assert_eq(h.ops[7].type, OP_FAIL);
	cr_assert_eq(h.ops[7].value.integer, 2);
	cr_assert_str_eq(op_error(&h.ops[7]), "[\"crash\",\"x\"]");
	cr_assert_eq(hist_pair(&h, 1), 3);
	cr_assert_not_null(strstr(h.warning, "skipped 11 non-op lines"),
			   "warning \"%s\"", h.warning);
	hist_fini(&h);
}

Test(jepsen_import, names_file_and_line_of_log_lines_with_the_marker_and_garbage)
{
	static const char noise[] = "2017-03-28 13:41:52,803{GMT}\tINFO\t[main] jepsen.db: Up\n"
				    "\tat jepsen.db$setup.invoke(db.clj:4)\n";
	char text[512];

	snprintf(text, sizeof(text), "%s%s", noise,
		 "2017-03-28 13:41:53,001{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 3\t"
		 ":invoke\t:cas\t[1 2\n");
	expect_error(text, 3, "closing bracket");
	snprintf(text, sizeof(text), "%s%s", noise, "INFO  jepsen.util - 3 :bogus :read nil\n");
	expect_error(text, 3, ":type");
	snprintf(text, sizeof(text), "%s%s", noise, "INFO  jepsen.util - 3 ]]] x\n");
	expect_error(text, 3, "expected");
	snprintf(text, sizeof(text), "%s%s", noise, "INFO jepsen.util 3\t:invoke\t:read\tnil ok\n");
	expect_error(text, 3, "line to end");
	expect_error("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
		     "INFO  jepsen.util - 0\t:ok\t:read\t1\t:late\n"
		     "INFO  jepsen.util - zero :ok :read 1\n", 3, ":process");
}
