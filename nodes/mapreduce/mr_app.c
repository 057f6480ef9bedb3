/* SPDX-License-Identifier: MIT */
/* mr_app.c - the MapReduce applications: pure, deterministic map and reduce functions. */
#include "mr_app.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

/* Distinct words one index map holds to emit each once; a larger document is refused. */
enum { INDEX_DOC_WORDS_MAX = 1u << 22, INDEX_SET_SLOTS_MIN = 1u << 8 };

STATIC_ASSERT(MR_DOC_NAME_BYTES_MAX + 1 + MR_GREP_LINE_DIGITS <= MR_KEY_BYTES_MAX,
	      "a grep key always fits");
STATIC_ASSERT(MR_DOC_NAME_BYTES_MAX <= MR_VALUE_BYTES_MAX, "a document name is a value");

static const struct mr_slice one = { "1", 1 };

int mr_app_check_name(struct mr_slice name, struct errbuf *eb)
{
	if (name.size == 0 || name.size > MR_DOC_NAME_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "document name of %zu bytes, not 1..%d", name.size,
				  MR_DOC_NAME_BYTES_MAX);
	for (size_t i = 0; i < name.size; i++) {
		if (strchr(" \t\n\r,", name.bytes[i]) != NULL) /* also matches NUL */
			return errbuf_set(eb, -EINVAL,
					  "document name '%.*s': byte %zu (0x%02x) not allowed",
					  (int)name.size, name.bytes, i,
					  (unsigned)(unsigned char)name.bytes[i]);
	}
	return 0;
}

/*
 * The next word of @input at or after *@pos: a maximal run of ASCII letters. This matches the
 * lab's wc and indexer (strings.FieldsFunc with !unicode.IsLetter) on ASCII input; a byte >= 0x80
 * is a separator here, where the lab would keep a UTF-8 letter. Return: 1 with @word, 0 at end.
 */
static int next_word(struct mr_slice input, size_t *pos, struct mr_slice *word)
{
	size_t i = *pos;

	ASSERT(i <= input.size);
	while (i < input.size && !mr_is_letter((unsigned char)input.bytes[i]))
		i++;
	if (i == input.size) {
		*pos = i;
		return 0;
	}
	word->bytes = input.bytes + i;
	while (i < input.size && mr_is_letter((unsigned char)input.bytes[i]))
		i++;
	word->size = (size_t)(input.bytes + i - word->bytes);
	*pos = i;
	ASSERT(word->size >= 1);
	return 1;
}

static int word_too_long(struct mr_slice name, struct mr_slice input, struct mr_slice word,
			 struct errbuf *eb)
{
	return errbuf_set(eb, -E2BIG, "document '%.*s': word at byte %zu is %zu bytes, over %d",
			  (int)name.size, name.bytes, (size_t)(word.bytes - input.bytes), word.size,
			  MR_KEY_BYTES_MAX);
}

/* Word count map: (word, "1") for every word, as the lab's wc.go. */
static int wc_map(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
		  mr_emit_fn *emit, void *emit_ctx, struct errbuf *eb)
{
	struct mr_slice word;
	size_t pos = 0;

	while (next_word(input, &pos, &word)) {
		int err;

		if (word.size > MR_KEY_BYTES_MAX)
			return word_too_long(name, input, word, eb);
		err = emit(emit_ctx, word, one);
		if (err < 0)
			return err;
	}
	ASSERT(pos == input.size);
	return 0;
}

/* A reduce is called only for a key that has values; an empty iterator is the caller's bug
 * in a reader of intermediate files, so it is refused as input rather than asserted. */
static int no_values(struct mr_slice key, struct errbuf *eb)
{
	return errbuf_set(eb, -EINVAL, "reduce key '%.*s': no values",
			  (int)(key.size < 64 ? key.size : 64), key.bytes);
}

static ssize_t put_output(char *out, size_t out_size, const char *text, size_t size,
			  struct errbuf *eb)
{
	if (size > out_size || size > MR_OUTPUT_BYTES_MAX)
		return errbuf_set(eb, -E2BIG, "reduce output of %zu bytes, room for %zu", size,
				  out_size < MR_OUTPUT_BYTES_MAX ? out_size : MR_OUTPUT_BYTES_MAX);
	memcpy(out, text, size);
	return (ssize_t)size;
}

