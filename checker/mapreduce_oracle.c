/* SPDX-License-Identifier: MIT */
/* mapreduce_oracle.c - a sequential MapReduce over whole files: map all, group, reduce in order. */
#include "mapreduce_oracle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "mr_file.h"

enum { TABLE_SLOTS_MIN = 1u << 10 };

/* One distinct intermediate pair; its bytes are in the arena. */
struct pair {
	uint64_t key_offset;
	uint64_t value_offset;
	uint64_t multiplicity; /* how many times a map emitted it */
	uint32_t key_size;
	uint32_t value_size;
};

/* One reduced key; key and output bytes are in the arena. */
struct row {
	uint64_t key_offset;
	uint64_t output_offset;
	uint32_t key_size;
	uint32_t output_size;
};

/*
 * Invariants: every pair is distinct; table holds pair index + 1 for each pair (0 = empty) and
 * has at least twice as many slots as pairs (a power of two, linear probing); after run, pairs
 * and table are freed and rows hold one entry per key, sorted by key bytes. A hand-written
 * open-addressing table, because glib is not wanted and a word count needs nothing more.
 */
struct mr_oracle {
	struct mr_app app;
	char *arena;
	size_t arena_size, arena_room;
	struct pair *pairs;
	size_t pair_count, pair_room;
	uint32_t *table;
	size_t slot_count;
	char *names[MR_ORACLE_DOCUMENTS_MAX];
	size_t name_count;
	struct row *rows;
	size_t row_count;
	int ran;
	struct errbuf *eb; /* the add's errbuf, for emit */
};

static struct mr_slice arena_slice(const struct mr_oracle *o, uint64_t offset, uint32_t size)
{
	ASSERT(offset + size <= o->arena_size);
	return (struct mr_slice){ o->arena + offset, size };
}

static int arena_put(struct mr_oracle *o, struct mr_slice bytes, uint64_t *offset)
{
	if (bytes.size > MR_ORACLE_ARENA_BYTES_MAX - o->arena_size)
		return errbuf_set(o->eb, -E2BIG, "oracle: over %zu bytes of distinct keys, values "
				  "and outputs", MR_ORACLE_ARENA_BYTES_MAX);
	if (o->arena_size + bytes.size > o->arena_room) {
		size_t room = o->arena_room ? o->arena_room : 1u << 16;
		char *bigger;

		while (room < o->arena_size + bytes.size)
			room *= 2;
		bigger = realloc(o->arena, room);
		if (bigger == NULL)
			return -ENOMEM;
		o->arena = bigger;
		o->arena_room = room;
	}
	*offset = o->arena_size;
	if (bytes.size > 0)
		memcpy(o->arena + o->arena_size, bytes.bytes, bytes.size);
	o->arena_size += bytes.size;
	return 0;
}

/* FNV-1a 64 over key, a separator and value: for the table only, never for partitions. */
static uint64_t pair_hash(struct mr_slice key, struct mr_slice value)
{
	uint64_t hash = 14695981039346656037u;

	for (size_t i = 0; i < key.size; i++)
		hash = (hash ^ (unsigned char)key.bytes[i]) * 1099511628211u;
	hash = (hash ^ 0x100u) * 1099511628211u; /* not a byte: ("ab","c") != ("a","bc") */
	for (size_t i = 0; i < value.size; i++)
		hash = (hash ^ (unsigned char)value.bytes[i]) * 1099511628211u;
	return hash;
}

static int slice_equal(struct mr_slice a, struct mr_slice b)
{
	return a.size == b.size && (a.size == 0 || memcmp(a.bytes, b.bytes, a.size) == 0);
}

