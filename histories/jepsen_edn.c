/* SPDX-License-Identifier: MIT */
/* jepsen_edn.c - a small, non-recursive EDN reader producing jansson values. */
#include "jepsen_edn.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"

void jepsen_edn_init(struct jepsen_edn *r, const char *path, const char *text, size_t size)
{
	ASSERT(r);
	ASSERT(path);
	ASSERT(text || size == 0);
	*r = (struct jepsen_edn){ .path = path, .text = text, .size = size, .line = 1 };
}

void jepsen_edn_fini(struct jepsen_edn *r)
{
	if (!r)
		return;
	free(r->scratch);
	r->scratch = NULL;
	r->scratch_size = 0;
}

static int skip(struct jepsen_edn *r, bool stop_at_newline)
{
	while (r->pos < r->size) {
		char c = r->text[r->pos];

		if (c == '\n' && stop_at_newline)
			return '\n';
		if (c == ';') {
			while (r->pos < r->size && r->text[r->pos] != '\n')
				r->pos++;
			continue;
		}
		if (!isspace((unsigned char)c) && c != ',')
			return (unsigned char)c;
		if (c == '\n')
			r->line++;
		r->pos++;
	}
	return -1;
}

int jepsen_edn_skip(struct jepsen_edn *r)
{
	return skip(r, false);
}

int jepsen_edn_skip_line(struct jepsen_edn *r)
{
	return skip(r, true);
}

enum { GOT_BYTES_MAX = 24 };

/* What is at the current position, for messages: up to 16 bytes quoted, or end of input. */
static void got_text(const struct jepsen_edn *r, char got[GOT_BYTES_MAX])
{
	size_t n = 0;

	if (r->pos >= r->size) {
		snprintf(got, GOT_BYTES_MAX, "end of input");
		return;
	}
	while (n < 16 && r->pos + n < r->size && r->text[r->pos + n] != '\n')
		n++;
	snprintf(got, GOT_BYTES_MAX, "\"%.*s\"", (int)n, r->text + r->pos);
}

static int expected(const struct jepsen_edn *r, const char *what, struct errbuf *eb)
{
	char got[GOT_BYTES_MAX];

	got_text(r, got);
	return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected %s, got %s", r->path, r->line,
			  what, got);
}

static bool is_delimiter(char c)
{
	return isspace((unsigned char)c) || c == ',' || c == ';' || strchr("()[]{}\"", c);
}

/* The length of the token at the current position (a symbol, keyword or number). */
static size_t token_size(const struct jepsen_edn *r)
{
	size_t n = 0;

	while (r->pos + n < r->size && !is_delimiter(r->text[r->pos + n]))
		n++;
	return n;
}

static int scratch_put(struct jepsen_edn *r, size_t used, const char *bytes, size_t n)
{
	if (used + n > r->scratch_size) {
		size_t size = r->scratch_size ? r->scratch_size : 256;
		char *p;

		while (size < used + n)
			size *= 2;
		p = realloc(r->scratch, size);
		if (!p)
			return -ENOMEM;
		r->scratch = p;
		r->scratch_size = size;
	}
	memcpy(r->scratch + used, bytes, n);
	return 0;
}

/* Encodes code point @cp (< 0x110000) as UTF-8 into @out; returns the byte count. */
static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One escape after a backslash at r->pos - 1; its UTF-8 bytes go to @out. */
static int string_escape(struct jepsen_edn *r, char out[4], size_t *n, struct errbuf *eb)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	uint32_t cp = 0;

	if (r->pos >= r->size)
		return expected(r, "an escape after \\", eb);
	hit = strchr(from, r->text[r->pos]);
	if (hit && *hit) {
		out[0] = to[hit - from];
		*n = 1;
		r->pos++;
		return 0;
	}
	if (r->text[r->pos] != 'u' || r->size - r->pos < 5)
		return expected(r, "an escape \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX", eb);
	for (int k = 1; k <= 4; k++) {
		char c = r->text[r->pos + (size_t)k];

		if (!isxdigit((unsigned char)c))
			return expected(r, "four hex digits after \\u", eb);
		cp = cp * 16 + (uint32_t)(isdigit((unsigned char)c) ? c - '0' :
					   tolower((unsigned char)c) - 'a' + 10);
	}
	r->pos += 5;
	*n = utf8_encode(cp, out);
	return 0;
}

