/* SPDX-License-Identifier: MIT */
/* hist_load.c - a whole history in memory: ops, an arena for their data, the pair index. */
#include "hist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist_procs.h"
#include "hist_rules.h"

enum {
	ARENA_CHUNK_BYTES = 1 << 20,
	ARENA_LARGE_BYTES = ARENA_CHUNK_BYTES / 4,  /* bigger allocations get their own chunk */
	LOAD_OPS_INITIAL = 1024,
	INTERN_CAPACITY_MIN = 64,
};
STATIC_ASSERT(HIST_OPS_MAX <= SIZE_MAX / sizeof(struct op), "ops array size fits size_t");

/*
 * A chunked bump allocator. Invariants: @head is the chunk being filled; other chunks are
 * full or dedicated to one large allocation; used <= size in every chunk. Nothing is freed
 * before arena_free(): a history is immutable once loaded.
 */
struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
};

struct arena {
	struct arena_chunk *head;
};

static const size_t chunk_header_bytes =
	(sizeof(struct arena_chunk) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);

static char *chunk_data(struct arena_chunk *chunk)
{
	return (char *)chunk + chunk_header_bytes;
}

static struct arena_chunk *chunk_new(size_t size)
{
	struct arena_chunk *chunk;

	if (size > SIZE_MAX - chunk_header_bytes)
		return NULL;
	chunk = malloc(chunk_header_bytes + size);
	if (chunk)
		*chunk = (struct arena_chunk){ .size = size };
	return chunk;
}

static void *arena_alloc(struct arena *a, size_t size, size_t align)
{
	struct arena_chunk *chunk = a->head;

	ASSERT(align != 0 && align <= alignof(max_align_t));
	ASSERT((align & (align - 1)) == 0);
	if (chunk) {
		size_t offset = (chunk->used + align - 1) & ~(align - 1);

		if (offset <= chunk->size && size <= chunk->size - offset) {
			chunk->used = offset + size;
			return chunk_data(chunk) + offset;
		}
	}
	chunk = chunk_new(size > ARENA_LARGE_BYTES ? size : ARENA_CHUNK_BYTES);
	if (!chunk)
		return NULL;
	chunk->used = size;
	if (size > ARENA_LARGE_BYTES && a->head) {
		/* Keep filling the current chunk; the large one is full from birth. */
		chunk->next = a->head->next;
		a->head->next = chunk;
	} else {
		chunk->next = a->head;
		a->head = chunk;
	}
	ASSERT(chunk->used <= chunk->size);
	return chunk_data(chunk);
}

static void arena_free(struct arena *a)
{
	struct arena_chunk *chunk = a ? a->head : NULL;

	while (chunk) {
		struct arena_chunk *next = chunk->next;

		free(chunk);
		chunk = next;
	}
	free(a);
}

/*
 * Interned strings: f and node names (and keys and errors, which repeat too) are stored
 * once in the arena. Invariants: @strings has @capacity entries, NULL when free, and at most
 * half are used; @hashes[i] is the hash of @strings[i].
 */
struct intern {
	const char **strings;
	uint64_t *hashes;
	size_t capacity;
	size_t count;
};

static uint64_t hash_string(const char *s, size_t *size)
{
	*size = strlen(s);
	return codec_fnv1a(CODEC_FNV1A_BASIS, s, *size);
}

static int intern_grow(struct intern *t)
{
	size_t capacity = t->capacity ? t->capacity * 2 : INTERN_CAPACITY_MIN;
	const char **strings = calloc(capacity, sizeof(*strings));
	uint64_t *hashes = calloc(capacity, sizeof(*hashes));

	if (!strings || !hashes) {
		free(strings);
		free(hashes);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->capacity; i++) {
		if (!t->strings[i])
			continue;
		size_t j = t->hashes[i] & (capacity - 1);

		while (strings[j])
			j = (j + 1) & (capacity - 1);
		strings[j] = t->strings[i];
		hashes[j] = t->hashes[i];
	}
	free(t->strings);
	free(t->hashes);
	t->strings = strings;
	t->hashes = hashes;
	t->capacity = capacity;
	return 0;
}

