/* SPDX-License-Identifier: MIT */
/* hist_scan.c - a fast scanner for the common shape of a history line (see hist_scan.h). */
#include "hist_scan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"
#include "hist_value.h"

enum {
	KEY_INDEX, KEY_TIME, KEY_PROCESS, KEY_TYPE, KEY_F, KEY_VALUE, KEY_NODE, KEY_KEY,
	KEY_ERROR, KEY_FINAL, KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
	"index", "time", "process", "type", "f", "value", "node", "key", "error", "final",
};
static const uint8_t key_sizes[KEY_COUNT] = { 5, 4, 7, 4, 1, 5, 4, 3, 5, 5 };

/* What must be there: index, time, process, type, f, value (FORMAT.md). */
#define KEYS_REQUIRED ((1u << KEY_INDEX) | (1u << KEY_TIME) | (1u << KEY_PROCESS) | \
		       (1u << KEY_TYPE) | (1u << KEY_F) | (1u << KEY_VALUE))

/* A string seen in the line: where its bytes start and end (the closing quote). */
struct span {
	char *start, *end;
};

struct scan {
	char *p, *end;
	struct span strings[KEY_COUNT];         /* by key; NULL start when absent */
	int64_t integers[KEY_COUNT];
	bool nemesis, final;
	struct op_value value;
	int64_t **ints;
	size_t *ints_max;
	uint32_t ints_count;
};

static void skip_blanks(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

/* A plain string (no escape, control or non-ASCII byte) after its opening quote. */
static bool string_read(struct scan *s, struct span *out)
{
	char *p = s->p;

	if (p >= s->end || *p != '"')
		return false;
	out->start = ++p;
	/* Bounded by the line. */
	while (p < s->end && *p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c == '\\' || c < 0x20 || c >= 0x80)
			return false;
		p++;
	}
	if (p >= s->end)
		return false;
	out->end = p;
	s->p = p + 1;
	return true;
}

/* A JSON integer (no fraction, no exponent, no leading zero) that fits int64_t. */
static bool integer_read(struct scan *s, int64_t *out)
{
	const char *p = s->p;
	bool negative = p < s->end && *p == '-';

	if (negative)
		p++;
	if (p < s->end && *p == '0' && p + 1 < s->end && p[1] >= '0' && p[1] <= '9')
		return false;   /* a leading zero */
	if (!hist_value_digits(p, s->end, negative, out, &p))
		return false;
	if (p < s->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return false;
	s->p += p - s->p;
	return true;
}

/*
 * integer_read() for an array element, with the common case inline: up to 18 digits, which
 * cannot overflow. Set reads are arrays of hundreds of small integers, and the calls per
 * element were a third of loading such a history (perf, bench-checker gset).
 */
static inline bool element_read(struct scan *s, int64_t *out)
{
	const char *p = s->p, *end = s->end, *start;
	bool negative = p < end && *p == '-';
	uint64_t v = 0;

	p += negative;
	start = p;
	while (p < end && (unsigned char)(*p - '0') < 10 && p - start < 18)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p == start || (p < end && (unsigned char)(*p - '0') < 10))
		return integer_read(s, out);    /* no digit, or more than 18: the careful way */
	if ((*start == '0' && p - start > 1) ||
	    (p < end && (*p == '.' || *p == 'e' || *p == 'E')))
		return false;                   /* a leading zero; a fraction or exponent */
	*out = negative ? -(int64_t)v : (int64_t)v;
	s->p += p - s->p;
	return true;
}

