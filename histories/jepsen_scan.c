/* SPDX-License-Identifier: MIT */
/* jepsen_scan.c - a fast scanner for the common shape of a Jepsen EDN op map (see
 * jepsen_scan.h); it reads what histories/jepsen_edn.c would, or declines. */
#include "jepsen_scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"
#include "hist_value.h"

enum { KEY_PROCESS, KEY_TYPE, KEY_F, KEY_VALUE, KEY_TIME, KEY_INDEX, KEY_KEY, KEY_NODE,
       KEY_ERROR, KEY_OTHER, KEY_COUNT };

static const char *const key_names[KEY_OTHER] = {
	"process", "type", "f", "value", "time", "index", "key", "node", "error",
};

struct scan {
	const char *p, *end;
	struct jepsen_scanned *out;
	int64_t **ints;
	size_t *ints_max;
};

/*
 * What each byte is to a token: part of it, the delimiter that ends it (the full reader's,
 * jepsen_edn.c; a newline ends the common shape too), or a byte this scanner declines
 * (control, non-ASCII, '#', '\\'). A table: a strchr() per byte was a quarter of importing
 * a set history (perf, bench-checker gset EDN).
 */
enum byte_class { BYTE_TOKEN, BYTE_DELIMITER, BYTE_DECLINED };

_Static_assert('\t' == 0x09 && '\r' == 0x0d, "the table's ranges skip \\t..\\r");

static const uint8_t byte_class[256] = {
	[0x00 ... 0x08] = BYTE_DECLINED, [0x0e ... 0x1f] = BYTE_DECLINED,
	[0x7f ... 0xff] = BYTE_DECLINED, ['#'] = BYTE_DECLINED, ['\\'] = BYTE_DECLINED,
	['\t'] = BYTE_DELIMITER, ['\n'] = BYTE_DELIMITER, ['\v'] = BYTE_DELIMITER,
	['\f'] = BYTE_DELIMITER, ['\r'] = BYTE_DELIMITER, [' '] = BYTE_DELIMITER,
	[','] = BYTE_DELIMITER, [';'] = BYTE_DELIMITER, ['('] = BYTE_DELIMITER,
	[')'] = BYTE_DELIMITER, ['['] = BYTE_DELIMITER, [']'] = BYTE_DELIMITER,
	['{'] = BYTE_DELIMITER, ['}'] = BYTE_DELIMITER, ['"'] = BYTE_DELIMITER,
};

static bool is_delimiter(char c)
{
	return byte_class[(unsigned char)c] == BYTE_DELIMITER;
}

/* Blanks and commas on the line; false at a newline or a comment (not this shape). */
static bool skip(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == ',' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
	return s->p >= s->end || (*s->p != '\n' && *s->p != ';');
}

/* A token up to the next delimiter, plain printable ASCII only. */
static bool token(struct scan *s, struct jepsen_span *out)
{
	const char *p = s->p;

	/* Bounded by the text. */
	while (p < s->end && byte_class[(unsigned char)*p] == BYTE_TOKEN)
		p++;
	if (p < s->end && byte_class[(unsigned char)*p] == BYTE_DECLINED)
		return false;
	if (p == s->p)
		return false;
	*out = (struct jepsen_span){ s->p, (size_t)(p - s->p) };
	s->p = p;
	return true;
}

static bool keyword(struct scan *s, struct jepsen_span *out)
{
	if (s->p >= s->end || *s->p != ':')
		return false;
	s->p++;
	return token(s, out);
}

/* An integer as the full reader takes it (digits, a sign, a trailing N), in 64 bits. */
static bool integer(struct scan *s, int64_t *out)
{
	struct jepsen_span t;
	const char *p = s->p, *end, *stop;
	uint64_t v = 0;

	/* The common case first, in one pass: up to 18 plain digits (no overflow), then a
	 * delimiter. Set reads are vectors of hundreds of them. */
	while (p < s->end && (unsigned char)(*p - '0') < 10 && p - s->p < 18)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p > s->p && (p == s->end || is_delimiter(*p))) {
		*out = (int64_t)v;
		s->p = p;
		return true;
	}
	if (!token(s, &t))
		return false;
	p = t.start;
	end = t.start + t.size;
	if (*p == '-' || *p == '+')
		p++;
	if (p < end && end[-1] == 'N' && end - 1 > p)
		end--;          /* a trailing N (a big integer's mark) after a digit */
	return hist_value_digits(p, end, *t.start == '-', out, &stop) && stop == end;
}

/* A plain string: no escape, no newline, ASCII only. */
static bool string(struct scan *s, struct jepsen_span *out)
{
	const char *p = s->p + 1;

	if (s->p >= s->end || *s->p != '"')
		return false;
	/* Bounded by the text. */
	while (p < s->end && *p != '"') {
		if (*p == '\\' || *p == '\n' || (unsigned char)*p >= 0x80)
			return false;
		p++;
	}
	if (p >= s->end)
		return false;
	*out = (struct jepsen_span){ s->p + 1, (size_t)(p - s->p - 1) };
	s->p = p + 1;
	return true;
}

