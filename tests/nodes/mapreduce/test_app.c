/* SPDX-License-Identifier: MIT */
/* test_app.c - the MapReduce applications and the partition function, table-driven. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "mr_app.h"

#define ROWS_OF(a) (sizeof(a) / sizeof((a)[0]))

enum { PAIRS_MAX = 16, TEXT_BYTES_MAX = 512 };

/* What a map emitted, each pair as "key=value", in order. */
struct emitted {
	char pairs[PAIRS_MAX][TEXT_BYTES_MAX];
	size_t count;
	int fail_at; /* emit returns -ENOSPC at this pair; -1 never */
};

static int collect_cb(void *ctx, struct mr_slice key, struct mr_slice value)
{
	struct emitted *e = ctx;

	cr_assert_lt(e->count, PAIRS_MAX);
	if ((int)e->count == e->fail_at)
		return -ENOSPC;
	snprintf(e->pairs[e->count++], TEXT_BYTES_MAX, "%.*s=%.*s", (int)key.size, key.bytes,
		 (int)value.size, value.bytes);
	return 0;
}

static struct mr_slice text(const char *s)
{
	return (struct mr_slice){ s, strlen(s) };
}

static int map(const char *app_name, const char *param, const char *doc, const char *input,
	       size_t input_size, struct emitted *e, struct errbuf *eb)
{
	struct mr_app app;

	cr_assert_eq(mr_app_init(&app, app_name, param, NULL), 0);
	memset(e, 0, sizeof(*e));
	e->fail_at = -1;
	return mr_app_map(&app, text(doc), (struct mr_slice){ input, input_size }, collect_cb, e,
			  eb);
}

/* One word-rule row: the input and the words wc emits, joined by '|'. */
struct word_row {
	const char *input;
	const char *words;
};

static const struct word_row word_rows[] = {
	{ "", "" },
	{ "a", "a" },
	{ "hello world", "hello|world" },
	{ "The the THE", "The|the|THE" },            /* case-sensitive */
	{ "abc123def", "abc|def" },                 /* digits separate */
	{ "don't stop-now", "don|t|stop|now" },     /* punctuation separates */
	{ "  ,.!?  ", "" },                          /* separators only */
	{ "\n\ttab\r\nline\n", "tab|line" },
	{ "caf\xc3\xa9 na\xefve", "caf|na|ve" },    /* bytes >= 0x80 separate */
	{ "[x]{y}_z@", "x|y|z" },                   /* the bytes next to A-Z and a-z */
	{ "end at buffer End", "end|at|buffer|End" }, /* a word at the end of the buffer */
};

Test(mapreduce_app, wc_word_rule_is_ascii_letters_case_sensitive)
{
	for (size_t i = 0; i < ROWS_OF(word_rows); i++) {
		struct emitted e;
		char joined[TEXT_BYTES_MAX] = "";

		cr_assert_eq(map("wc", NULL, "d", word_rows[i].input, strlen(word_rows[i].input),
				 &e, NULL), 0, "row %zu", i);
		for (size_t j = 0; j < e.count; j++) {
			size_t length = strlen(e.pairs[j]);

			cr_assert_str_eq(e.pairs[j] + length - 2, "=1", "row %zu", i);
			e.pairs[j][length - 2] = '\0';
			if (j > 0)
				strcat(joined, "|");
			strcat(joined, e.pairs[j]);
		}
		cr_assert_str_eq(joined, word_rows[i].words, "row %zu: '%s'", i,
				 word_rows[i].input);
	}
}

Test(mapreduce_app, wc_word_ends_at_buffer_end_without_reading_past_it)
{
	/* "wordX" with size 4: the word stops at the buffer's end, not at the X. */
	struct emitted e;

	cr_assert_eq(map("wc", NULL, "d", "wordX", 4, &e, NULL), 0);
	cr_assert_eq(e.count, 1);
	cr_assert_str_eq(e.pairs[0], "word=1");
}

static ssize_t reduce(const char *app_name, const char *param, const char *key,
		      const struct mr_slice *values, size_t count, char *out, size_t out_size,
		      struct errbuf *eb)
{
	struct mr_app app;
	struct mr_values it;
	struct mr_values_array array;

	cr_assert_eq(mr_app_init(&app, app_name, param, NULL), 0);
	mr_values_array_init(&it, &array, values, count);
	return mr_app_reduce(&app, text(key), &it, out, out_size, eb);
}

Test(mapreduce_app, wc_reduce_counts_values)
{
	struct mr_slice ones[3] = { { "1", 1 }, { "1", 1 }, { "1", 1 } };
	char out[32];
	ssize_t size = reduce("wc", NULL, "the", ones, 3, out, sizeof(out), NULL);

	cr_assert_eq(size, 1);
	cr_assert_eq(out[0], '3');
}

