/* SPDX-License-Identifier: MIT */
/*
 * linear_collection.c - Knossos's set, unordered-queue and fifo-queue models (knossos.model)
 * for the linearizability search:
 * - set: add puts an element in; a read returns the whole set, which must equal the state;
 * - unordered-queue: enqueue puts an element in; a dequeue of v is legal when v is in (one
 *   copy leaves);
 * - fifo-queue: enqueue appends; a dequeue of v is legal when v is at the head.
 * A state is the interned text of its elements (each as compact JSON, which never holds a
 * newline) joined by '\n': a set sorted without repeats, a multiset sorted, a queue in
 * order; the empty collection is null. Equal collections are thus equal ids, and the
 * search's cache works unchanged.
 * A crashed (info) dequeue has no value. In an unordered queue it is dropped: had it taken
 * some v, no later dequeue can return v, so leaving v in blocks nothing. In a fifo queue it
 * takes the head, if any, at some point after its invocation, or never (Knossos drops it,
 * and may then call a history invalid that is not).
 */
#include "linear_core.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"

enum { COLLECTION_ELEMENTS_MAX = 1 << 20 };     /* in one read of a set */

/* The text of an element: an integer in decimal, anything else its compact JSON. */
static int element_text(const struct op_value *v, char *buf, size_t size, const char **out)
{
	switch (v->kind) {
	case OP_VALUE_INT:
		snprintf(buf, size, "%" PRId64, v->integer);
		*out = buf;
		return 0;
	case OP_VALUE_JSON:
		*out = v->json;
		return strchr(v->json, '\n') ? -EINVAL : 0;
	case OP_VALUE_NULL:
	case OP_VALUE_INTS:
		break;
	}
	return -EINVAL;
}