/* nil, an integer, or a vector of integers. Return: 1, 0, -ENOMEM. */
static int value(struct scan *s)
{
	struct op_value *v = &s->out->value;
	uint32_t n = 0;

	if (s->end - s->p >= 3 && memcmp(s->p, "nil", 3) == 0 &&
	    (s->end - s->p == 3 || is_delimiter(s->p[3]))) {
		s->p += 3;
		*v = (struct op_value){ .kind = OP_VALUE_NULL };
		return 1;
	}
	if (s->p < s->end && *s->p != '[') {
		*v = (struct op_value){ .kind = OP_VALUE_INT };
		return integer(s, &v->integer);
	}
	s->p++;
	/* Bounded by the text: each pass reads one element. */
	for (;;) {
		int64_t e;

		if (!skip(s) || s->p >= s->end)
			return 0;
		if (*s->p == ']')
			break;
		if (!integer(s, &e) || n == UINT32_MAX)
			return 0;
		if (n >= *s->ints_max) {
			size_t max = *s->ints_max ? *s->ints_max * 2 : 16;
			int64_t *grown = reallocarray(*s->ints, max, sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			*s->ints = grown;
			*s->ints_max = max;
		}
		(*s->ints)[n++] = e;
	}
	s->p++;
	*v = (struct op_value){ .kind = OP_VALUE_INTS, .count = n, .ints = n ? *s->ints : NULL };
	return 1;
}

static int key_of(const struct jepsen_span *k)
{
	for (int i = 0; i < KEY_OTHER; i++) {
		if (strlen(key_names[i]) == k->size && memcmp(key_names[i], k->start, k->size) == 0)
			return i;
	}
	return KEY_OTHER;
}

/* :process, :type and the text fields. */
static bool atom_field(struct scan *s, int k)
{
	struct jepsen_scanned *o = s->out;
	struct jepsen_span t;
	int64_t v;

	switch (k) {
	case KEY_PROCESS:
		if (keyword(s, &t))
			return t.size == 7 && memcmp(t.start, "nemesis", 7) == 0 &&
			       (o->process = OP_PROCESS_NEMESIS, true);
		if (!integer(s, &v) || v < 0 || v > INT32_MAX)
			return false;
		o->process = (int32_t)v;
		return true;
	case KEY_TYPE:
		if (!keyword(s, &t))
			return false;
		for (int type = 0; type < OP_TYPE_COUNT; type++) {
			const char *name = op_type_name((enum op_type)type);

			if (strlen(name) == t.size && memcmp(name, t.start, t.size) == 0) {
				o->type = (enum op_type)type;
				return true;
			}
		}
		return false;
	case KEY_F:
		return keyword(s, &o->f);
	case KEY_TIME:
		return integer(s, &o->time) && o->time >= 0 && (o->has_time = true);
	case KEY_INDEX:
		return integer(s, &o->index) && o->index >= 0;
	case KEY_OTHER:         /* ignored, as the full reader does: a single atom only */
		return string(s, &t) || keyword(s, &t) || integer(s, &v) || token(s, &t);
	default:
		return keyword(s, k == KEY_KEY ? &o->key : k == KEY_NODE ? &o->node : &o->error) ||
		       string(s, k == KEY_KEY ? &o->key : k == KEY_NODE ? &o->node : &o->error);
	}
}

static int map_read(struct scan *s)
{
	uint32_t seen = 0;
	struct jepsen_span k;

	s->p++;                         /* '{' */
	/* Bounded by the text: each pass reads one key and its value. */
	for (;;) {
		int which, rc = 1;

		if (!skip(s) || s->p >= s->end)
			return 0;
		if (*s->p == '}')
			break;
		if (!keyword(s, &k))
			return 0;
		which = key_of(&k);
		if (which != KEY_OTHER && (seen & (1u << which)))
			return 0;
		seen |= 1u << which;
		if (!skip(s) || s->p >= s->end)
			return 0;
		if (which == KEY_VALUE)
			rc = value(s);
		else if (!atom_field(s, which))
			rc = 0;
		if (rc <= 0)
			return rc;
		if (s->p < s->end && !is_delimiter(*s->p))
			return 0;
	}
	s->p++;
	/* The full reader wants these three; it says so when one is missing. */
	return (seen & 7u) == 7u;
}

int jepsen_scan_op(const char *text, size_t size, size_t *pos, struct jepsen_scanned *out,
		   int64_t **ints, size_t *ints_max)
{
	struct scan s = { .p = text + *pos, .end = text + size, .out = out, .ints = ints,
			  .ints_max = ints_max };
	int rc;

	ASSERT(text && pos && *pos <= size && out && ints && ints_max);
	if (s.p >= s.end || *s.p != '{')
		return 0;
	*out = (struct jepsen_scanned){ .index = -1, .value = { .kind = OP_VALUE_NULL } };
	rc = map_read(&s);
	if (rc == 1)
		*pos = (size_t)(s.p - text);
	return rc;
}
