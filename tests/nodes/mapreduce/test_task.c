/* SPDX-License-Identifier: MIT */
/* test_task.c - map and reduce tasks in memory, chained as a job would chain them: the union
 * of their output files equals the sequential oracle, line for line, for every application;
 * and a reduce refuses torn or misplaced input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errbuf.h"
#include "mapreduce_oracle.h"
#include "mr_task.h"
#include "prng.h"

enum { MAPS = 4, REDUCES = 5, DOC_BYTES = 20000 };

static const char *const vocabulary[] = { "the", "and", "The", "a", "I", "of", "to", "Ab",
					   "ab", "abc", "zebra", "Zebra", "x", "yy", "needle" };

/* A document of words from the vocabulary, skewed, with punctuation, digits and newlines. */
static char *document(struct prng *prng, size_t *size)
{
	char *bytes = malloc(DOC_BYTES + 64);
	size_t used = 0;

	while (used < DOC_BYTES) {
		size_t pick = (size_t)prng_below(prng, 15);
		const char *word = vocabulary[pick < 8 ? pick : prng_below(prng, 15)];
		static const char separators[] = " \n,.;-1 9\n";

		memcpy(bytes + used, word, strlen(word));
		used += strlen(word);
		bytes[used++] = separators[prng_below(prng, sizeof(separators) - 1)];
	}
	*size = used;
	return bytes;
}

/* The reduce's output file's bytes, through a memfd. */
static char *reduce_to_bytes(const struct mr_app *app, const struct mr_reduce_input *inputs,
			     uint32_t reduce, uint64_t counters[MR_COUNTERS], size_t *size)
{
	int fd = memfd_create("mr-out", 0), copy;
	struct mr_ofile_writer *w = malloc(sizeof(*w));
	struct errbuf eb;
	char *bytes;
	off_t end;

	cr_assert_geq(fd, 0);
	copy = dup(fd);
	mr_ofile_writer_init(w, fd, "mr-out");
	cr_assert_eq(mr_reduce_task(app, inputs, MAPS, reduce, REDUCES, w, counters, &eb), 0,
		     "%s", eb.msg);
	cr_assert_eq(mr_ofile_finish(w, &eb), 0, "%s", eb.msg);
	free(w);
	end = lseek(copy, 0, SEEK_END);
	bytes = malloc((size_t)end + 1);
	cr_assert_eq(pread(copy, bytes, (size_t)end, 0), end);
	close(copy);
	*size = (size_t)end;
	return bytes;
}

/* The total of a word count's answer. */
static uint64_t words_of(const struct mr_oracle *oracle)
{
	uint64_t words = 0;

	for (size_t i = 0; i < mr_oracle_count(oracle); i++) {
		struct mr_slice count = mr_oracle_row(oracle, i).output;
		char text[24];

		cr_assert_lt(count.size, sizeof(text));
		memcpy(text, count.bytes, count.size);
		text[count.size] = '\0';
		words += strtoull(text, NULL, 10);
	}
	return words;
}