/* The arena copy of @s (NULL stays NULL); NULL with @*err = -ENOMEM on failure. */
static const char *intern(struct intern *t, struct arena *a, const char *s, int *err)
{
	size_t size, i;
	uint64_t h;
	char *copy;

	if (!s)
		return NULL;
	if ((t->count + 1) * 2 > t->capacity && intern_grow(t) < 0)
		goto out_nomem;
	h = hash_string(s, &size);
	/* Bounded: the table is at most half full, so a free entry ends the probe. */
	for (i = h & (t->capacity - 1); t->strings[i]; i = (i + 1) & (t->capacity - 1)) {
		if (t->hashes[i] == h && strcmp(t->strings[i], s) == 0)
			return t->strings[i];
	}
	copy = arena_alloc(a, size + 1, 1);
	if (!copy)
		goto out_nomem;
	memcpy(copy, s, size + 1);
	t->strings[i] = copy;
	t->hashes[i] = h;
	t->count++;
	ASSERT(t->count * 2 <= t->capacity);
	return copy;
out_nomem:
	*err = -ENOMEM;
	return NULL;
}

/*
 * Interned notes: each distinct (node, error) pair once in the arena. Both strings are
 * interned first, so their addresses identify them. Invariants: @notes has @capacity entries,
 * NULL when free, at most half used.
 */
struct note_table {
	const struct op_note **notes;
	size_t capacity;
	size_t count;
};

static uint64_t note_hash(const char *node, const char *error)
{
	uint64_t h = codec_fnv1a(CODEC_FNV1A_BASIS, &node, sizeof(node));

	return codec_fnv1a(h, &error, sizeof(error));
}

static int note_table_grow(struct note_table *t)
{
	size_t capacity = t->capacity ? t->capacity * 2 : INTERN_CAPACITY_MIN;
	const struct op_note **notes = calloc(capacity, sizeof(*notes));

	if (!notes)
		return -ENOMEM;
	for (size_t i = 0; i < t->capacity; i++) {
		const struct op_note *n = t->notes[i];

		if (!n)
			continue;
		size_t j = note_hash(n->node, n->error) & (capacity - 1);

		while (notes[j])
			j = (j + 1) & (capacity - 1);
		notes[j] = n;
	}
	free(t->notes);
	t->notes = notes;
	t->capacity = capacity;
	return 0;
}

/* The arena note for interned @node and @error; NULL when both are NULL, or with @*err set. */
static const struct op_note *note_intern(struct note_table *t, struct arena *a,
					 const char *node, const char *error, int *err)
{
	struct op_note *copy;
	size_t i;

	if (!node && !error)
		return NULL;
	if ((t->count + 1) * 2 > t->capacity && note_table_grow(t) < 0)
		goto out_nomem;
	/* Bounded: the table is at most half full, so a free entry ends the probe. */
	for (i = note_hash(node, error) & (t->capacity - 1); t->notes[i];
	     i = (i + 1) & (t->capacity - 1)) {
		if (t->notes[i]->node == node && t->notes[i]->error == error)
			return t->notes[i];
	}
	copy = arena_alloc(a, sizeof(*copy), alignof(struct op_note));
	if (!copy)
		goto out_nomem;
	*copy = (struct op_note){ .node = node, .error = error };
	t->notes[i] = copy;
	t->count++;
	ASSERT(t->count * 2 <= t->capacity);
	return copy;
out_nomem:
	*err = -ENOMEM;
	return NULL;
}

/* State of one hist_load() call. */
struct load {
	struct arena *arena;
	struct intern intern;
	struct note_table notes;
	struct op *ops;
	uint64_t count;
	uint64_t capacity;
};

static int copy_value(struct load *ld, struct op_value *value)
{
	if (value->kind == OP_VALUE_INTS && value->count > 0) {
		size_t size = (size_t)value->count * sizeof(int64_t);
		int64_t *ints = arena_alloc(ld->arena, size, alignof(int64_t));

		if (!ints)
			return -ENOMEM;
		memcpy(ints, value->ints, size);
		value->ints = ints;
	}
	if (value->kind == OP_VALUE_JSON) {
		size_t size = strlen(value->json) + 1;
		char *json = arena_alloc(ld->arena, size, 1);

		if (!json)
			return -ENOMEM;
		memcpy(json, value->json, size);
		value->json = json;
	}
	return 0;
}