/* A count a word count emitted or combined: 1..UINT64_MAX in decimal, no sign or leading 0. */
static int count_parse(struct mr_slice key, struct mr_slice value, uint64_t *count,
		       struct errbuf *eb)
{
	uint64_t n = 0;

	for (size_t i = 0; i < value.size; i++) {
		unsigned digit = (unsigned)(unsigned char)value.bytes[i] - '0';

		if (digit > 9 || (i == 0 && digit == 0) || n > (UINT64_MAX - digit) / 10)
			goto bad;
		n = n * 10 + digit;
	}
	if (value.size == 0)
		goto bad;
	*count = n;
	return 0;
bad:
	return errbuf_set(eb, -EINVAL, "wc key '%.*s': value '%.*s' is not a count",
			  (int)(key.size < 64 ? key.size : 64), key.bytes,
			  (int)(value.size < 32 ? value.size : 32), value.bytes);
}

/*
 * Word count reduce: the sum of the counts, in decimal. Over the map's "1"s this is the number
 * of values, as the lab's wc.go (len(values)); it is also the combiner (the paper's section
 * 4.3), so a map may send one partial count per word instead of one "1" per occurrence.
 */
static ssize_t wc_reduce(const struct mr_app *app, struct mr_slice key, struct mr_values *values,
			 char *out, size_t out_size, struct errbuf *eb)
{
	char text[24];
	uint64_t total = 0, count = 0;
	struct mr_slice value;
	bool any = false;
	int got, size;

	(void)app;
	while ((got = values->next(values->ctx, &value)) == 1) {
		int err = count_parse(key, value, &count, eb);

		if (err < 0)
			return err;
		if (count > UINT64_MAX - total)
			return errbuf_set(eb, -E2BIG, "wc key '%.*s': count over 2^64",
					  (int)(key.size < 64 ? key.size : 64), key.bytes);
		total += count;
		any = true;
	}
	if (got < 0)
		return got;
	if (!any)
		return no_values(key, eb);
	size = snprintf(text, sizeof(text), "%" PRIu64, total);
	ASSERT(size > 0 && (size_t)size < sizeof(text));
	return put_output(out, out_size, text, (size_t)size, eb);
}

/* An open-addressing set of word slices (into the document), grown by doubling, load <= 1/2. */
struct word_set {
	struct mr_slice *slots; /* bytes == NULL marks an empty slot */
	size_t slot_count;      /* a power of two */
	size_t count;
};

static int slice_equal(struct mr_slice a, struct mr_slice b)
{
	return a.size == b.size && memcmp(a.bytes, b.bytes, a.size) == 0;
}

static void word_set_put(struct mr_slice *slots, size_t slot_count, struct mr_slice word,
			 size_t *count)
{
	size_t mask = slot_count - 1;

	for (size_t i = mr_ihash(word) & mask, probe = 0; probe < slot_count;
	     i = (i + 1) & mask, probe++) {
		if (slots[i].bytes == NULL) {
			slots[i] = word;
			(*count)++;
			return;
		}
		if (slice_equal(slots[i], word))
			return;
	}
	ASSERT(!"word_set: no empty slot at load <= 1/2");
}

static int word_set_add(struct word_set *set, struct mr_slice word)
{
	if (2 * (set->count + 1) > set->slot_count) {
		size_t slot_count = set->slot_count ? 2 * set->slot_count : INDEX_SET_SLOTS_MIN;
		struct mr_slice *slots = calloc(slot_count, sizeof(*slots));
		size_t count = 0;

		if (slots == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < set->slot_count; i++) {
			if (set->slots[i].bytes != NULL)
				word_set_put(slots, slot_count, set->slots[i], &count);
		}
		ASSERT(count == set->count);
		free(set->slots);
		set->slots = slots;
		set->slot_count = slot_count;
	}
	word_set_put(set->slots, set->slot_count, word, &set->count);
	ASSERT(2 * set->count <= set->slot_count);
	return 0;
}

static int slice_compare(const void *a, const void *b)
{
	const struct mr_slice *x = a, *y = b;
	size_t common = x->size < y->size ? x->size : y->size;
	int order = common ? memcmp(x->bytes, y->bytes, common) : 0;

	/* Byte order, a prefix first: Go's string order, which the lab's outputs are sorted by. */
	return order != 0 ? order : (x->size > y->size) - (x->size < y->size);
}

