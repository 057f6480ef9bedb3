/* SPDX-License-Identifier: MIT */
/* crdt_request.c - parsing of client request lines (untrusted text, never asserted on). */
#include "crdt.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"
#include "token.h"

enum { WORDS_MAX = 4 };        /* "add orset o 3": verb, type, object, integer */

/* parse_integer() - a decimal int64 with an optional '-'; no '+', no leading spaces. */
static int parse_integer(const struct token *w, int64_t *value)
{
	bool negative = w->size > 0 && w->p[0] == '-';
	uint64_t magnitude = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	size_t i = negative ? 1 : 0;

	if (i == w->size || w->size > CRDT_INTEGER_CHARS_MAX)
		return -EINVAL;
	for (; i < w->size; i++) {
		unsigned digit = (unsigned)(w->p[i] - '0');

		if (digit > 9 || magnitude > (limit - digit) / 10)
			return -EINVAL;
		magnitude = magnitude * 10 + digit;
	}
	ASSERT(magnitude <= limit);
	*value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return 0;
}

int crdt_request_parse(const char *line, size_t size, struct crdt_request *req,
		       struct errbuf *eb)
{
	struct token words[WORDS_MAX];
	int n = token_split_line(line, size, words, WORDS_MAX);

	if (n < 3)
		return errbuf_set(eb, -EINVAL, "bad syntax");
	memset(req, 0, sizeof(*req));
	if (token_is(&words[0], "add"))
		req->verb = CRDT_VERB_ADD;
	else if (token_is(&words[0], "remove"))
		req->verb = CRDT_VERB_REMOVE;
	else if (token_is(&words[0], "read"))
		req->verb = CRDT_VERB_READ;
	else
		return errbuf_set(eb, -EINVAL, "unknown verb");
	req->type = crdt_type_parse(words[1].p, words[1].size);
	if (req->type == CRDT_TYPE_NONE)
		return errbuf_set(eb, -EINVAL, "unknown type");
	if (!crdt_name_valid(words[2].p, words[2].size))
		return errbuf_set(eb, -EINVAL, "bad object name");
	memcpy(req->name, words[2].p, words[2].size);
	req->name[words[2].size] = '\0';
	if ((req->verb == CRDT_VERB_READ) != (n == 3))
		return errbuf_set(eb, -EINVAL, "bad syntax");
	if (n == 4) {
		if (parse_integer(&words[3], &req->value) < 0)
			return errbuf_set(eb, -EINVAL, "bad integer");
		req->has_value = true;
	}
	return 0;
}