/* The slot of (key, value): its pair's, or the empty slot where it would go. */
static size_t table_find(const struct mr_oracle *o, struct mr_slice key, struct mr_slice value)
{
	size_t mask = o->slot_count - 1;
	size_t slot = (size_t)pair_hash(key, value) & mask;

	for (size_t probe = 0; probe < o->slot_count; probe++, slot = (slot + 1) & mask) {
		const struct pair *p;

		if (o->table[slot] == 0)
			return slot;
		p = &o->pairs[o->table[slot] - 1];
		if (slice_equal(arena_slice(o, p->key_offset, p->key_size), key) &&
		    slice_equal(arena_slice(o, p->value_offset, p->value_size), value))
			return slot;
	}
	ASSERT(!"oracle table: full at load <= 1/2");
	return 0;
}

static int table_grow(struct mr_oracle *o)
{
	size_t slot_count = o->slot_count ? 2 * o->slot_count : TABLE_SLOTS_MIN;
	uint32_t *old = o->table;

	o->table = calloc(slot_count, sizeof(*o->table));
	if (o->table == NULL) {
		o->table = old;
		return -ENOMEM;
	}
	free(old);
	o->slot_count = slot_count;
	for (size_t i = 0; i < o->pair_count; i++) {
		const struct pair *p = &o->pairs[i];
		size_t slot = table_find(o, arena_slice(o, p->key_offset, p->key_size),
					 arena_slice(o, p->value_offset, p->value_size));

		ASSERT(o->table[slot] == 0);
		o->table[slot] = (uint32_t)(i + 1);
	}
	return 0;
}

static int pair_append(struct mr_oracle *o, struct mr_slice key, struct mr_slice value)
{
	struct pair p = { .multiplicity = 1, .key_size = (uint32_t)key.size,
			  .value_size = (uint32_t)value.size };
	int err;

	if (o->pair_count == MR_ORACLE_PAIRS_MAX)
		return errbuf_set(o->eb, -E2BIG, "oracle: over %u distinct intermediate pairs",
				  MR_ORACLE_PAIRS_MAX);
	if (o->pair_count == o->pair_room) {
		size_t room = o->pair_room ? 2 * o->pair_room : 1024;
		struct pair *bigger = realloc(o->pairs, room * sizeof(*bigger));

		if (bigger == NULL)
			return -ENOMEM;
		o->pairs = bigger;
		o->pair_room = room;
	}
	err = arena_put(o, key, &p.key_offset);
	if (err == 0)
		err = arena_put(o, value, &p.value_offset);
	if (err < 0)
		return err;
	o->pairs[o->pair_count++] = p;
	return 0;
}

/* The emit callback of every map: count a known pair, or store a new one. */
static int oracle_emit_cb(void *ctx, struct mr_slice key, struct mr_slice value)
{
	struct mr_oracle *o = ctx;
	size_t slot;
	int err;

	if (key.size == 0 || key.size > MR_KEY_BYTES_MAX || value.size > MR_VALUE_BYTES_MAX)
		return errbuf_set(o->eb, -E2BIG, "oracle: emitted key of %zu or value of %zu "
				  "bytes, over %d or %d", key.size, value.size, MR_KEY_BYTES_MAX,
				  MR_VALUE_BYTES_MAX);
	if (2 * (o->pair_count + 1) > o->slot_count) {
		err = table_grow(o);
		if (err < 0)
			return err;
	}
	slot = table_find(o, key, value);
	if (o->table[slot] != 0) {
		o->pairs[o->table[slot] - 1].multiplicity++;
		return 0;
	}
	err = pair_append(o, key, value);
	if (err < 0)
		return err;
	o->table[slot] = (uint32_t)o->pair_count;
	ASSERT(2 * o->pair_count <= o->slot_count);
	return 0;
}