Test(mapreduce_app, wc_reduce_sums_partial_counts_and_is_its_own_combiner)
{
	struct mr_slice counts[3] = { { "1", 1 }, { "523", 3 }, { "18446744073709551614", 20 } };
	static const char *const bad[] = { "", "0", "01", "-1", "+1", "1x", " 1",
					   "18446744073709551616" };
	struct mr_values it;
	struct mr_values_array array;
	struct mr_app app;
	char out[32];
	struct errbuf eb;
	ssize_t size = reduce("wc", NULL, "the", counts, 2, out, sizeof(out), NULL);

	cr_assert_eq(size, 3);
	cr_assert_eq(memcmp(out, "524", 3), 0);
	cr_assert_eq(reduce("wc", NULL, "the", counts, 3, out, sizeof(out), &eb), -E2BIG, "%s",
		     eb.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mr_slice value = text(bad[i]);

		cr_assert_eq(reduce("wc", NULL, "w", &value, 1, out, sizeof(out), &eb), -EINVAL,
			     "'%s'", bad[i]);
	}
	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_not_null(app.ops->combine);
	mr_values_array_init(&it, &array, counts, 2);
	cr_assert_eq(mr_app_combine(&app, text("the"), &it, out, sizeof(out), NULL), 3);
	cr_assert_eq(mr_app_init(&app, "index", NULL, NULL), 0);
	cr_assert_null(app.ops->combine, "an index's values are documents, not counts");
	cr_assert_eq(mr_app_init(&app, "grep", "x", NULL), 0);
	cr_assert_null(app.ops->combine);
}

Test(mapreduce_app, index_map_emits_each_distinct_word_once_in_byte_order)
{
	const char *input = "b a b B a c";
	struct emitted e;

	cr_assert_eq(map("index", NULL, "doc1", input, strlen(input), &e, NULL), 0);
	cr_assert_eq(e.count, 4);
	cr_assert_str_eq(e.pairs[0], "B=doc1");
	cr_assert_str_eq(e.pairs[1], "a=doc1");
	cr_assert_str_eq(e.pairs[2], "b=doc1");
	cr_assert_str_eq(e.pairs[3], "c=doc1");
}

Test(mapreduce_app, index_reduce_sorts_and_dedups_documents)
{
	struct mr_slice docs[5] = { { "pg-c.txt", 8 }, { "pg-a.txt", 8 }, { "pg-b.txt", 8 },
				    { "pg-a.txt", 8 }, { "pg-aa.txt", 9 } };
	char out[128];
	ssize_t size = reduce("index", NULL, "word", docs, 5, out, sizeof(out), NULL);

	cr_assert_gt(size, 0);
	out[size] = '\0';
	cr_assert_str_eq(out, "4 pg-a.txt,pg-aa.txt,pg-b.txt,pg-c.txt");
}

Test(mapreduce_app, index_reduce_refuses_output_over_its_buffer)
{
	struct mr_slice docs[2] = { { "alpha", 5 }, { "beta", 4 } };
	char out[8];
	struct errbuf eb = { "" };

	cr_assert_eq(reduce("index", NULL, "w", docs, 2, out, sizeof(out), &eb), -E2BIG);
	cr_assert_neq(strstr(eb.msg, "over 8 bytes"), NULL, "%s", eb.msg);
}

Test(mapreduce_app, grep_keys_are_document_and_padded_line_number)
{
	const char *input = "a needle\nno\n\nneedles twice needle\nlast needle";
	struct emitted e;

	cr_assert_eq(map("grep", "needle", "d.txt", input, strlen(input), &e, NULL), 0);
	cr_assert_eq(e.count, 3);
	cr_assert_str_eq(e.pairs[0], "d.txt:0000000001=a needle");
	cr_assert_str_eq(e.pairs[1], "d.txt:0000000004=needles twice needle");
	cr_assert_str_eq(e.pairs[2], "d.txt:0000000005=last needle");
}

Test(mapreduce_app, grep_reduce_is_identity_and_refuses_differing_lines)
{
	struct mr_slice same[2] = { { "x y", 3 }, { "x y", 3 } };
	struct mr_slice differ[2] = { { "x y", 3 }, { "x z", 3 } };
	char out[16];
	struct errbuf eb = { "" };

	cr_assert_eq(reduce("grep", "x", "d:0000000001", same, 2, out, sizeof(out), NULL), 3);
	cr_assert_eq(memcmp(out, "x y", 3), 0);
	cr_assert_eq(reduce("grep", "x", "d:0000000001", differ, 2, out, sizeof(out), &eb),
		     -EINVAL);
	cr_assert_neq(strstr(eb.msg, "two different lines"), NULL, "%s", eb.msg);
}