/* Appends a copy of @op whose strings and arrays live in the arena. */
static int copy_op(struct load *ld, const struct op *op)
{
	struct op *copy;
	int err = 0;

	if (ld->count == HIST_OPS_MAX)
		return -E2BIG;
	if (ld->count == ld->capacity) {
		uint64_t capacity = ld->capacity ? ld->capacity * 2 : LOAD_OPS_INITIAL;
		struct op *ops;

		if (capacity > HIST_OPS_MAX)
			capacity = HIST_OPS_MAX;
		ops = reallocarray(ld->ops, capacity, sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		ld->ops = ops;
		ld->capacity = capacity;
	}
	ASSERT(ld->count < ld->capacity);
	copy = &ld->ops[ld->count];
	*copy = *op;
	copy->f = intern(&ld->intern, ld->arena, op->f, &err);
	copy->key = intern(&ld->intern, ld->arena, op->key, &err);
	if (op->note) {
		const char *node = intern(&ld->intern, ld->arena, op->note->node, &err);
		const char *error = intern(&ld->intern, ld->arena, op->note->error, &err);

		copy->note = err ? NULL : note_intern(&ld->notes, ld->arena, node, error, &err);
	}
	if (err == 0)
		err = copy_value(ld, &copy->value);
	if (err < 0)
		return err;
	ld->count++;
	return 0;
}

/* Links each completion to its invocation; the reader has checked the rules already. */
static int build_pairs(struct history *h)
{
	struct hist_procs procs;
	uint64_t *open = NULL;
	int err = 0;

	h->pair32 = malloc((h->count ? h->count : 1) * sizeof(*h->pair32));
	/* One open invocation per slot; slots are bounded by the processes bound. */
	open = malloc(((size_t)HIST_PROCESSES_MAX + 1) * sizeof(*open));
	hist_procs_init(&procs);
	if (!h->pair32 || !open) {
		err = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		int64_t slot = hist_procs_insert(&procs, op->process);

		if (slot < 0) {
			err = (int)slot;
			goto out;
		}
		hist_pair_set(h, i, HIST_NO_PAIR);
		if (op->type == OP_INVOKE) {
			open[slot] = i;
			continue;
		}
		ASSERT(open[slot] < i);
		ASSERT(h->ops[open[slot]].type == OP_INVOKE);
		hist_pair_set(h, i, open[slot]);
		hist_pair_set(h, open[slot], i);
		open[slot] = HIST_NO_PAIR;
	}
out:
	hist_procs_fini(&procs);
	free(open);
	return err;
}

static int read_all(struct load *ld, struct hist_reader *r, const char *path,
		    struct errbuf *eb)
{
	struct op op;
	int rc;

	/* Bounded by HIST_OPS_MAX inside copy_op(). */
	while ((rc = hist_reader_next(r, &op, eb)) == 1) {
		rc = copy_op(ld, &op);
		if (rc == -E2BIG)
			return errbuf_set(eb, rc, "%s:%" PRIu64 ": expected at most %d ops", path,
					  hist_reader_line(r), HIST_OPS_MAX);
		if (rc < 0)
			return errbuf_set(eb, rc, "%s:%" PRIu64 ": out of memory", path,
					  hist_reader_line(r));
	}
	return rc;
}

int hist_load(struct history *h, const char *path, struct errbuf *eb)
{
	return hist_load_scan(h, path, true, eb);
}

int hist_load_scan(struct history *h, const char *path, bool scan, struct errbuf *eb)
{
	struct load ld = { 0 };
	struct hist_reader *r;
	int err;

	ASSERT(h != NULL);
	ASSERT(path != NULL);
	*h = (struct history){ 0 };
	ld.arena = calloc(1, sizeof(*ld.arena));
	if (!ld.arena)
		return errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
	err = hist_reader_open(&r, path, eb);
	if (err < 0)
		goto out_arena;
	hist_reader_scan(r, scan);
	err = read_all(&ld, r, path, eb);
	if (err < 0)
		goto out_reader;
	if (hist_reader_warning(r))
		snprintf(h->warning, sizeof(h->warning), "%s", hist_reader_warning(r));
	if (ld.count > 0 && ld.count < ld.capacity) {
		/* Give back the doubling slack; shrinking cannot move data we keep. */
		struct op *ops = reallocarray(ld.ops, ld.count, sizeof(*ld.ops));

		if (ops)
			ld.ops = ops;
	}
	h->ops = ld.ops;
	h->count = ld.count;
	h->arena = ld.arena;
	ld.ops = NULL;
	ld.arena = NULL;
	err = build_pairs(h);
	if (err < 0) {
		hist_fini(h);
		errbuf_set(eb, err, "%s: out of memory for the pair index", path);
	}
out_reader:
	hist_reader_close(r);
out_arena:
	free(ld.intern.strings);
	free(ld.intern.hashes);
	free(ld.notes.notes);
	free(ld.ops);
	arena_free(ld.arena);
	return err;
}

/*
 * An importer's history under construction: the same copies as hist_load(), checked by the
 * same rules as the reader (STYLE S17). Invariants: every op in @ld passed @rules.
 */
struct hist_builder {
	struct load ld;
	struct hist_rules rules;
	char path[HIST_PATH_BYTES_MAX];
};

int hist_builder_new(struct hist_builder **out, const char *path, struct errbuf *eb)
{
	struct hist_builder *b;

	ASSERT(out);
	ASSERT(path);
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (b)
		b->ld.arena = calloc(1, sizeof(*b->ld.arena));
	if (!b || !b->ld.arena) {
		free(b);
		return errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
	}
	snprintf(b->path, sizeof(b->path), "%s", path);
	hist_rules_init(&b->rules, b->path);
	*out = b;
	return 0;
}

uint64_t hist_builder_count(const struct hist_builder *b)
{
	ASSERT(b);
	return b->ld.count;
}

int hist_builder_append(struct hist_builder *b, struct op *op, uint64_t line,
			struct errbuf *eb)
{
	int err;

	ASSERT(b);
	ASSERT(op);
	op->index = b->ld.count;
	err = hist_rules_check(&b->rules, op, line, eb);
	if (err < 0)
		return err;
	err = copy_op(&b->ld, op);
	if (err == -E2BIG)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": expected at most %d ops", b->path,
				  line, HIST_OPS_MAX);
	if (err < 0)
		return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", b->path, line);
	hist_rules_commit(&b->rules, op);
	ASSERT(b->ld.count == (uint64_t)op->index + 1);
	return 0;
}