/* Run the job of @app over MAPS documents and compare each partition with the oracle. */
static void job_equals_oracle(const char *app_name, const char *param)
{
	struct mr_app app;
	struct mr_oracle *oracle;
	struct prng prng;
	struct mr_ibuf files[MAPS][REDUCES];
	uint64_t counters[MR_COUNTERS], emitted = 0, keys = 0;
	struct errbuf eb;

	memset(files, 0, sizeof(files));
	prng_init(&prng, 7);
	cr_assert_eq(mr_app_init(&app, app_name, param, NULL), 0);
	cr_assert_eq(mr_oracle_new(&app, &oracle, NULL), 0);
	for (uint32_t m = 0; m < MAPS; m++) {
		size_t size;
		char *bytes = document(&prng, &size), name[16];
		struct mr_slice doc = { name, (size_t)snprintf(name, sizeof(name), "doc-%u", m) };

		cr_assert_eq(mr_oracle_add_document(oracle, doc, (struct mr_slice){ bytes, size },
						    NULL), 0);
		cr_assert_eq(mr_map_task(&app, doc, (struct mr_slice){ bytes, size }, REDUCES,
					 files[m], counters, &eb), 0, "%s", eb.msg);
		cr_assert_eq(counters[MR_COUNTER_MAP_INPUT_BYTES], size);
		emitted += counters[MR_COUNTER_MAP_OUTPUT_PAIRS];
		free(bytes);
	}
	cr_assert_eq(mr_oracle_run(oracle, NULL), 0);
	for (uint32_t r = 0; r < REDUCES; r++) {
		struct mr_reduce_input inputs[MAPS];
		struct mr_ofile_reader reader;
		struct mr_slice key, output;
		size_t size, cursor = 0, index;
		char *bytes;

		for (uint32_t m = 0; m < MAPS; m++)
			inputs[m] = (struct mr_reduce_input){ files[m][r].bytes, files[m][r].size,
							      "input" };
		bytes = reduce_to_bytes(&app, inputs, r, counters, &size);
		keys += counters[MR_COUNTER_REDUCE_OUTPUT_KEYS];
		cr_assert_eq(mr_ofile_open(&reader, bytes, size, "mr-out", &eb), 0, "%s", eb.msg);
		cr_assert_eq(counters[MR_COUNTER_REDUCE_OUTPUT_BYTES], reader.body);
		while (mr_ofile_next(&reader, &key, &output, "mr-out", NULL) == 1) {
			struct mr_oracle_row row;

			cr_assert(mr_oracle_partition_next(oracle, REDUCES, r, &cursor, &index));
			row = mr_oracle_row(oracle, index);
			cr_assert_eq(mr_key_compare(key, row.key), 0, "%s reduce %u", app_name, r);
			cr_assert_eq(mr_key_compare(output, row.output), 0, "%s key %.*s: %.*s",
				     app_name, (int)key.size, key.bytes, (int)output.size,
				     output.bytes);
		}
		cr_assert_not(mr_oracle_partition_next(oracle, REDUCES, r, &cursor, &index));
		free(bytes);
	}
	cr_assert_eq(keys, mr_oracle_count(oracle));
	cr_assert_gt(keys, 0);
	if (strcmp(app_name, "wc") == 0)
		cr_assert_eq(emitted, words_of(oracle), "MAP_OUTPUT_PAIRS: words before combining");
	for (uint32_t m = 0; m < MAPS; m++)
		for (uint32_t r = 0; r < REDUCES; r++)
			mr_ibuf_free(&files[m][r]);
	mr_oracle_free(oracle);
}

Test(mapreduce_task, word_count_with_its_combiner_equals_the_oracle)
{
	job_equals_oracle("wc", NULL);
}

Test(mapreduce_task, the_inverted_index_equals_the_oracle)
{
	job_equals_oracle("index", NULL);
}

Test(mapreduce_task, grep_equals_the_oracle)
{
	job_equals_oracle("grep", "needle");
}

Test(mapreduce_task, the_combiner_sends_one_pair_per_word)
{
	struct mr_app app;
	struct mr_ibuf files[1] = { { 0 } };
	struct mr_ifile_reader r;
	uint64_t counters[MR_COUNTERS];
	static const char text[] = "a b a a c b a";

	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_map_task(&app, (struct mr_slice){ "d", 1 },
				 (struct mr_slice){ text, sizeof(text) - 1 }, 1, files, counters,
				 NULL), 0);
	cr_assert_eq(mr_ifile_open(&r, files[0].bytes, files[0].size, "f", NULL), 0);
	cr_assert_eq(r.count, 3, "a, b and c, each once");
	cr_assert_eq(counters[MR_COUNTER_MAP_OUTPUT_PAIRS], 7);
	mr_ibuf_free(&files[0]);
}

Test(mapreduce_task, a_reduce_refuses_torn_or_misplaced_input)
{
	struct mr_app app;
	struct mr_ibuf good = { 0 };
	struct mr_reduce_input input;
	struct mr_ofile_writer *w = malloc(sizeof(*w));
	uint64_t counters[MR_COUNTERS];
	struct mr_slice one = { "1", 1 };
	struct errbuf eb;
	const char *key = "x";
	uint32_t partition = mr_partition((struct mr_slice){ "x", 1 }, REDUCES);

	cr_assert_eq(mr_app_init(&app, "wc", NULL, NULL), 0);
	cr_assert_eq(mr_ibuf_append(&good, (struct mr_slice){ key, 1 }, one, NULL), 0);
	cr_assert_eq(mr_ibuf_seal(&good, NULL), 0);
	input = (struct mr_reduce_input){ good.bytes, good.size - 1, "map 2's file" };
	mr_ofile_writer_init(w, -1, "out");
	cr_assert_eq(mr_reduce_task(&app, &input, 1, partition, REDUCES, w, counters, &eb),
		     -EBADMSG);
	cr_assert(strstr(eb.msg, "map 2's file") != NULL, "%s", eb.msg);
	cr_assert(strstr(eb.msg, "torn") != NULL, "%s", eb.msg);
	input.size = good.size;
	cr_assert_eq(mr_reduce_task(&app, &input, 1, (partition + 1) % REDUCES, REDUCES, w,
				    counters, &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "is of partition") != NULL, "%s", eb.msg);
	mr_ibuf_free(&good);
	free(w);
}