/* Emits the set's words in byte order (empty slots sort first and are skipped). */
static int word_set_emit(struct word_set *set, struct mr_slice name, mr_emit_fn *emit,
			 void *emit_ctx)
{
	size_t empty = set->slot_count - set->count;

	for (size_t i = 0; i < set->slot_count; i++) {
		if (set->slots[i].bytes == NULL)
			set->slots[i] = (struct mr_slice){ "", 0 };
	}
	qsort(set->slots, set->slot_count, sizeof(*set->slots), slice_compare);
	for (size_t i = empty; i < set->slot_count; i++) {
		int err = emit(emit_ctx, set->slots[i], name);

		ASSERT(set->slots[i].size >= 1);
		if (err < 0)
			return err;
	}
	return 0;
}

/* Inverted index map: (word, document) once per distinct word, as the lab's indexer.go. */
static int index_map(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
		     mr_emit_fn *emit, void *emit_ctx, struct errbuf *eb)
{
	struct word_set set = { 0 };
	struct mr_slice word;
	size_t pos = 0;
	int err = 0;

	while (err == 0 && next_word(input, &pos, &word)) {
		if (word.size > MR_KEY_BYTES_MAX)
			err = word_too_long(name, input, word, eb);
		else if (set.count == INDEX_DOC_WORDS_MAX)
			err = errbuf_set(eb, -E2BIG, "document '%.*s': over %u distinct words",
					 (int)name.size, name.bytes, INDEX_DOC_WORDS_MAX);
		else
			err = word_set_add(&set, word);
	}
	if (err == 0 && set.count > 0)
		err = word_set_emit(&set, name, emit, emit_ctx);
	free(set.slots);
	return err;
}

/* Collects the values of one index key, at most MR_INDEX_VALUES_MAX, each a document name. */
static ssize_t collect_documents(struct mr_values *values, struct mr_slice **out,
				 struct errbuf *eb)
{
	struct mr_slice *items = NULL, value;
	size_t count = 0, room = 0;
	int got;

	while ((got = values->next(values->ctx, &value)) == 1) {
		if (mr_app_check_name(value, eb) < 0) {
			free(items);
			return errbuf_prefix(eb, -EINVAL, "index value: ");
		}
		if (count == room) {
			size_t grown = room ? 2 * room : 16;
			struct mr_slice *bigger;

			if (count == MR_INDEX_VALUES_MAX) {
				free(items);
				return errbuf_set(eb, -E2BIG, "index key with over %u values",
						  MR_INDEX_VALUES_MAX);
			}
			bigger = realloc(items, grown * sizeof(*items));
			if (bigger == NULL) {
				free(items);
				return -ENOMEM;
			}
			items = bigger;
			room = grown;
		}
		items[count++] = value;
	}
	if (got < 0) {
		free(items);
		return got;
	}
	*out = items;
	return (ssize_t)count;
}

/* Appends @size bytes at *@used, or refuses the whole output with -E2BIG. */
static int append(char *out, size_t room, size_t *used, const char *bytes, size_t size,
		  struct errbuf *eb)
{
	if (size > room - *used)
		return errbuf_set(eb, -E2BIG, "reduce output over %zu bytes", room);
	memcpy(out + *used, bytes, size);
	*used += size;
	ASSERT(*used <= room);
	return 0;
}

/* Inverted index reduce: "count doc1,doc2,..." over the distinct documents in byte order. */
static ssize_t index_reduce(const struct mr_app *app, struct mr_slice key,
			    struct mr_values *values, char *out, size_t out_size,
			    struct errbuf *eb)
{
	size_t room = out_size < MR_OUTPUT_BYTES_MAX ? out_size : MR_OUTPUT_BYTES_MAX;
	struct mr_slice *docs = NULL;
	ssize_t count = collect_documents(values, &docs, eb);
	size_t distinct = 0, used = 0;
	char text[24];
	int err = 0, size;