static int read_string(struct jepsen_edn *r, json_t **out, struct errbuf *eb)
{
	uint64_t line = r->line;
	size_t used = 0;
	int err = 0;

	ASSERT(r->text[r->pos] == '"');
	r->pos++;
	/* Bounded by the text size: each pass consumes at least one byte. */
	while (r->pos < r->size && r->text[r->pos] != '"') {
		char bytes[4];
		size_t n = 1;

		bytes[0] = r->text[r->pos++];
		if (bytes[0] == '\n')
			r->line++;
		if (bytes[0] == '\\')
			err = string_escape(r, bytes, &n, eb);
		if (!err)
			err = scratch_put(r, used, bytes, n);
		if (err == -ENOMEM)
			return errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", r->path, line);
		if (err)
			return err;
		used += n;
	}
	if (r->pos >= r->size)
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected the string begun here "
				  "to end with \"", r->path, line);
	r->pos++;
	*out = json_stringn(used ? r->scratch : "", used);
	if (!*out)
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected a UTF-8 string", r->path,
				  line);
	return 0;
}

static int read_number(struct jepsen_edn *r, size_t n, json_t **out, struct errbuf *eb)
{
	char buf[64], *end;

	if (n >= sizeof(buf))
		return expected(r, "a number of at most 63 characters", eb);
	memcpy(buf, r->text + r->pos, n);
	buf[n] = '\0';
	if (n > 1 && buf[n - 1] == 'N')
		buf[n - 1] = '\0';
	errno = 0;
	if (strpbrk(buf, ".eEM")) {
		double d = strtod(buf, &end);

		if (*end && !(*end == 'M' && !end[1]))
			return expected(r, "a number", eb);
		*out = json_real(d);
	} else {
		long long v = strtoll(buf, &end, 10);

		if (*end || errno == ERANGE)
			return expected(r, "an integer within 64 bits", eb);
		*out = json_integer(v);
	}
	r->pos += n;
	return *out ? 0 : errbuf_set(eb, -ENOMEM, "%s: out of memory", r->path);
}

/* A keyword, symbol or character (as a string), or nil/true/false. */
static int read_atom(struct jepsen_edn *r, json_t **out, struct errbuf *eb)
{
	const char *s = r->text + r->pos;
	size_t n = token_size(r);

	if (s[0] == '\\' && n == 1 && r->pos + 1 < r->size)
		n = 2;          /* a delimiter character such as \( or \space's first byte */
	if (n == 0)
		return expected(r, "a value", eb);
	if ((isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && n > 1 &&
					      isdigit((unsigned char)s[1]))))
		return read_number(r, n, out, eb);
	if (n == 3 && memcmp(s, "nil", 3) == 0)
		*out = json_null();
	else if (n == 4 && memcmp(s, "true", 4) == 0)
		*out = json_true();
	else if (n == 5 && memcmp(s, "false", 5) == 0)
		*out = json_false();
	else if ((s[0] == ':' || s[0] == '\\') && n == 1)
		return expected(r, "a keyword name after :", eb);
	else
		*out = json_stringn(s[0] == ':' || s[0] == '\\' ? s + 1 : s,
				    s[0] == ':' || s[0] == '\\' ? n - 1 : n);
	if (!*out)
		return expected(r, "a UTF-8 symbol", eb);
	r->pos += n;
	return 0;
}

/* One frame of the explicit parse stack: an open collection. */
struct frame {
	json_t *container;      /* array or object */
	json_t *key;            /* object only: the key read, awaiting its value; NULL if none */
	char close;
	uint64_t line;          /* where it opened, for messages */
};

/* The `#_` discards pending at one depth: the next @count values completed there are dropped. */
struct discard {
	size_t count;
	uint64_t line;          /* of the oldest pending #_, for messages */
};

