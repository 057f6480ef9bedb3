/* SPDX-License-Identifier: MIT */
/* mapreduce_oracle.c - a sequential MapReduce over whole files: map all, group, reduce in order. */
#include "mapreduce_oracle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "mr_file.h"

#include "mr_pairs.h"

/* One reduced key: its key is in the pairs' arena, its output in the oracle's. */
struct row {
	struct mr_slice key;
	uint64_t output_offset;
	uint32_t output_size;
};

/*
 * Invariants: pairs holds every distinct intermediate pair with its multiplicity until the
 * run; after it, rows hold one entry per key in key order, keys pointing into pairs (never
 * added to again, so they stay put) and outputs into outputs[0..outputs_size).
 */
struct mr_oracle {
	struct mr_app app;
	struct mr_pairs *pairs;
	char *names[MR_ORACLE_DOCUMENTS_MAX];
	size_t name_count;
	struct row *rows;
	size_t row_count;
	char *outputs;
	size_t outputs_size, outputs_room;
	int ran;
	uint64_t emitted;  /* pairs the maps emitted, repeats included */
	uint64_t input_bytes;
	struct errbuf *eb; /* the add's errbuf, for emit */
};

/* The emit callback of every map: count a known pair, or store a new one. */
static int oracle_emit_cb(void *ctx, struct mr_slice key, struct mr_slice value)
{
	struct mr_oracle *o = ctx;
	int err = mr_pairs_add(o->pairs, key, value, 1, o->eb);

	o->emitted += err == 0;
	return err < 0 ? errbuf_prefix(o->eb, err, "oracle: ") : 0;
}

int mr_oracle_new(const struct mr_app *app, struct mr_oracle **out, struct errbuf *eb)
{
	struct mr_oracle *o;
	int err;

	ASSERT(app != NULL && app->ops != NULL);
	ASSERT(out != NULL);
	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return errbuf_set(eb, -ENOMEM, "oracle: out of memory");
	err = mr_pairs_new(MR_ORACLE_ARENA_BYTES_MAX, MR_ORACLE_PAIRS_MAX, &o->pairs, eb);
	if (err < 0) {
		free(o);
		return err;
	}
	o->app = *app;
	*out = o;
	return 0;
}

void mr_oracle_free(struct mr_oracle *oracle)
{
	if (oracle == NULL)
		return;
	for (size_t i = 0; i < oracle->name_count; i++)
		free(oracle->names[i]);
	mr_pairs_free(oracle->pairs);
	free(oracle->rows);
	free(oracle->outputs);
	free(oracle);
}

static int add_name(struct mr_oracle *o, struct mr_slice name, struct errbuf *eb)
{
	for (size_t i = 0; i < o->name_count; i++) {
		if (strlen(o->names[i]) == name.size && memcmp(o->names[i], name.bytes,
							       name.size) == 0)
			return errbuf_set(eb, -EEXIST, "oracle: document '%.*s' added twice",
					  (int)name.size, name.bytes);
	}
	if (o->name_count == MR_ORACLE_DOCUMENTS_MAX)
		return errbuf_set(eb, -E2BIG, "oracle: over %d documents",
				  MR_ORACLE_DOCUMENTS_MAX);
	o->names[o->name_count] = strndup(name.bytes, name.size);
	if (o->names[o->name_count] == NULL)
		return -ENOMEM;
	o->name_count++;
	return 0;
}

int mr_oracle_add_document(struct mr_oracle *oracle, struct mr_slice name, struct mr_slice input,
			   struct errbuf *eb)
{
	int err;

	ASSERT(oracle != NULL);
	if (oracle->ran)
		return errbuf_set(eb, -EINVAL, "oracle: document added after the run");
	if (input.size > MR_ORACLE_DOCUMENT_BYTES_MAX)
		return errbuf_set(eb, -E2BIG, "oracle: document '%.*s' of %zu bytes, over %zu",
				  (int)(name.size < 64 ? name.size : 64), name.bytes, input.size,
				  MR_ORACLE_DOCUMENT_BYTES_MAX);
	err = mr_app_check_name(name, eb);
	if (err == 0)
		err = add_name(oracle, name, eb);
	if (err < 0)
		return err;
	oracle->eb = eb;
	err = mr_app_map(&oracle->app, name, input, oracle_emit_cb, oracle, eb);
	oracle->eb = NULL;
	oracle->input_bytes += err == 0 ? input.size : 0;
	return err;
}

int mr_oracle_add_file(struct mr_oracle *oracle, const char *path, struct errbuf *eb)
{
	const char *slash = strrchr(path, '/');
	struct mr_slice name = { slash ? slash + 1 : path, 0 };
	char *bytes = NULL;
	size_t size = 0;
	int err;

	ASSERT(oracle != NULL);
	ASSERT(path != NULL);
	name.size = strlen(name.bytes);
	err = mr_file_read(path, MR_ORACLE_DOCUMENT_BYTES_MAX, &bytes, &size, eb);
	if (err == 0) {
		err = mr_oracle_add_document(oracle, name, (struct mr_slice){ bytes, size }, eb);
		if (err < 0)
			errbuf_prefix(eb, err, "%s: ", path);
	}
	free(bytes);
	return err;
}

/* Keep @output as the next row's, of @key. */
static int row_add(struct mr_oracle *o, struct mr_slice key, const char *output, size_t size,
		   struct errbuf *eb)
{
	struct row *row = &o->rows[o->row_count];