int hist_builder_finish(struct hist_builder *b, struct history *h, struct errbuf *eb)
{
	int err;

	ASSERT(b);
	ASSERT(h);
	*h = (struct history){ 0 };
	h->ops = b->ld.ops;
	h->count = b->ld.count;
	h->arena = b->ld.arena;
	b->ld.ops = NULL;
	b->ld.arena = NULL;
	b->ld.count = 0;
	err = build_pairs(h);
	if (err < 0) {
		hist_fini(h);
		errbuf_set(eb, err, "%s: out of memory for the pair index", b->path);
	}
	hist_builder_free(b);
	return err;
}

void hist_builder_free(struct hist_builder *b)
{
	if (!b)
		return;
	hist_rules_fini(&b->rules);
	free(b->ld.intern.strings);
	free(b->ld.intern.hashes);
	free(b->ld.notes.notes);
	free(b->ld.ops);
	arena_free(b->ld.arena);
	free(b);
}

uint64_t hist_memory_bytes(const struct history *h)
{
	const struct arena *a = h->arena;
	uint64_t bytes = h->count * (sizeof(*h->ops) + sizeof(*h->pair32));

	for (const struct arena_chunk *c = a ? a->head : NULL; c; c = c->next)
		bytes += chunk_header_bytes + c->size;
	return bytes;
}

void hist_fini(struct history *h)
{
	if (!h)
		return;
	free(h->ops);
	free(h->pair32);
	arena_free(h->arena);
	*h = (struct history){ 0 };
}