static bool word_read(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* [i, j, ...] into *s->ints. Return: 1, 0 not that, -ENOMEM. */
static int array_read(struct scan *s)
{
	uint32_t n = 0;

	s->p++;                                 /* '[' */
	skip_blanks(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->value = (struct op_value){ .kind = OP_VALUE_INTS };
		return 1;
	}
	/* Bounded by the line: each pass reads one element. */
	for (;;) {
		int64_t v;

		skip_blanks(s);
		if (!element_read(s, &v) || n == UINT32_MAX)
			return 0;
		if (n >= *s->ints_max) {
			size_t grown_max = *s->ints_max ? *s->ints_max * 2 : 16;
			int64_t *grown = reallocarray(*s->ints, grown_max, sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			*s->ints = grown;
			*s->ints_max = grown_max;
		}
		(*s->ints)[n++] = v;
		skip_blanks(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			break;
		}
		return 0;
	}
	s->value = (struct op_value){ .kind = OP_VALUE_INTS, .count = n, .ints = *s->ints };
	return 1;
}

static int value_read(struct scan *s)
{
	if (word_read(s, "null")) {
		s->value = (struct op_value){ .kind = OP_VALUE_NULL };
		return 1;
	}
	if (s->p < s->end && *s->p == '[')
		return array_read(s);
	s->value = (struct op_value){ .kind = OP_VALUE_INT };
	return integer_read(s, &s->value.integer);
}

/* The value of key @k at s->p. Return: 1, 0 not the common shape, -ENOMEM. */
static int field_read(struct scan *s, int k)
{
	switch (k) {
	case KEY_INDEX:
	case KEY_TIME:
		return integer_read(s, &s->integers[k]) && s->integers[k] >= 0;
	case KEY_PROCESS:
		if (s->p < s->end && *s->p == '"') {
			s->nemesis = true;
			return string_read(s, &s->strings[k]) &&
			       s->strings[k].end - s->strings[k].start == 7 &&
			       memcmp(s->strings[k].start, "nemesis", 7) == 0;
		}
		return integer_read(s, &s->integers[k]) && s->integers[k] >= 0 &&
		       s->integers[k] <= INT32_MAX;
	case KEY_VALUE:
		return value_read(s);
	case KEY_FINAL:
		s->final = word_read(s, "true");
		return s->final || word_read(s, "false");
	default:
		return string_read(s, &s->strings[k]);
	}
}

/* The key at s->p, as KEY_*; -1 for none of them. */
static int key_read(struct scan *s)
{
	struct span key;

	if (!string_read(s, &key))
		return -1;
	for (int k = 0; k < KEY_COUNT; k++) {
		size_t n = key_sizes[k];

		if ((size_t)(key.end - key.start) == n && key.start[0] == key_names[k][0] &&
		    memcmp(key.start, key_names[k], n) == 0)
			return k;
	}
	return -1;
}

/* The whole object. Return: 1, 0 not the common shape, -ENOMEM. */
static int object_read(struct scan *s)
{
	uint32_t seen = 0;

	skip_blanks(s);
	if (s->p >= s->end || *s->p != '{')
		return 0;
	s->p++;
	/* Bounded by the line: each pass reads one key and its value. */
	for (;;) {
		int k, rc;

		skip_blanks(s);
		k = key_read(s);
		if (k < 0 || (seen & (1u << k)))
			return 0;
		seen |= 1u << k;
		skip_blanks(s);
		if (s->p >= s->end || *s->p != ':')
			return 0;
		s->p++;
		skip_blanks(s);
		rc = field_read(s, k);
		if (rc <= 0)
			return rc;
		skip_blanks(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}')
			break;
		return 0;
	}
	s->p++;
	skip_blanks(s);
	return s->p == s->end && (seen & KEYS_REQUIRED) == KEYS_REQUIRED;
}

/* The string of key @k, NUL-terminated in place, or NULL when absent. */
static const char *string_of(struct scan *s, int k)
{
	if (!s->strings[k].start)
		return NULL;
	*s->strings[k].end = '\0';
	return s->strings[k].start;
}

/* op_type_parse() on a span, by length first: one memcmp, where strcmp() against each name
 * in turn showed in the load profile. */
static bool type_read(const struct span *t, enum op_type *out)
{
	size_t n = (size_t)(t->end - t->start);

	if (n == 6 && memcmp(t->start, "invoke", 6) == 0)
		*out = OP_INVOKE;
	else if (n == 2 && memcmp(t->start, "ok", 2) == 0)
		*out = OP_OK;
	else if (n == 4 && memcmp(t->start, "fail", 4) == 0)
		*out = OP_FAIL;
	else if (n == 4 && memcmp(t->start, "info", 4) == 0)
		*out = OP_INFO;
	else
		return false;
	return true;
}

int hist_scan_line(char *text, size_t size, struct op *op, struct op_note *note, int64_t **ints,
		   size_t *ints_max)
{
	struct scan s = { .p = text, .end = text + size, .ints = ints, .ints_max = ints_max };
	enum op_type parsed_type;
	int rc;

	ASSERT(text && op && note && ints && ints_max);
	rc = object_read(&s);
	if (rc <= 0)
		return rc;
	if (s.strings[KEY_F].start == s.strings[KEY_F].end)
		return 0;               /* an empty f: the full parser says so */
	if (s.integers[KEY_INDEX] >= OP_INDEX_LIMIT)
		return 0;               /* too large for struct op: the full parser says so */
	if (!type_read(&s.strings[KEY_TYPE], &parsed_type))
		return 0;               /* not one of the four: the full parser says so */
	/* Every check passed: now the strings may end in place. */
	*op = (struct op){
		.index = (uint32_t)s.integers[KEY_INDEX],
		.time_ns = s.integers[KEY_TIME],
		.process = s.nemesis ? OP_PROCESS_NEMESIS : (int32_t)s.integers[KEY_PROCESS],
		.value = s.value,
		.final = s.final,
	};
	op->type = parsed_type;
	op->f = string_of(&s, KEY_F);
	op->key = string_of(&s, KEY_KEY);
	note->node = string_of(&s, KEY_NODE);
	note->error = string_of(&s, KEY_ERROR);
	op->note = note->node || note->error ? note : NULL;
	return 1;
}