static int intern(struct linear_model_state *ms, const char *text, size_t size, uint32_t *out)
{
	int64_t id;

	if (size == 0) {
		*out = LINEAR_VALUE_NULL;
		return 0;
	}
	id = linear_values_intern(&ms->values, text, size);
	if (id < 0)
		return (int)id;
	*out = (uint32_t)id;
	return 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @count element texts at @elems, sorted here, joined into the id of a set. */
static int set_id(struct linear_model_state *ms, char **elems, size_t count, uint32_t *out)
{
	size_t size = 0, used = 0;
	char *text;
	int err;

	qsort(elems, count, sizeof(*elems), by_text);
	for (size_t k = 0; k < count; k++)
		size += strlen(elems[k]) + 1;
	text = malloc(size + 1);
	if (!text)
		return -ENOMEM;
	for (size_t k = 0; k < count; k++) {
		if (k > 0 && strcmp(elems[k], elems[k - 1]) == 0)
			continue;       /* a set has each element once */
		size_t n = strlen(elems[k]);

		if (used)
			text[used++] = '\n';
		memcpy(text + used, elems[k], n);      /* fits: size counts each and a newline */
		used += n;
	}
	err = intern(ms, text, used, out);
	free(text);
	return err;
}

/* A set read's value (integers unpacked, or a JSON array) as the id of that set. */
static int read_set_id(struct linear_model_state *ms, const struct op_value *v, uint32_t *out)
{
	json_t *doc = NULL, *e;
	char **elems = NULL;
	size_t count = 0, i;
	int err = -EINVAL;

	if (v->kind == OP_VALUE_INTS)
		count = v->count;
	else if (v->kind == OP_VALUE_JSON && (doc = json_loads(v->json, JSON_DECODE_ANY, NULL)) &&
		 json_is_array(doc))
		count = json_array_size(doc);
	else
		goto out;
	if (count > COLLECTION_ELEMENTS_MAX)
		goto out;
	elems = calloc(count ? count : 1, sizeof(*elems));
	err = elems ? 0 : -ENOMEM;
	for (i = 0; !err && i < count; i++) {
		if (v->kind == OP_VALUE_INTS) {
			elems[i] = malloc(24);
			if (elems[i])
				snprintf(elems[i], 24, "%" PRId64, v->ints[i]);
		} else {
			e = json_array_get(doc, i);
			elems[i] = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
		}
		err = elems[i] ? 0 : -ENOMEM;
	}
	if (!err)
		err = set_id(ms, elems, count, out);
	for (i = 0; elems && i < count; i++)
		free(elems[i]);
out:
	free(elems);
	json_decref(doc);
	return err;
}

int linear_collection_call(struct linear_model_state *ms, int kind, const struct op *invoke,
			   const struct op *result, struct linear_call *call)
{
	const struct op_value *arg = &invoke->value;
	char buf[24];
	const char *text;
	int err;

	if (kind == LINEAR_SET_READ) {
		if (call->info)
			return 1;       /* an unanswered read shows nothing */
		return read_set_id(ms, &result->value, &call->ret);
	}
	if (kind == LINEAR_DEQUEUE) {
		if (call->info) {
			/* See the head comment: dropped, or a pop of whatever is at the head. */
			call->arg = LINEAR_VALUE_NULL;
			return ms->model == LINEAR_MODEL_UNORDERED_QUEUE ? 1 : 0;
		}
		arg = &result->value;
	} else if (arg->kind == OP_VALUE_NULL && result) {
		arg = &result->value;   /* some clients put the argument in the result only */
	}
	err = element_text(arg, buf, sizeof(buf), &text);
	return err ? err : intern(ms, text, strlen(text), &call->arg);
}

/* The state's elements as one NUL-terminated text (free() it). */
static char *state_text(const struct linear_model_state *ms, uint32_t state, uint32_t *size)
{
	uint32_t n = state == LINEAR_VALUE_NULL ? 0 : ms->values.sizes[state];
	char *text = malloc((size_t)n + 1);

	if (text) {
		linear_values_prefix(&ms->values, state, text, n);
		text[n] = '\0';
	}
	*size = n;
	return text;
}

/* Where in @text (of @size) the line equal to @elem starts, or NULL. */
static const char *line_find(const char *text, uint32_t size, const char *elem, size_t n)
{
	const char *p = text, *end = text + size;

	/* Bounded by the text: each pass moves past one line. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len == n && memcmp(p, elem, n) == 0)
			return p;
		p += len + 1;
	}
	return NULL;
}

/* The id of @text with @elem (of @n bytes) put in: at the end (@sorted false), or before
 * the first line that sorts after it (once only when @unique and already there). */
static int put(struct linear_model_state *ms, const char *text, uint32_t size,
	       const char *elem, size_t n, bool sorted, bool unique, uint32_t *next)
{
	const char *p = text, *end = text + size;
	char *out;
	size_t at;
	int err;

	/* Bounded by the text: each pass moves past one line. */
	while (sorted && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int c = strncmp(p, elem, len < n ? len : n);

		if (c > 0 || (c == 0 && len > n))
			break;
		if (c == 0 && len == n && unique)
			return intern(ms, text, size, next);    /* already in */
		p += len + 1;
	}
	at = sorted && p < end ? (size_t)(p - text) : size;
	out = malloc(size + n + 2);
	if (!out)
		return -ENOMEM;
	if (size == 0) {
		memcpy(out, elem, n);
	} else if (at == size) {
		memcpy(out, text, size);
		out[size] = '\n';
		memcpy(out + size + 1, elem, n);
	} else {
		memcpy(out, text, at);
		memcpy(out + at, elem, n);
		out[at + n] = '\n';
		memcpy(out + at + n + 1, text + at, size - at);
	}
	err = intern(ms, out, size + n + (size ? 1 : 0), next);
	free(out);
	return err;
}

/* The id of @text without the line at @line (of @n bytes). */
static int take(struct linear_model_state *ms, const char *text, uint32_t size,
		const char *line, size_t n, uint32_t *next)
{
	size_t at = (size_t)(line - text), after = at + n;
	char *out = malloc(size + 1);
	size_t used;
	int err;

	if (!out)
		return -ENOMEM;
	if (after < size)
		after++;                /* the newline after it */
	else if (at > 0)
		at--;                   /* the last line: the newline before it */
	memcpy(out, text, at);
	memcpy(out + at, text + after, size - after);
	used = at + (size - after);
	err = intern(ms, out, used, next);
	free(out);
	return err;
}

int linear_collection_step(struct linear_model_state *ms, uint32_t state,
			   const struct linear_call *call, uint32_t *next)
{
	bool fifo = ms->model == LINEAR_MODEL_FIFO_QUEUE;
	uint32_t size, elem_size = 0;
	const char *elem = "", *line;
	char *text;
	int legal = 1, err = 0;

	if (call->kind == LINEAR_SET_READ) {
		*next = state;
		return state == call->ret;
	}
	text = state_text(ms, state, &size);
	if (!text)
		return -ENOMEM;
	if (call->arg != LINEAR_VALUE_NULL)
		elem = linear_values_text(&ms->values, call->arg, &elem_size);
	if (call->kind == LINEAR_SET_ADD || call->kind == LINEAR_ENQUEUE) {
		err = put(ms, text, size, elem, elem_size, !fifo,
			  call->kind == LINEAR_SET_ADD, next);
	} else if (call->arg == LINEAR_VALUE_NULL) {    /* a crashed fifo dequeue: the head */
		const char *nl = memchr(text, '\n', size);

		*next = state;
		if (size)
			err = take(ms, text, size, text, nl ? (size_t)(nl - text) : size, next);
	} else {
		line = fifo ? text : line_find(text, size, elem, elem_size);
		if (fifo && (size < elem_size || memcmp(text, elem, elem_size) != 0 ||
			     (size > elem_size && text[elem_size] != '\n')))
			line = NULL;
		legal = line != NULL;
		*next = state;
		if (legal)
			err = take(ms, text, size, line, elem_size, next);
		else if (call->info)
			legal = 1;      /* an info that cannot take effect did nothing */
	}
	free(text);
	return err < 0 ? err : legal;
}