struct parse {
	struct frame frames[JEPSEN_EDN_DEPTH_MAX];
	struct discard discards[JEPSEN_EDN_DEPTH_MAX + 1];     /* by depth; [0]: top level */
	int depth;
	bool discard_only;      /* stop once the top level's discards are done */
};

static void parse_free(struct parse *p)
{
	for (int k = 0; k < p->depth; k++) {
		json_decref(p->frames[k].container);
		json_decref(p->frames[k].key);
	}
	p->depth = 0;
}

static int open_collection(struct jepsen_edn *r, struct parse *p, struct errbuf *eb)
{
	char c = r->text[r->pos];
	struct frame *f;

	if (p->depth == JEPSEN_EDN_DEPTH_MAX)
		return errbuf_set(eb, -E2BIG, "%s:%" PRIu64 ": expected values nested at most "
				  "%d deep", r->path, r->line, JEPSEN_EDN_DEPTH_MAX);
	f = &p->frames[p->depth];
	*f = (struct frame){ .line = r->line };
	if (c == '#') {                         /* a set: #{...} */
		r->pos++;
		c = '[';
		f->close = '}';
	} else {
		f->close = c == '[' ? ']' : c == '(' ? ')' : '}';
	}
	f->container = c == '{' ? json_object() : json_array();
	if (!f->container)
		return errbuf_set(eb, -ENOMEM, "%s: out of memory", r->path);
	r->pos++;
	p->depth++;
	p->discards[p->depth] = (struct discard){ .count = 0 };
	return 0;
}

/* Map keys become strings: a keyword or string as is, anything else as its JSON text. */
static int key_text(json_t *key, char **out)
{
	*out = json_is_string(key) ? strdup(json_string_value(key)) :
	       json_dumps(key, JSON_COMPACT | JSON_ENCODE_ANY);
	return *out ? 0 : -ENOMEM;
}

/* Puts @v (stolen) into the innermost open collection. */
static int attach(struct jepsen_edn *r, struct frame *f, json_t *v, struct errbuf *eb)
{
	char *key;
	int err;

	if (json_is_array(f->container))
		return json_array_append_new(f->container, v) ? -ENOMEM : 0;
	if (!f->key) {
		f->key = v;
		return 0;
	}
	err = key_text(f->key, &key);
	if (err) {
		json_decref(v);
	} else if (json_object_get(f->container, key)) {
		err = errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected distinct map keys, got "
				 "%s twice", r->path, r->line, key);
		json_decref(v);
	} else if (json_object_set_new(f->container, key, v)) {
		err = -ENOMEM;          /* set_new took @v even so */
	}
	free(key);
	json_decref(f->key);
	f->key = NULL;
	return err;
}

/* Closes the innermost collection at r->pos; its value goes to @out. */
static int close_collection(struct jepsen_edn *r, struct parse *p, json_t **out,
			    struct errbuf *eb)
{
	struct frame *f = &p->frames[p->depth - 1];
	char c = r->text[r->pos];

	if (c != f->close) {
		char what[64];

		snprintf(what, sizeof(what), "'%c' to close the collection of line %" PRIu64,
			 f->close, f->line);
		return expected(r, what, eb);
	}
	if (f->key)
		return expected(r, "a value for the last map key", eb);
	r->pos++;
	*out = f->container;
	p->depth--;
	return 0;
}

static bool at_discard(const struct jepsen_edn *r)
{
	return r->pos + 1 < r->size && r->text[r->pos] == '#' && r->text[r->pos + 1] == '_';
}

static bool is_closing(int c)
{
	return c == ']' || c == ')' || c == '}';
}

/* A `#_` (at @d) with no form after it: the end of the input or of its collection. */
static int nothing_to_discard(const struct jepsen_edn *r, const struct discard *d,
			      struct errbuf *eb)
{
	char got[GOT_BYTES_MAX];