	if (count <= 0) {
		free(docs);
		return count < 0 ? count : no_values(key, eb);
	}
	qsort(docs, (size_t)count, sizeof(*docs), slice_compare);
	for (size_t i = 0; i < (size_t)count; i++)
		distinct += i == 0 || !slice_equal(docs[i - 1], docs[i]);
	size = snprintf(text, sizeof(text), "%zu ", distinct);
	ASSERT(size > 0 && (size_t)size < sizeof(text));
	err = append(out, room, &used, text, (size_t)size, eb);
	for (size_t i = 0; err == 0 && i < (size_t)count; i++) {
		if (i > 0 && slice_equal(docs[i - 1], docs[i]))
			continue;
		if (i > 0)
			err = append(out, room, &used, ",", 1, eb);
		if (err == 0)
			err = append(out, room, &used, docs[i].bytes, docs[i].size, eb);
	}
	free(docs);
	return err < 0 ? err : (ssize_t)used;
}

/*
 * Grep map: for each line of the document containing the pattern (a fixed byte substring), the
 * pair ("document:NNNNNNNNNN", line), where N is the 1-based line number zero-padded to
 * MR_GREP_LINE_DIGITS, so keys sort in document then line order. Lines end at '\n' (not part of
 * the line); the bytes after the last '\n' are a line if there are any.
 */
static int grep_map(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
		    mr_emit_fn *emit, void *emit_ctx, struct errbuf *eb)
{
	char key[MR_KEY_BYTES_MAX];
	uint64_t number = 0;

	ASSERT(app->param_size >= 1);
	for (size_t start = 0; start < input.size;) {
		const char *end = memchr(input.bytes + start, '\n', input.size - start);
		size_t size = end ? (size_t)(end - input.bytes) - start : input.size - start;
		struct mr_slice line = { input.bytes + start, size };
		int key_size, err;

		number++;
		start += size + (end != NULL);
		if (memmem(line.bytes, line.size, app->param, app->param_size) == NULL)
			continue;
		if (line.size > MR_VALUE_BYTES_MAX)
			return errbuf_set(eb, -E2BIG, "document '%.*s': line %" PRIu64
					  " is %zu bytes, over %d", (int)name.size, name.bytes,
					  number, line.size, MR_VALUE_BYTES_MAX);
		key_size = snprintf(key, sizeof(key), "%.*s:%0*" PRIu64, (int)name.size,
				    name.bytes, MR_GREP_LINE_DIGITS, number);
		ASSERT(key_size > 0 && (size_t)key_size < sizeof(key));
		err = emit(emit_ctx, (struct mr_slice){ key, (size_t)key_size }, line);
		if (err < 0)
			return err;
	}
	return 0;
}

/* Grep reduce: the identity (the paper's grep); every value of a key is the same line. */
static ssize_t grep_reduce(const struct mr_app *app, struct mr_slice key,
			   struct mr_values *values, char *out, size_t out_size,
			   struct errbuf *eb)
{
	struct mr_slice first = { NULL, 0 }, value;
	int got;

	while ((got = values->next(values->ctx, &value)) == 1) {
		if (first.bytes == NULL)
			first = value;
		else if (!slice_equal(first, value))
			return errbuf_set(eb, -EINVAL, "grep key '%.*s': two different lines",
					  (int)key.size, key.bytes);
	}
	if (got < 0)
		return got;
	if (first.bytes == NULL)
		return no_values(key, eb);
	return put_output(out, out_size, first.bytes, first.size, eb);
}

static const struct mr_app_ops apps[] = {
	{ "wc", wc_map, wc_reduce, wc_reduce },
	{ "index", index_map, index_reduce, NULL },
	{ "grep", grep_map, grep_reduce, NULL },
};

const char *mr_app_names(void)
{
	return "wc, index, grep";
}

static int check_param(const struct mr_app_ops *ops, const char *param, struct errbuf *eb)
{
	int wants = strcmp(ops->name, "grep") == 0;
	size_t size = param ? strnlen(param, MR_APP_PARAM_BYTES_MAX + 1) : 0;

	if (!wants && size > 0)
		return errbuf_set(eb, -EINVAL, "app %s: takes no parameter, got '%.*s'", ops->name,
				  (int)(size < 64 ? size : 64), param);
	if (wants && size == 0)
		return errbuf_set(eb, -EINVAL, "app %s: needs a pattern", ops->name);
	if (size > MR_APP_PARAM_BYTES_MAX)
		return errbuf_set(eb, -E2BIG, "app %s: pattern over %d bytes", ops->name,
				  MR_APP_PARAM_BYTES_MAX);
	if (size > 0 && memchr(param, '\n', size) != NULL)
		return errbuf_set(eb, -EINVAL, "app %s: pattern has a newline", ops->name);
	return 0;
}

