/* SPDX-License-Identifier: MIT */
/* mr_task.c - a map task and a reduce task over bytes in memory (mr_task.h). */
#include "mr_task.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "mr_pairs.h"

/* What a map's emits go to: the partition files directly, or the pairs to combine. */
struct map_sink {
	uint32_t reduces;
	struct mr_ibuf *files;
	struct mr_pairs *pairs;         /* NULL without a combiner */
	uint64_t emitted;
	struct errbuf *eb;
};

static int map_emit_cb(void *ctx, struct mr_slice key, struct mr_slice value)
{
	struct map_sink *sink = ctx;

	sink->emitted++;
	if (sink->pairs)
		return mr_pairs_add(sink->pairs, key, value, 1, sink->eb);
	return mr_ibuf_append(&sink->files[mr_partition(key, sink->reduces)], key, value,
			      sink->eb);
}

/* Combine each key's values and put one pair per key in its partition's file. */
static int combine_into_files(const struct mr_app *app, struct map_sink *sink,
			      struct errbuf *eb)
{
	struct mr_pairs_group group;
	size_t cursor = 0;
	char *out = malloc(MR_OUTPUT_BYTES_MAX);
	int err = 0;

	if (!out)
		return errbuf_set(eb, -ENOMEM, "map: out of memory");
	mr_pairs_sort(sink->pairs);
	while (!err && mr_pairs_group_next(sink->pairs, &cursor, &group)) {
		ssize_t size = mr_app_combine(app, group.key, &group.values, out,
					      MR_VALUE_BYTES_MAX, eb);

		if (size < 0)
			err = (int)size;
		else
			err = mr_ibuf_append(&sink->files[mr_partition(group.key, sink->reduces)],
					     group.key, (struct mr_slice){ out, (size_t)size },
					     eb);
	}
	free(out);
	return err;
}

int mr_map_task(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
		uint32_t reduces, struct mr_ibuf *files, uint64_t counters[MR_COUNTERS],
		struct errbuf *eb)
{
	struct map_sink sink = { reduces, files, NULL, 0, eb };
	int err = 0;

	ASSERT(reduces >= 1 && reduces <= MR_REDUCES_MAX);
	if (app->ops->combine)
		err = mr_pairs_new(MR_TASK_PAIR_BYTES_MAX, MR_TASK_PAIRS_MAX, &sink.pairs, eb);
	if (!err)
		err = mr_app_map(app, name, input, map_emit_cb, &sink, eb);
	if (!err && sink.pairs)
		err = combine_into_files(app, &sink, eb);
	for (uint32_t r = 0; !err && r < reduces; r++)
		err = mr_ibuf_seal(&files[r], eb);
	mr_pairs_free(sink.pairs);
	if (err) {
		for (uint32_t r = 0; r < reduces; r++)
			mr_ibuf_free(&files[r]);
		return errbuf_prefix(eb, err, "map of '%.*s': ", (int)(name.size < 64 ? name.size :
								       64), name.bytes);
	}
	memset(counters, 0, MR_COUNTERS * sizeof(*counters));
	counters[MR_COUNTER_MAP_INPUT_BYTES] = input.size;
	counters[MR_COUNTER_MAP_OUTPUT_PAIRS] = sink.emitted;
	return 0;
}

/* Gather every pair of @input, each checked to be of partition @reduce. */
static int gather(struct mr_pairs *pairs, const struct mr_reduce_input *input, uint32_t reduce,
		  uint32_t reduces, struct errbuf *eb)
{
	struct mr_ifile_reader r;
	struct mr_slice key, value;
	int err = mr_ifile_open(&r, input->bytes, input->size, input->what, eb);

	while (!err && mr_ifile_next(&r, &key, &value) == 1) {
		uint32_t partition = mr_partition(key, reduces);

		if (partition != reduce)
			return errbuf_set(eb, -EBADMSG, "%s: key '%.*s' is of partition %u, not %u",
					  input->what, (int)(key.size < 64 ? key.size : 64),
					  key.bytes, partition, reduce);
		err = mr_pairs_add(pairs, key, value, 1, eb);
	}
	return err;
}

int mr_reduce_task(const struct mr_app *app, const struct mr_reduce_input *inputs,
		   uint32_t count, uint32_t reduce, uint32_t reduces, struct mr_ofile_writer *out,
		   uint64_t counters[MR_COUNTERS], struct errbuf *eb)
{
	struct mr_pairs *pairs = NULL;
	struct mr_pairs_group group;
	uint64_t keys = 0, bytes = 0;
	size_t cursor = 0;
	char *value = malloc(MR_OUTPUT_BYTES_MAX);
	int err = value ? 0 : errbuf_set(eb, -ENOMEM, "reduce: out of memory");

	ASSERT(reduce < reduces && reduces <= MR_REDUCES_MAX);
	if (!err)
		err = mr_pairs_new(MR_TASK_PAIR_BYTES_MAX, MR_TASK_PAIRS_MAX, &pairs, eb);
	for (uint32_t i = 0; !err && i < count; i++)
		err = gather(pairs, &inputs[i], reduce, reduces, eb);
	if (!err)
		mr_pairs_sort(pairs);
	while (!err && mr_pairs_group_next(pairs, &cursor, &group)) {
		ssize_t size = mr_app_reduce(app, group.key, &group.values, value,
					     MR_OUTPUT_BYTES_MAX, eb);
		struct mr_slice output = { value, size < 0 ? 0 : (size_t)size };

		err = size < 0 ? (int)size : mr_ofile_line(out, group.key, output, eb);
		keys++;
		bytes += group.key.size + 1 + output.size + 1;
	}
	mr_pairs_free(pairs);
	free(value);
	if (err)
		return errbuf_prefix(eb, err, "reduce %u: ", reduce);
	memset(counters, 0, MR_COUNTERS * sizeof(*counters));
	counters[MR_COUNTER_REDUCE_OUTPUT_KEYS] = keys;
	counters[MR_COUNTER_REDUCE_OUTPUT_BYTES] = bytes;
	return 0;
}