int mr_oracle_new(const struct mr_app *app, struct mr_oracle **out, struct errbuf *eb)
{
	struct mr_oracle *o;

	ASSERT(app != NULL && app->ops != NULL);
	ASSERT(out != NULL);
	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return errbuf_set(eb, -ENOMEM, "oracle: out of memory");
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
	free(oracle->arena);
	free(oracle->pairs);
	free(oracle->table);
	free(oracle->rows);
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

static int pair_compare_cb(const void *a, const void *b, void *ctx)
{
	const struct mr_oracle *o = ctx;
	const struct pair *x = a, *y = b;
	int order = mr_key_compare(arena_slice(o, x->key_offset, x->key_size),
				  arena_slice(o, y->key_offset, y->key_size));

	if (order != 0)
		return order;
	return mr_key_compare(arena_slice(o, x->value_offset, x->value_size),
			     arena_slice(o, y->value_offset, y->value_size));
}

/* The values of one key: pairs [next, end), each repeated by its multiplicity. */
struct group {
	const struct mr_oracle *oracle;
	size_t next, end;
	uint64_t repeats_left; /* of pairs[next - 1] */
};

static int group_next_cb(void *ctx, struct mr_slice *value)
{
	struct group *g = ctx;
	const struct pair *p;

	if (g->repeats_left == 0) {
		if (g->next == g->end)
			return 0;
		g->repeats_left = g->oracle->pairs[g->next++].multiplicity;
		ASSERT(g->repeats_left >= 1);
	}
	g->repeats_left--;
	p = &g->oracle->pairs[g->next - 1];
	*value = arena_slice(g->oracle, p->value_offset, p->value_size);
	return 1;
}

/* Reduces pairs [first, end), all of one key, into a new row. */
static int reduce_group(struct mr_oracle *o, size_t first, size_t end, char *out,
			struct errbuf *eb)
{
	const struct pair *p = &o->pairs[first];
	struct group g = { o, first, end, 0 };
	struct mr_values values = { group_next_cb, &g };
	struct row row = { .key_offset = p->key_offset, .key_size = p->key_size };
	ssize_t size = mr_app_reduce(&o->app, arena_slice(o, p->key_offset, p->key_size), &values,
				     out, MR_OUTPUT_BYTES_MAX, eb);
	int err;

	if (size < 0)
		return errbuf_prefix(eb, (int)size, "oracle: key '%.*s': ",
				     (int)(p->key_size < 64 ? p->key_size : 64),
				     o->arena + p->key_offset);
	ASSERT(g.next == end && g.repeats_left == 0);
	o->eb = eb;
	err = arena_put(o, (struct mr_slice){ out, (size_t)size }, &row.output_offset);
	o->eb = NULL;
	if (err < 0)
		return err;
	row.output_size = (uint32_t)size;
	o->rows[o->row_count++] = row;
	return 0;
}

int mr_oracle_run(struct mr_oracle *oracle, struct errbuf *eb)
{
	struct mr_oracle *o = oracle;
	char *out;
	int err = 0;

	ASSERT(o != NULL);
	if (o->ran)
		return errbuf_set(eb, -EINVAL, "oracle: run twice");
	o->ran = 1;
	free(o->table);
	o->table = NULL;
	o->slot_count = 0;
	out = malloc(MR_OUTPUT_BYTES_MAX);
	o->rows = calloc(o->pair_count ? o->pair_count : 1, sizeof(*o->rows));
	if (out == NULL || o->rows == NULL) {
		free(out);
		return errbuf_set(eb, -ENOMEM, "oracle: out of memory for %zu pairs",
				  o->pair_count);
	}
	if (o->pair_count > 0)
		qsort_r(o->pairs, o->pair_count, sizeof(*o->pairs), pair_compare_cb, o);
	for (size_t first = 0, end; err == 0 && first < o->pair_count; first = end) {
		const struct pair *p = &o->pairs[first];
		struct mr_slice key = arena_slice(o, p->key_offset, p->key_size);

		for (end = first + 1; end < o->pair_count; end++) {
			const struct pair *q = &o->pairs[end];

			if (!slice_equal(key, arena_slice(o, q->key_offset, q->key_size)))
				break;
		}
		err = reduce_group(o, first, end, out, eb);
	}
	free(out);
	free(o->pairs);
	o->pairs = NULL;
	o->pair_count = 0;
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
	row.key = arena_slice(oracle, r->key_offset, r->key_size);
	row.output = arena_slice(oracle, r->output_offset, r->output_size);
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