/* Published FNV-1a 32-bit vectors (0x811c9dc5, 0xe40c292c, 0xbf9cf968), masked to 31 bits. */
struct hash_row {
	const char *key;
	uint32_t hash;
	uint32_t partition_of_10;
};

static const struct hash_row hash_rows[] = {
	{ "", 0x011c9dc5u, 18652613u % 10 },
	{ "a", 0x640c292cu, 1678518572u % 10 },
	{ "foobar", 0x3f9cf968u, 1067252072u % 10 },
};

Test(mapreduce_app, partition_is_fnv1a_masked_mod_r)
{
	for (size_t i = 0; i < ROWS_OF(hash_rows); i++) {
		struct mr_slice key = text(hash_rows[i].key);

		cr_assert_eq(mr_ihash(key), hash_rows[i].hash, "row %zu", i);
		cr_assert_eq(mr_partition(key, 10), hash_rows[i].partition_of_10, "row %zu", i);
		cr_assert_eq(mr_partition(key, 1), 0);
	}
	cr_assert_eq(mr_partition(text("a"), 10), 2);
	cr_assert_eq(mr_partition(text("foobar"), 7), 1067252072u % 7);
}

Test(mapreduce_app, too_long_word_is_refused_with_e2big)
{
	static char input[MR_KEY_BYTES_MAX + 3];
	struct emitted e;
	struct errbuf eb = { "" };

	memset(input, 'x', sizeof(input));
	input[0] = ' ';
	cr_assert_eq(map("wc", NULL, "big.txt", input, sizeof(input), &e, &eb), -E2BIG);
	cr_assert_eq(e.count, 0);
	cr_assert_neq(strstr(eb.msg, "big.txt"), NULL, "%s", eb.msg);
	cr_assert_neq(strstr(eb.msg, "word at byte 1 is 1026 bytes"), NULL, "%s", eb.msg);
	/* A word of exactly MR_KEY_BYTES_MAX is accepted. */
	cr_assert_eq(map("wc", NULL, "d", input, sizeof(input) - 2, &e, NULL), 0);
}

Test(mapreduce_app, emit_error_stops_the_map)
{
	struct mr_app app;
	struct emitted e = { .fail_at = 1 };

	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_app_map(&app, text("d"), text("one two three"), collect_cb, &e, NULL),
		     -ENOSPC);
	cr_assert_eq(e.count, 1);
}

Test(mapreduce_app, init_refuses_unknown_names_and_bad_parameters)
{
	struct mr_app app;
	struct errbuf eb = { "" };

	cr_assert_eq(mr_app_init(&app, "sort", NULL, &eb), -ENOENT);
	cr_assert_neq(strstr(eb.msg, "wc, index, grep"), NULL, "%s", eb.msg);
	cr_assert_eq(mr_app_init(&app, "grep", NULL, NULL), -EINVAL);
	cr_assert_eq(mr_app_init(&app, "grep", "a\nb", NULL), -EINVAL);
	cr_assert_eq(mr_app_init(&app, "wc", "x", NULL), -EINVAL);
	cr_assert_eq(mr_app_init(&app, "index", "", NULL), 0);
}

Test(mapreduce_app, document_names_with_separators_are_refused)
{
	const char *bad[] = { "", "a b", "a,b", "a\nb" };
	struct emitted e;

	for (size_t i = 0; i < ROWS_OF(bad); i++)
		cr_assert_eq(map("index", NULL, bad[i], "w", 1, &e, NULL), -EINVAL, "row %zu", i);
}

Test(mapreduce_app, reduce_refuses_empty_key_no_values_and_long_key)
{
	static char long_key[MR_KEY_BYTES_MAX + 2];
	char out[16];
	struct errbuf eb = { "" };

	memset(long_key, 'k', sizeof(long_key) - 1);
	cr_assert_eq(reduce("wc", NULL, "", NULL, 0, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(reduce("wc", NULL, "w", NULL, 0, out, sizeof(out), &eb), -EINVAL);
	cr_assert_neq(strstr(eb.msg, "no values"), NULL, "%s", eb.msg);
	cr_assert_eq(reduce("index", NULL, "w", NULL, 0, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(reduce("grep", "x", "w", NULL, 0, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(reduce("wc", NULL, long_key, NULL, 0, out, sizeof(out), &eb), -E2BIG);
	cr_assert_neq(strstr(eb.msg, "1025 bytes"), NULL, "%s", eb.msg);
}