int mr_app_init(struct mr_app *app, const char *name, const char *param, struct errbuf *eb)
{
	ASSERT(app != NULL);
	ASSERT(name != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(apps); i++) {
		int err;

		if (strcmp(apps[i].name, name) != 0)
			continue;
		err = check_param(&apps[i], param, eb);
		if (err < 0)
			return err;
		memset(app, 0, sizeof(*app));
		app->ops = &apps[i];
		app->param_size = param ? strlen(param) : 0;
		memcpy(app->param, param ? param : "", app->param_size);
		ASSERT(app->param_size <= MR_APP_PARAM_BYTES_MAX);
		return 0;
	}
	return errbuf_set(eb, -ENOENT, "app '%s': unknown (known: %s)", name, mr_app_names());
}

int mr_app_map(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
	       mr_emit_fn *emit, void *emit_ctx, struct errbuf *eb)
{
	int err;

	ASSERT(app != NULL && app->ops != NULL);
	ASSERT(emit != NULL);
	ASSERT(input.bytes != NULL || input.size == 0);
	err = mr_app_check_name(name, eb);
	if (err < 0)
		return err;
	if (input.size == 0)
		return 0; /* no words and no lines */
	err = app->ops->map(app, name, input, emit, emit_ctx, eb);
	ASSERT(err <= 0);
	return err;
}

/* Check a reduce's or combine's arguments, then run @fn. */
static ssize_t reduce_with(const struct mr_app *app, mr_reduce_fn *fn, struct mr_slice key,
			   struct mr_values *values, char *out, size_t out_size,
			   struct errbuf *eb)
{
	ssize_t size;

	ASSERT(app != NULL && app->ops != NULL);
	ASSERT(values != NULL && values->next != NULL);
	if (key.size == 0)
		return errbuf_set(eb, -EINVAL, "reduce key: empty");
	if (key.size > MR_KEY_BYTES_MAX)
		return errbuf_set(eb, -E2BIG, "reduce key of %zu bytes, over %d", key.size,
				  MR_KEY_BYTES_MAX);
	size = fn(app, key, values, out, out_size, eb);
	if (size >= 0) {
		ASSERT((size_t)size <= out_size);
		ASSERT(size <= MR_OUTPUT_BYTES_MAX);
	}
	return size;
}

ssize_t mr_app_reduce(const struct mr_app *app, struct mr_slice key, struct mr_values *values,
		      char *out, size_t out_size, struct errbuf *eb)
{
	ASSERT(app != NULL && app->ops != NULL);
	return reduce_with(app, app->ops->reduce, key, values, out, out_size, eb);
}

ssize_t mr_app_combine(const struct mr_app *app, struct mr_slice key, struct mr_values *values,
		       char *out, size_t out_size, struct errbuf *eb)
{
	ASSERT(app != NULL && app->ops != NULL && app->ops->combine != NULL);
	return reduce_with(app, app->ops->combine, key, values, out, out_size, eb);
}

static int array_next(void *ctx, struct mr_slice *value)
{
	struct mr_values_array *array = ctx;

	ASSERT(array->index <= array->count);
	if (array->index == array->count)
		return 0;
	*value = array->items[array->index++];
	return 1;
}

void mr_values_array_init(struct mr_values *values, struct mr_values_array *array,
			  const struct mr_slice *items, size_t count)
{
	ASSERT(items != NULL || count == 0);
	*array = (struct mr_values_array){ items, count, 0 };
	*values = (struct mr_values){ array_next, array };
}

uint32_t mr_ihash(struct mr_slice key)
{
	uint32_t hash = 2166136261u; /* the FNV-1a 32-bit offset basis */

	for (size_t i = 0; i < key.size; i++) {
		hash ^= (unsigned char)key.bytes[i];
		hash *= 16777619u; /* the FNV 32-bit prime */
	}
	return hash & 0x7fffffffu;
}

uint32_t mr_partition(struct mr_slice key, uint32_t reduce_count)
{
	uint32_t partition;

	ASSERT(reduce_count >= 1);
	partition = mr_ihash(key) % reduce_count;
	ASSERT(partition < reduce_count);
	return partition;
}