	got_text(r, got);
	if (r->line == d->line || r->pos >= r->size)
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected a form after #_ (it "
				  "discards the next form), got %s", r->path, d->line, got);
	return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected a form after #_ (it discards "
			  "the next form), got %s at line %" PRIu64, r->path, d->line, got,
			  r->line);
}

/* Reads one scalar or opens/closes a collection; *@out is set when a value completed. */
static int step(struct jepsen_edn *r, struct parse *p, json_t **out, struct errbuf *eb)
{
	int c = jepsen_edn_skip(r);
	struct discard *d = &p->discards[p->depth];

	*out = NULL;
	if ((c < 0 || is_closing(c)) && d->count)
		return nothing_to_discard(r, d, eb);
	if (c == '#' && at_discard(r)) {        /* #_: drop the next form at this depth */
		if (!d->count)
			d->line = r->line;
		d->count++;
		r->pos += 2;
		return 0;
	}
	if (c < 0 && p->depth)
		return errbuf_set(eb, -EBADMSG, "%s:%" PRIu64 ": expected a closing bracket '%c' "
				  "for the collection opened here, got end of input", r->path,
				  p->frames[p->depth - 1].line, p->frames[p->depth - 1].close);
	if (c < 0)
		return expected(r, "a value", eb);
	if (c == '[' || c == '(' || c == '{' ||
	    (c == '#' && r->pos + 1 < r->size && r->text[r->pos + 1] == '{'))
		return open_collection(r, p, eb);
	if (is_closing(c)) {
		if (!p->depth)
			return expected(r, "a value", eb);
		return close_collection(r, p, out, eb);
	}
	if (c == '#') {                         /* a tagged literal: drop the tag */
		r->pos++;
		r->pos += token_size(r);
		return 0;
	}
	if (c == '"')
		return read_string(r, out, eb);
	return read_atom(r, out, eb);
}

/* Drops @v if a #_ waits for it at the current depth; true if it did. */
static bool discarded(struct parse *p, json_t *v)
{
	struct discard *d = &p->discards[p->depth];

	if (!d->count)
		return false;
	d->count--;
	json_decref(v);
	return true;
}

/*
 * The parse loop: reads one value into *@out, dropping discarded forms. With
 * @discard_only (r->pos at a #_), returns with *@out NULL once that top-level #_ and any
 * it chains (#_ #_ a b) have had their forms.
 */
static int parse(struct jepsen_edn *r, bool discard_only, json_t **out, struct errbuf *eb)
{
	struct parse p = { .depth = 0, .discard_only = discard_only };
	json_t *v;
	int err;

	ASSERT(!discard_only || at_discard(r));
	*out = NULL;
	/* Bounded by the text size: every step consumes input. */
	for (;;) {
		err = step(r, &p, &v, eb);
		if (err)
			break;
		if (!v)
			continue;
		if (discarded(&p, v)) {
			if (p.discard_only && !p.depth && !p.discards[0].count)
				return 0;
			continue;
		}
		if (!p.depth) {
			ASSERT(!p.discard_only);
			*out = v;
			return 0;
		}
		err = attach(r, &p.frames[p.depth - 1], v, eb);
		if (err)
			break;
	}
	if (err == -ENOMEM)
		errbuf_set(eb, err, "%s:%" PRIu64 ": out of memory", r->path, r->line);
	parse_free(&p);
	ASSERT(err < 0);
	return err;
}

int jepsen_edn_read(struct jepsen_edn *r, json_t **out, struct errbuf *eb)
{
	ASSERT(r);
	ASSERT(out);
	return parse(r, false, out, eb);
}

int jepsen_edn_skip_discarded(struct jepsen_edn *r, int *next, struct errbuf *eb)
{
	int c;

	ASSERT(r);
	ASSERT(next);
	/* Bounded by the text size: each pass consumes at least the two bytes of a #_. */
	while ((c = jepsen_edn_skip(r)) == '#' && at_discard(r)) {
		json_t *v;
		int err = parse(r, true, &v, eb);

		if (err)
			return err;
		ASSERT(!v);
	}
	*next = c;
	return 0;
}
