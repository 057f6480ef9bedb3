/* SPDX-License-Identifier: MIT */
/* test_writer.c - the writer: round trips, rule checks before writing, concurrent appends. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_test_files.h"
#include "monotime.h"

TestSuite(hist_writer, .fini = test_dir_remove);

static off_t file_size(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0);
	return st.st_size;
}

static struct hist_writer *open_writer(char path[TEST_PATH_BYTES_MAX], const char *name)
{
	struct hist_writer *w;
	struct errbuf eb = { "" };

	test_path(path, name);
	cr_assert_eq(hist_writer_open(&w, path, monotime_ns(), &eb), 0, "%s", eb.msg);
	return w;
}

static void append_ok(struct hist_writer *w, struct op *op)
{
	struct errbuf eb = { "" };

	cr_assert_eq(hist_writer_append(w, op, &eb), 0, "%s", eb.msg);
}

static const int64_t ints3[] = { 3, -1, 9000000000 };
static const char *const fs[] = { "add", "read", "cas" };
static const char *const jsons[] = { "{\"a\":[1,\"b\"]}", "\"text\"", "1.5", "[1,\"x\"]" };

static const struct op_note note_n1 = { .node = "n1" }, note_boom = { .error = "boom" };

/* The i-th op of the round-trip history: process i % 5 invokes, then completes. */
static struct op sample_op(int i)
{
	int process = (i / 2) % 5;
	struct op op = {
		.type = i % 2 == 0 ? OP_INVOKE : (i % 6 == 1 ? OP_FAIL : OP_OK),
		.process = process == 4 ? OP_PROCESS_NEMESIS : process,
		.f = fs[(i / 2) % 3],
		.note = i % 3 == 0 ? &note_n1 : i % 6 == 1 ? &note_boom : NULL,
		.key = i % 4 == 0 ? "k" : NULL,
		.final = i > 900,
	};

	/* Jepsen's nemesis ops complete as info, after which it may invoke again. */
	if (op.process == OP_PROCESS_NEMESIS && op.type != OP_INVOKE)
		op.type = OP_INFO;
	switch (i % 4) {
	case 0:
		op.value.kind = OP_VALUE_NULL;
		break;
	case 1:
		op.value = (struct op_value){ .kind = OP_VALUE_INT, .integer = -i };
		break;
	case 2:
		op.value = (struct op_value){ .kind = OP_VALUE_INTS, .count = (uint32_t)(i % 3),
					      .ints = i % 3 ? ints3 : NULL };
		break;
	default:
		op.value = (struct op_value){ .kind = OP_VALUE_JSON, .json = jsons[(i / 4) % 4] };
		break;
	}
	return op;
}

static void expect_value_eq(const struct op_value *got, const struct op_value *want, int i)
{
	cr_assert_eq(got->kind, want->kind, "op %d", i);
	if (want->kind == OP_VALUE_INT)
		cr_expect_eq(got->integer, want->integer, "op %d", i);
	if (want->kind == OP_VALUE_JSON)
		cr_expect_str_eq(got->json, want->json, "op %d", i);
	if (want->kind != OP_VALUE_INTS)
		return;
	cr_assert_eq(got->count, want->count, "op %d", i);
	for (uint32_t k = 0; k < want->count; k++)
		cr_expect_eq(got->ints[k], want->ints[k], "op %d", i);
}

static void expect_string_eq(const char *got, const char *want, int i)
{
	if (!want)
		cr_expect_null(got, "op %d", i);
	else
		cr_expect_str_eq(got, want, "op %d", i);
}

