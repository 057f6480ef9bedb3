/* SPDX-License-Identifier: MIT */
/* jepsen_edn.h - private to histories/: a small EDN reader for Jepsen histories. */
#ifndef JEPSEN_EDN_H
#define JEPSEN_EDN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct errbuf;

/*
 * Debian ships no EDN library for C, so this is a hand-written reader of the subset Jepsen
 * histories use: nil, true, false, integers (64-bit; a trailing N is allowed), reals,
 * strings with escapes, keywords, symbols, characters, vectors, lists, sets, maps, `;`
 * comments, commas as whitespace, tagged literals (the tag is dropped) and the discard
 * macro: `#_ form` drops the next form, anywhere a value may stand (so `#_ #_ a b` drops a
 * and b, and `{:a #_ 1 2}` is {:a 2}); a `#_` with no form after it before the end of
 * the text or of its collection is an error naming the line of the `#_`. Values come back
 * as jansson values: keywords, symbols and characters become strings (":ok" -> "ok"), lists
 * and sets become arrays, map keys become strings. The parser keeps an explicit stack
 * (STYLE S23), at most JEPSEN_EDN_DEPTH_MAX deep.
 */
enum { JEPSEN_EDN_DEPTH_MAX = 64 };

/* Invariants: pos <= size; line is the 1-based line of text[pos]. */
struct jepsen_edn {
	const char *path;       /* borrowed, for messages */
	const char *text;       /* borrowed, not NUL-terminated */
	size_t size;
	size_t pos;
	uint64_t line;
	char *scratch;          /* string bytes being decoded; owned */
	size_t scratch_size;    /* bytes allocated at @scratch */
};

/* jepsen_edn_init() - read @size bytes of @text; @path names them in messages. */
void jepsen_edn_init(struct jepsen_edn *r, const char *path, const char *text, size_t size);

/* jepsen_edn_fini() - free the scratch buffer; a zeroed reader is allowed. */
void jepsen_edn_fini(struct jepsen_edn *r);

/**
 * jepsen_edn_skip() - skip whitespace, commas and comments.
 * Return: the next character, or -1 at the end of the text.
 */
int jepsen_edn_skip(struct jepsen_edn *r);

/**
 * jepsen_edn_skip_line() - like jepsen_edn_skip(), but stop at a newline (not consumed).
 * Return: the next character, '\n', or -1 at the end.
 */
int jepsen_edn_skip_line(struct jepsen_edn *r);

/**
 * jepsen_edn_skip_discarded() - like jepsen_edn_skip(), and also skip discarded forms
 * (`#_ form`, chains such as `#_ #_ a b` included), which are read, checked and dropped.
 * @next: receives the next character, or -1 at the end of the text.
 * Return: 0; as jepsen_edn_read() when a discarded form is malformed or missing.
 */
int jepsen_edn_skip_discarded(struct jepsen_edn *r, int *next, struct errbuf *eb);

/**
 * jepsen_edn_read() - read one value at the current position into @out (a new reference,
 * json_decref() it); discarded forms before it and inside it are skipped, none after it.
 * Return: 0; -EBADMSG with "path:line: expected ..." in @eb; -E2BIG deeper than
 * JEPSEN_EDN_DEPTH_MAX; -ENOMEM.
 */
int jepsen_edn_read(struct jepsen_edn *r, json_t **out, struct errbuf *eb);

#endif /* JEPSEN_EDN_H */