	if (size > MR_ORACLE_ARENA_BYTES_MAX - o->outputs_size)
		return errbuf_set(eb, -E2BIG, "oracle: over %zu bytes of outputs",
				  MR_ORACLE_ARENA_BYTES_MAX);
	if (o->outputs_size + size > o->outputs_room) {
		size_t room = o->outputs_room ? o->outputs_room : 1u << 16;
		char *bigger;

		while (room < o->outputs_size + size)
			room *= 2;
		bigger = realloc(o->outputs, room);
		if (bigger == NULL)
			return errbuf_set(eb, -ENOMEM, "oracle: out of memory for outputs");
		o->outputs = bigger;
		o->outputs_room = room;
	}
	if (size > 0)
		memcpy(o->outputs + o->outputs_size, output, size);
	*row = (struct row){ key, o->outputs_size, (uint32_t)size };
	o->outputs_size += size;
	o->row_count++;
	return 0;
}

int mr_oracle_run(struct mr_oracle *oracle, struct errbuf *eb)
{
	struct mr_oracle *o = oracle;
	struct mr_pairs_group group;
	size_t cursor = 0, count = mr_pairs_count(o->pairs);
	char *out;
	int err = 0;

	ASSERT(o != NULL);
	if (o->ran)
		return errbuf_set(eb, -EINVAL, "oracle: run twice");
	o->ran = 1;
	out = malloc(MR_OUTPUT_BYTES_MAX);
	o->rows = calloc(count ? count : 1, sizeof(*o->rows));
	if (out == NULL || o->rows == NULL) {
		free(out);
		return errbuf_set(eb, -ENOMEM, "oracle: out of memory for %zu pairs", count);
	}
	mr_pairs_sort(o->pairs);
	while (err == 0 && mr_pairs_group_next(o->pairs, &cursor, &group)) {
		ssize_t size = mr_app_reduce(&o->app, group.key, &group.values, out,
					     MR_OUTPUT_BYTES_MAX, eb);

		if (size < 0)
			err = errbuf_prefix(eb, (int)size, "oracle: key '%.*s': ",
					    (int)(group.key.size < 64 ? group.key.size : 64),
					    group.key.bytes);
		else
			err = row_add(o, group.key, out, (size_t)size, eb);
	}
	free(out);
	return err;
}

int mr_oracle_compute(const struct mr_app *app, const char *const *paths, size_t path_count,
		      struct mr_oracle **out, struct errbuf *eb)
{
	struct mr_oracle *oracle;
	int err;

	ASSERT(paths != NULL || path_count == 0);
	*out = NULL;
	err = mr_oracle_new(app, &oracle, eb);
	for (size_t i = 0; err == 0 && i < path_count; i++)
		err = mr_oracle_add_file(oracle, paths[i], eb);
	if (err == 0)
		err = mr_oracle_run(oracle, eb);
	if (err < 0) {
		mr_oracle_free(oracle);
		return err;
	}
	*out = oracle;
	return 0;
}

size_t mr_oracle_count(const struct mr_oracle *oracle)
{
	ASSERT(oracle->ran);
	return oracle->row_count;
}

struct mr_oracle_row mr_oracle_row(const struct mr_oracle *oracle, size_t index)
{
	const struct row *r;
	struct mr_oracle_row row;

	ASSERT(oracle->ran);
	ASSERT(index < oracle->row_count);
	r = &oracle->rows[index];
	row.key = r->key;
	row.output = (struct mr_slice){ oracle->outputs + r->output_offset, r->output_size };
	row.hash = mr_ihash(row.key);
	return row;
}

ssize_t mr_oracle_find(const struct mr_oracle *oracle, struct mr_slice key)
{
	size_t low = 0, high = mr_oracle_count(oracle);

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = mr_key_compare(mr_oracle_row(oracle, middle).key, key);

		if (order == 0)
			return (ssize_t)middle;
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return -ENOENT;
}

int mr_oracle_partition_next(const struct mr_oracle *oracle, uint32_t reduce_count,
			     uint32_t partition, size_t *cursor, size_t *index)
{
	ASSERT(reduce_count >= 1);
	ASSERT(partition < reduce_count);
	while (*cursor < mr_oracle_count(oracle)) {
		size_t at = (*cursor)++;

		if (mr_partition(mr_oracle_row(oracle, at).key, reduce_count) == partition) {
			*index = at;
			return 1;
		}
	}
	return 0;
}

int mr_oracle_write(const struct mr_oracle *oracle, FILE *file, struct errbuf *eb)
{
	for (size_t i = 0; i < mr_oracle_count(oracle); i++) {
		struct mr_oracle_row row = mr_oracle_row(oracle, i);

		if (fwrite(row.key.bytes, 1, row.key.size, file) != row.key.size ||
		    fputc(' ', file) == EOF ||
		    fwrite(row.output.bytes, 1, row.output.size, file) != row.output.size ||
		    fputc('\n', file) == EOF)
			return errbuf_set(eb, -EIO, "oracle: write of row %zu failed", i);
	}
	if (fflush(file) != 0)
		return errbuf_set(eb, -EIO, "oracle: flush failed");
	return 0;
}

uint64_t mr_oracle_emitted(const struct mr_oracle *oracle)
{
	return oracle->emitted;
}

uint64_t mr_oracle_input_bytes(const struct mr_oracle *oracle)
{
	return oracle->input_bytes;
}