Test(hist_writer, round_trips_every_field_through_the_reader)
{
	enum { OPS_COUNT = 1000 };
	char path[TEST_PATH_BYTES_MAX];
	struct hist_writer *w = open_writer(path, "rt.jsonl");
	struct errbuf eb = { "" };
	struct hist_reader *r;
	int64_t times[OPS_COUNT];
	struct op op;

	for (int i = 0; i < OPS_COUNT; i++) {
		op = sample_op(i);
		append_ok(w, &op);
		cr_assert_eq(op.index, (uint64_t)i);
		times[i] = op.time_ns;
	}
	cr_assert_eq(hist_writer_close(w), 0);
	cr_assert_eq(hist_reader_open(&r, path, &eb), 0, "%s", eb.msg);
	for (int i = 0; i < OPS_COUNT; i++) {
		struct op want = sample_op(i);

		cr_assert_eq(hist_reader_next(r, &op, &eb), 1, "op %d: %s", i, eb.msg);
		cr_expect_eq(op.index, (uint64_t)i);
		cr_expect_eq(op.time_ns, times[i]);
		cr_expect_eq(op.type, want.type);
		cr_expect_eq(op.process, want.process);
		cr_expect_str_eq(op.f, want.f);
		expect_string_eq(op_node(&op), op_node(&want), i);
		expect_string_eq(op.key, want.key, i);
		expect_string_eq(op_error(&op), op_error(&want), i);
		cr_expect_eq(op.final, want.final);
		expect_value_eq(&op.value, &want.value, i);
	}
	cr_expect_eq(hist_reader_next(r, &op, &eb), 0, "%s", eb.msg);
	hist_reader_close(r);
}

Test(hist_writer, writes_keys_in_the_documented_order)
{
	char path[TEST_PATH_BYTES_MAX];
	struct hist_writer *w = open_writer(path, "order.jsonl");
	struct op op = { .type = OP_INVOKE, .process = OP_PROCESS_NEMESIS, .f = "kill",
			 .value = { .kind = OP_VALUE_JSON, .json = "{ \"n\" : [ 1 ] }" },
			 .note = &(struct op_note){ .node = "n2", .error = "e" }, .key = "k",
			 .final = true };
	char line[256] = "";
	char want[256];
	FILE *file;

	append_ok(w, &op);
	cr_assert_eq(hist_writer_close(w), 0);
	file = fopen(path, "r");
	cr_assert_not_null(file);
	cr_assert_not_null(fgets(line, sizeof(line), file));
	fclose(file);
	snprintf(want, sizeof(want), "{\"index\":0,\"time\":%lld,\"process\":\"nemesis\","
		 "\"type\":\"invoke\",\"f\":\"kill\",\"value\":{\"n\":[1]},\"node\":\"n2\","
		 "\"key\":\"k\",\"error\":\"e\",\"final\":true}\n", (long long)op.time_ns);
	cr_expect_str_eq(line, want);
}

