/* SPDX-License-Identifier: MIT */
/* mr_app.h - MapReduce applications (word count, inverted index, grep) and the partition. */
#ifndef MR_APP_H
#define MR_APP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct errbuf;

/*
 * Bounds (STYLE S18). Every key, value and reduce output is refused with -E2BIG past its bound,
 * never truncated. A document name is what the index writes into its output and grep into its
 * keys, so it is short and has no byte that the output format uses as a separator.
 */
enum {
	MR_DOC_NAME_BYTES_MAX = 255,      /* NAME_MAX: documents are files in one directory */
	MR_KEY_BYTES_MAX = 1024,          /* a word, or grep's "document:line-number" */
	MR_VALUE_BYTES_MAX = 4096,        /* "1", a document name, or one grep line */
	MR_OUTPUT_BYTES_MAX = 64 * 1024,  /* one reduce output, e.g. the index's document list */
	MR_APP_PARAM_BYTES_MAX = 256,     /* grep's pattern */
	MR_INDEX_VALUES_MAX = 1u << 16,   /* values one index reduce holds (to sort them) */
	MR_GREP_LINE_DIGITS = 10,         /* grep's zero-padded line numbers: keys in line order */
};

/* A borrowed run of bytes; not NUL-terminated. */
struct mr_slice {
	const char *bytes;
	size_t size;
};

/*
 * mr_emit_fn - receives one intermediate pair from a map. Both slices are borrowed for the call
 * only. Return: 0, or a negative errno that stops the map and is returned by it.
 */
typedef int mr_emit_fn(void *ctx, struct mr_slice key, struct mr_slice value);

/*
 * mr_values_next_fn - the next value of the key being reduced, into @value. The bytes stay
 * valid until the reduce returns. Return: 1 with a value, 0 at the end, or a negative errno.
 */
typedef int mr_values_next_fn(void *ctx, struct mr_slice *value);

/* The values of one key, as an iterator, so a caller need not hold them all (word count). */
struct mr_values {
	mr_values_next_fn *next;
	void *ctx;
};

struct mr_app;

/* A reduce (or combine): write the output value of @key into @out (at most @out_size bytes,
 * not NUL-terminated). Return: its size, or a negative errno. */
typedef ssize_t mr_reduce_fn(const struct mr_app *app, struct mr_slice key,
			     struct mr_values *values, char *out, size_t out_size,
			     struct errbuf *eb);

/*
 * The application seam (STYLE S24): a pair of deterministic functions, and an optional
 * combiner (the paper's section 4.3): a reduce whose output is one more value of the same key,
 * so a map may send the combined value of its values instead of all of them.
 * map: call @emit for each intermediate pair of the document @name with contents @input.
 */
struct mr_app_ops {
	const char *name;
	int (*map)(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
		   mr_emit_fn *emit, void *emit_ctx, struct errbuf *eb);
	mr_reduce_fn *reduce;
	mr_reduce_fn *combine;          /* NULL: none */
};

/* An application and its parameter (grep's pattern; empty for the others). */
struct mr_app {
	const struct mr_app_ops *ops;
	size_t param_size;
	char param[MR_APP_PARAM_BYTES_MAX + 1]; /* NUL-terminated copy */
};

/**
 * mr_app_init() - the application called @name ("wc", "index" or "grep") with @param.
 * @param: grep's fixed pattern (a byte substring, 1..MR_APP_PARAM_BYTES_MAX bytes, no newline);
 *         must be NULL or empty for wc and index.
 * Return: 0; -ENOENT for an unknown name; -EINVAL for a missing, unwanted or bad parameter;
 *         -E2BIG for a parameter over the bound. @app is untouched on error.
 */
int mr_app_init(struct mr_app *app, const char *name, const char *param, struct errbuf *eb);

/* mr_app_names() - the names mr_app_init() knows, for usage text: "wc, index, grep". */
const char *mr_app_names(void);

/**
 * mr_app_check_name() - whether @name can name a document: 1..MR_DOC_NAME_BYTES_MAX bytes,
 * none of NUL, space, tab, newline, carriage return or comma (the output separators).
 * Return: 0; -EINVAL, the message naming the byte.
 */
int mr_app_check_name(struct mr_slice name, struct errbuf *eb);

/**
 * mr_app_map() - run the map of @app over one document.
 * @name: the document's name, as mr_app_check_name() accepts.
 * Return: 0; -EINVAL for a bad @name; -E2BIG for a key or value over its bound (the message
 *         names the document and the offset); or what @emit returned.
 */
int mr_app_map(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
	       mr_emit_fn *emit, void *emit_ctx, struct errbuf *eb);

/**
 * mr_app_reduce() - run the reduce of @app over the values of @key.
 * @out_size: the room in @out; at most MR_OUTPUT_BYTES_MAX is used.
 * Return: the output's size (>= 0); -E2BIG if it does not fit or a bound is passed; -EINVAL for
 *         an empty key, no values, or values the application cannot have emitted (index: a
 *         value that is not a document name; grep: differing lines for one key);
 *         -ENOMEM; or what @values returned.
 */
ssize_t mr_app_reduce(const struct mr_app *app, struct mr_slice key, struct mr_values *values,
		      char *out, size_t out_size, struct errbuf *eb);

/* mr_app_combine() - run the combiner of @app (which has one: ops->combine), as a reduce. */
ssize_t mr_app_combine(const struct mr_app *app, struct mr_slice key, struct mr_values *values,
		       char *out, size_t out_size, struct errbuf *eb);

/* An iterator over an array of values, for callers that hold them (tests, a reduce task). */
struct mr_values_array {
	const struct mr_slice *items;
	size_t count;
	size_t index;
};

/* mr_values_array_init() - @values iterates over @count @items (borrowed). */
void mr_values_array_init(struct mr_values *values, struct mr_values_array *array,
			  const struct mr_slice *items, size_t count);

/**
 * mr_ihash() - FNV-1a 32-bit of @key, masked to 31 bits. This is the behaviour of the MIT
 * 6.824/6.5840 Lab 1 worker's ihash (Go's hash/fnv New32a, Sum32() & 0x7fffffff), so a
 * partition here equals the lab's for the same key and R.
 */
uint32_t mr_ihash(struct mr_slice key);

/* mr_partition() - the reduce partition of @key: mr_ihash(@key) mod @reduce_count (>= 1). */
uint32_t mr_partition(struct mr_slice key, uint32_t reduce_count);

/* mr_key_compare() - byte order, a prefix first: Go's string order, by which the lab sorts
 * keys (and reduce outputs are sorted). Return: < 0, 0 or > 0. */
static inline int mr_key_compare(struct mr_slice a, struct mr_slice b)
{
	size_t common = a.size < b.size ? a.size : b.size;
	int order = common ? memcmp(a.bytes, b.bytes, common) : 0;

	return order != 0 ? order : (a.size > b.size) - (a.size < b.size);
}

/* mr_is_letter() - the word rule: true for ASCII A-Z and a-z, false for every other byte. */
static inline int mr_is_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

#endif /* MR_APP_H */
