/* SPDX-License-Identifier: MIT */
/* lww_request.c - client request lines (untrusted text, never asserted on) and reply lines. */
#include "lww.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "token.h"

enum { WORDS_MAX = 4 };        /* "write KEY VALUE AFTER" */

/* parse_decimal() - digits only, no sign, no leading zero, at most @max. Return: 0, -EINVAL. */
static int parse_decimal(const char *p, size_t size, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (size == 0 || size > LWW_INTEGER_CHARS_MAX || (p[0] == '0' && size > 1))
		return -EINVAL;
	for (size_t i = 0; i < size; i++) {
		unsigned digit = (unsigned)(p[i] - '0');

		if (digit > 9 || x > (max - digit) / 10)
			return -EINVAL;
		x = x * 10 + digit;
	}
	ASSERT(x <= max);
	*out = x;
	return 0;
}

/* parse_value() - a decimal int64 with an optional '-' ("-0" is refused, as "007" is). */
static int parse_value(const struct token *w, int64_t *value)
{
	bool negative = w->size > 0 && w->p[0] == '-';
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, magnitude;
	size_t skip = negative ? 1 : 0;

	if (parse_decimal(w->p + skip, w->size - skip, limit, &magnitude) < 0)
		return -EINVAL;
	if (negative && magnitude == 0)
		return -EINVAL;
	*value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return 0;
}

int lww_request_parse(const char *line, size_t size, struct lww_request *req,
		      struct errbuf *eb)
{
	struct token words[WORDS_MAX];
	int n;

	ASSERT(line || size == 0);
	n = token_split_line(line, size, words, WORDS_MAX);
	if (n < 2)
		return errbuf_set(eb, -EINVAL, "bad syntax");
	memset(req, 0, sizeof(*req));
	if (token_is(&words[0], "read"))
		req->verb = LWW_VERB_READ;
	else if (token_is(&words[0], "write"))
		req->verb = LWW_VERB_WRITE;
	else
		return errbuf_set(eb, -EINVAL, "unknown verb");
	if (n != (req->verb == LWW_VERB_READ ? 2 : 4))
		return errbuf_set(eb, -EINVAL, "bad syntax");
	if (!lww_key_valid(words[1].p, words[1].size))
		return errbuf_set(eb, -EINVAL, "bad key");
	memcpy(req->key, words[1].p, words[1].size);
	req->key[words[1].size] = '\0';
	req->key_size = (uint32_t)words[1].size;
	if (req->verb == LWW_VERB_READ)
		return 0;
	if (parse_value(&words[2], &req->value) < 0)
		return errbuf_set(eb, -EINVAL, "bad value");
	/* Every TS a node hands out is a packed HLC or wall-clock ns: at most INT64_MAX. */
	if (parse_decimal(words[3].p, words[3].size, (uint64_t)INT64_MAX, &req->after) < 0)
		return errbuf_set(eb, -EINVAL, "bad after");
	return 0;
}

ssize_t lww_reply_format(const struct lww_reply *r, char *buf, size_t size)
{
	char value[LWW_INTEGER_CHARS_MAX + 1] = "-", writer[LWW_INTEGER_CHARS_MAX + 1] = "-";
	int n;

	ASSERT(buf && size > 0);
	if (r->error) {
		ASSERT(strlen(r->error) < LWW_REASON_BYTES_MAX);
		n = snprintf(buf, size, "err %s\n", r->error);
	} else if (r->verb == LWW_VERB_WRITE) {
		ASSERT(r->reg.ts > 0);
		n = snprintf(buf, size, "ok %" PRIu64 " %" PRIu32 " %" PRId64 " %" PRIu64 "\n",
			     r->reg.ts, r->reg.writer, r->wall_ns, r->hlc);
	} else {
		ASSERT(r->verb == LWW_VERB_READ);
		if (r->reg.ts > 0) {
			snprintf(value, sizeof(value), "%" PRId64, r->reg.value);
			snprintf(writer, sizeof(writer), "%" PRIu32, r->reg.writer);
		}
		n = snprintf(buf, size, "ok %s %" PRIu64 " %s %" PRId64 " %" PRIu64 "\n", value,
			     r->reg.ts, writer, r->wall_ns, r->hlc);
	}
	ASSERT(n > 0 && n <= LWW_REPLY_BYTES_MAX);
	if ((size_t)n >= size)
		return -EMSGSIZE;
	return n;
}