Test(hist_writer, refuses_to_overwrite_an_existing_file)
{
	char path[TEST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct hist_writer *w;

	test_write_text(path, "exists.jsonl", "");
	cr_expect_eq(hist_writer_open(&w, path, 0, &eb), -EEXIST);
	cr_expect_null(w);
	cr_expect_not_null(strstr(eb.msg, path), "%s", eb.msg);
}

/* Appends @bad, which must be refused with -EINVAL and @word, leaving the file as it was. */
static void expect_refused(struct hist_writer *w, const char *path, struct op *bad,
			   const char *word)
{
	struct errbuf eb = { "" };
	off_t size = file_size(path);

	cr_expect_eq(hist_writer_append(w, bad, &eb), -EINVAL, "%s", eb.msg);
	cr_expect_not_null(strstr(eb.msg, word), "\"%s\" lacks \"%s\"", eb.msg, word);
	cr_expect_not_null(strstr(eb.msg, path), "\"%s\" lacks the path", eb.msg);
	cr_expect_eq(file_size(path), size, "nothing written");
}

Test(hist_writer, refuses_rule_breaking_ops_and_writes_nothing)
{
	char path[TEST_PATH_BYTES_MAX];
	struct hist_writer *w = open_writer(path, "rules.jsonl");
	struct op invoke = { .type = OP_INVOKE, .process = 1, .f = "read" };
	struct op op;

	append_ok(w, &invoke);
	op = invoke;
	expect_refused(w, path, &op, "in flight");
	op = (struct op){ .type = OP_OK, .process = 1, .f = "write" };
	expect_refused(w, path, &op, "\"f\"");
	op = (struct op){ .type = OP_OK, .process = 2, .f = "read" };
	expect_refused(w, path, &op, "invocation in flight");
	op = (struct op){ .type = OP_INVOKE, .process = 2, .f = "" };
	expect_refused(w, path, &op, "non-empty");
	op = (struct op){ .type = OP_INVOKE, .process = -7, .f = "read" };
	expect_refused(w, path, &op, "\"process\"");
	op = (struct op){ .type = OP_INVOKE, .process = 2, .f = "read",
			  .value = { .kind = OP_VALUE_JSON, .json = "{oops" } };
	expect_refused(w, path, &op, "\"value\"");
	op = (struct op){ .type = OP_INVOKE, .process = 2, .f = "read",
			  .note = &(struct op_note){ .node = "\xff\xfe" } };
	expect_refused(w, path, &op, "\"node\"");
	op = (struct op){ .type = OP_INFO, .process = 1, .f = "read" };
	append_ok(w, &op);
	cr_expect_eq(op.index, 1, "refused ops take no index");
	op = invoke;
	expect_refused(w, path, &op, "after info");
	op = (struct op){ .type = OP_INVOKE, .process = 2, .f = "read" };
	append_ok(w, &op);
	cr_expect_eq(op.index, 2);
	cr_expect_eq(hist_writer_close(w), 0);
}

Test(hist_writer, lets_the_nemesis_invoke_again_after_info)
{
	char path[TEST_PATH_BYTES_MAX];
	struct hist_writer *w = open_writer(path, "nemesis.jsonl");
	struct op op;

	for (int i = 0; i < 3; i++) {
		op = (struct op){ .type = OP_INVOKE, .process = OP_PROCESS_NEMESIS, .f = "kill" };
		append_ok(w, &op);
		op.type = OP_INFO;
		append_ok(w, &op);
	}
	cr_expect_eq(op.index, 5);
	cr_expect_eq(hist_writer_close(w), 0);
}

enum { THREADS_COUNT = 8, THREAD_PAIRS_COUNT = 500 };

struct thread_arg {
	struct hist_writer *w;
	int process;
	int failures;
};

static void *append_pairs(void *arg_ptr)
{
	struct thread_arg *arg = arg_ptr;
	int64_t ints[2] = { arg->process, 0 };

	for (int i = 0; i < THREAD_PAIRS_COUNT; i++) {
		struct op op = { .type = OP_INVOKE, .process = arg->process, .f = "add",
				 .value = { .kind = OP_VALUE_INTS, .count = 2, .ints = ints } };

		ints[1] = i;
		arg->failures += hist_writer_append(arg->w, &op, NULL) != 0;
		op.type = i % 2 ? OP_OK : OP_FAIL;
		arg->failures += hist_writer_append(arg->w, &op, NULL) != 0;
	}
	return NULL;
}

Test(hist_writer, keeps_a_dense_valid_history_under_concurrent_appends)
{
	char path[TEST_PATH_BYTES_MAX];
	struct hist_writer *w = open_writer(path, "threads.jsonl");
	struct thread_arg args[THREADS_COUNT];
	pthread_t threads[THREADS_COUNT];
	struct errbuf eb = { "" };
	struct history h;
	uint64_t next[THREADS_COUNT] = { 0 };

	for (int t = 0; t < THREADS_COUNT; t++) {
		args[t] = (struct thread_arg){ .w = w, .process = t };
		cr_assert_eq(pthread_create(&threads[t], NULL, append_pairs, &args[t]), 0);
	}
	for (int t = 0; t < THREADS_COUNT; t++) {
		cr_assert_eq(pthread_join(threads[t], NULL), 0);
		cr_expect_eq(args[t].failures, 0);
	}
	cr_assert_eq(hist_writer_close(w), 0);
	cr_assert_eq(hist_load(&h, path, &eb), 0, "%s", eb.msg);
	cr_assert_eq(h.count, THREADS_COUNT * THREAD_PAIRS_COUNT * 2);
	for (uint64_t i = 0; i < h.count; i++) {
		const struct op *op = &h.ops[i];

		cr_assert_eq(op->value.kind, OP_VALUE_INTS);
		cr_assert_eq(op->value.ints[0], op->process);
		/* Each thread's ops appear in its own program order. */
		cr_assert_eq((uint64_t)op->value.ints[1], next[op->process] / 2);
		next[op->process]++;
		cr_assert_neq(hist_pair(&h, i), HIST_NO_PAIR);
	}
	hist_fini(&h);
}
