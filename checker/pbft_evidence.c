/* SPDX-License-Identifier: MIT */
/* pbft_evidence.c - read the PBFT replicas' evidence.jsonl logs, every field validated. */
#include "pbft_evidence.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errbuf.h"
#include "hist_run_data.h"
#include "fl_assert.h"
#include "hist.h"


STATIC_ASSERT(PBFT_EV_INCARNATIONS_MAX <= UINT16_MAX + 1, "incarnation slots are uint16_t");
STATIC_ASSERT(PBFT_EV_EVENTS_MAX <= UINT32_MAX / 2, "event counts are uint32_t, doubling");
STATIC_ASSERT(PBFT_EV_REPLICAS_MAX <= 64, "replica sets fit a uint64_t mask");

static const char *const kind_names[] = {
	[PBFT_EV_COMMIT] = "commit",
	[PBFT_EV_EXECUTE] = "execute",
	[PBFT_EV_CHECKPOINT] = "checkpoint",
	[PBFT_EV_STATE_TRANSFER] = "state-transfer",
};

const char *pbft_ev_kind_name(enum pbft_ev_kind kind)
{
	ASSERT((size_t)kind < ARRAY_SIZE(kind_names));
	return kind_names[kind];
}

void pbft_ev_digest_prefix(const uint8_t digest[PBFT_EV_DIGEST_BYTES], char buf[9])
{
	static const char hex[] = "0123456789abcdef";

	ASSERT(digest && buf);
	for (int k = 0; k < 4; k++) {
		buf[2 * k] = hex[digest[k] >> 4];
		buf[2 * k + 1] = hex[digest[k] & 15];
	}
	buf[8] = '\0';
}

/* ---- One line's fields ----------------------------------------------------------------- */

/* The line being parsed: messages say "path:line: expected ...". */
struct line_ctx {
	const char *path;
	uint64_t line;
	json_t *doc;
	struct errbuf *eb;
};

static int bad(const struct line_ctx *c, const char *what, const char *key)
{
	return errbuf_set(c->eb, -EBADMSG, "%s:%" PRIu64 ": expected %s%s%s", c->path, c->line,
			  key ? "\"" : "", key ? key : "", what);
}

/* @key an integer in [@min, @max]; *@is_null (when not NULL) allows null or absence. */
static int field_int(const struct line_ctx *c, const char *key, int64_t min, int64_t max,
		     int64_t *out, bool *is_null)
{
	json_t *v = json_object_get(c->doc, key);
	char what[96];

	*out = 0;
	if (is_null)
		*is_null = !v || json_is_null(v);
	if (is_null && *is_null)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
		*out = json_integer_value(v);
		return 0;
	}
	if (max == INT64_MAX)
		snprintf(what, sizeof(what), "\": an integer >= %" PRId64 "%s", min,
			 is_null ? " or null" : "");
	else
		snprintf(what, sizeof(what), "\": an integer in [%" PRId64 ", %" PRId64 "]%s", min,
			 max, is_null ? " or null" : "");
	return bad(c, what, key);
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int field_digest(const struct line_ctx *c, uint8_t out[PBFT_EV_DIGEST_BYTES])
{
	const char *text = json_string_value(json_object_get(c->doc, "digest"));

	if (!text || strlen(text) != 2 * PBFT_EV_DIGEST_BYTES)
		return bad(c, "\": 64 lowercase hex digits", "digest");
	for (int k = 0; k < PBFT_EV_DIGEST_BYTES; k++) {
		int hi = hex_value(text[2 * k]), lo = hex_value(text[2 * k + 1]);

		if (hi < 0 || lo < 0)
			return bad(c, "\": 64 lowercase hex digits", "digest");
		out[k] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* "byzantine": an array of mode names, joined by "," into @out ("" when []). */
static int field_modes(const struct line_ctx *c, char out[PBFT_EV_MODES_BYTES_MAX])
{
	json_t *modes = json_object_get(c->doc, "byzantine"), *mode;
	size_t used = 0, k;

	out[0] = '\0';
	if (!json_is_array(modes))
		return bad(c, "\": an array of mode names", "byzantine");
	json_array_foreach(modes, k, mode) {
		const char *name = json_string_value(mode);
		size_t size = name ? strlen(name) : 0;

		if (!size)
			return bad(c, "\": an array of mode names", "byzantine");
		if (used + size + 2 > PBFT_EV_MODES_BYTES_MAX)
			return errbuf_set(c->eb, -E2BIG, "%s:%" PRIu64 ": byzantine modes longer "
					  "than %d bytes", c->path, c->line,
					  PBFT_EV_MODES_BYTES_MAX - 1);
		if (used)
			out[used++] = ',';
		memcpy(out + used, name, size + 1);
		used += size;
	}
	ASSERT(used < PBFT_EV_MODES_BYTES_MAX);
	return 0;
}

/* ---- Lines into a replica -------------------------------------------------------------- */

/* One log being read: the replica it belongs to (NULL before its first line), its modes. */
struct ev_file {
	struct pbft_evidence *ev;
	struct pbft_ev_replica *replica;
	char modes[PBFT_EV_MODES_BYTES_MAX];
};

/* A change of modes (a start line or a byzantine line) is recorded as a switch. */
static int modes_set(struct ev_file *f, const struct line_ctx *c, const char *modes,
		     int64_t time_ns)
{
	struct pbft_ev_replica *r = f->replica;
	struct pbft_ev_switch *s;

	ASSERT(r->incarnation_count > 0);
	if (modes[0])
		r->byzantine_ever = true;
	if (strcmp(modes, f->modes) == 0)
		return 0;
	if (r->switch_count >= PBFT_EV_SWITCHES_MAX)
		return errbuf_set(c->eb, -E2BIG, "%s:%" PRIu64 ": more than %d Byzantine mode "
				  "changes", c->path, c->line, PBFT_EV_SWITCHES_MAX);
	s = &r->switches[r->switch_count++];
	s->time_ns = time_ns;
	s->line = c->line;
	s->incarnation = r->incarnations[r->incarnation_count - 1].number;
	snprintf(s->modes, sizeof(s->modes), "%s", modes);
	snprintf(f->modes, sizeof(f->modes), "%s", modes);
	ASSERT(!r->byzantine_ever || r->switch_count > 0);
	return 0;
}

/* replicas and f must agree between all start lines of the run. */
static int start_sizes(struct ev_file *f, const struct line_ctx *c)
{
	struct pbft_evidence *ev = f->ev;
	int64_t n, faults;
	int err;

	err = field_int(c, "replicas", 1, INT32_MAX, &n, NULL);
	if (!err)
		err = field_int(c, "f", 0, INT32_MAX, &faults, NULL);
	if (err)
		return err;
	if (n > PBFT_EV_REPLICAS_MAX)
		return errbuf_set(c->eb, -E2BIG, "%s:%" PRIu64 ": %" PRId64 " replicas, more than "
				  "the %d checked", c->path, c->line, n, PBFT_EV_REPLICAS_MAX);
	if (ev->replicas_declared && (ev->replicas_declared != n || ev->f != faults))
		return errbuf_set(c->eb, -EBADMSG, "%s:%" PRIu64 ": expected replicas %" PRIu32
				  " and f %" PRIu32 " as in the other start lines, got %" PRId64
				  " and %" PRId64, c->path, c->line, ev->replicas_declared, ev->f,
				  n, faults);
	if (f->replica->id >= n)
		return bad(c, "\" below \"replicas\"", "replica");
	ev->replicas_declared = (uint32_t)n;
	ev->f = (uint32_t)faults;
	return 0;
}

static int line_start(struct ev_file *f, const struct line_ctx *c)
{
	struct pbft_ev_replica *r = f->replica;
	char modes[PBFT_EV_MODES_BYTES_MAX];
	struct pbft_ev_start *s;
	int64_t number, time_ns;
	int err;

	err = start_sizes(f, c);
	if (!err)
		err = field_int(c, "incarnation", 1, UINT32_MAX, &number, NULL);
	if (!err)
		err = field_int(c, "time_ns", INT64_MIN, INT64_MAX, &time_ns, NULL);
	if (!err)
		err = field_modes(c, modes);
	if (err)
		return err;
	if (r->incarnation_count >= PBFT_EV_INCARNATIONS_MAX)
		return errbuf_set(c->eb, -E2BIG, "%s:%" PRIu64 ": more than %d start lines",
				  c->path, c->line, PBFT_EV_INCARNATIONS_MAX);
	s = &r->incarnations[r->incarnation_count++];
	s->time_ns = time_ns;
	s->line = c->line;
	s->number = (uint32_t)number;
	s->byzantine = modes[0] != '\0';
	return modes_set(f, c, modes, time_ns);
}

static int line_byzantine(struct ev_file *f, const struct line_ctx *c)
{
	char modes[PBFT_EV_MODES_BYTES_MAX];
	int64_t time_ns;
	int err;

	err = field_int(c, "time_ns", INT64_MIN, INT64_MAX, &time_ns, NULL);
	if (!err)
		err = field_modes(c, modes);
	return err ? err : modes_set(f, c, modes, time_ns);
}

/* "f" of an execute: null (the null batch), "read", "write" or "cas". */
static int field_f(const struct line_ctx *c, uint8_t *out)
{
	json_t *v = json_object_get(c->doc, "f");
	const char *name = json_string_value(v);

	if (!v || json_is_null(v))
		*out = PBFT_EV_F_NONE;
	else if (name && strcmp(name, "read") == 0)
		*out = PBFT_EV_F_READ;
	else if (name && strcmp(name, "write") == 0)
		*out = PBFT_EV_F_WRITE;
	else if (name && strcmp(name, "cas") == 0)
		*out = PBFT_EV_F_CAS;
	else
		return bad(c, "\": \"read\", \"write\", \"cas\" or null", "f");
	return 0;
}

/* The op fields of an execute line: f (null iff the null batch), key, a, b. */
static int execute_op(const struct line_ctx *c, struct pbft_ev *e)
{
	bool key_null;
	int err;

	err = field_f(c, &e->f);
	if (!err)
		err = field_int(c, "key", 0, INT64_MAX, &e->key, &key_null);
	if (!err)
		err = field_int(c, "a", INT64_MIN, INT64_MAX, &e->a, &e->a_null);
	if (!err)
		err = field_int(c, "b", INT64_MIN, INT64_MAX, &e->b, &e->b_null);
	if (err)
		return err;
	if ((e->f == PBFT_EV_F_NONE) != (e->client < 0))
		return bad(c, "\" null exactly when \"client\" is null (the null batch)", "f");
	if (e->f != PBFT_EV_F_NONE && key_null)
		return bad(c, "\": an integer >= 0", "key");
	if (key_null)
		e->key = -1;
	return 0;
}

/* view, seq, digest, index, client, ts: the fields commit and execute lines share. */
static int batch_fields(const struct line_ctx *c, struct pbft_ev *e)
{
	int64_t view, seq, index, client, ts;
	bool client_null;
	int err;

	err = field_int(c, "view", 0, INT64_MAX, &view, NULL);
	if (!err)
		err = field_int(c, "seq", 0, INT64_MAX, &seq, NULL);
	if (!err)
		err = field_digest(c, e->digest);
	if (!err)
		err = field_int(c, "index", 0, UINT32_MAX, &index, NULL);
	if (!err)
		err = field_int(c, "client", 0, INT32_MAX, &client, &client_null);
	if (!err)
		err = field_int(c, "ts", 0, INT64_MAX, &ts, NULL);
	if (err)
		return err;
	e->view = (uint64_t)view;
	e->seq = (uint64_t)seq;
	e->index = (uint32_t)index;
	e->client = client_null ? -1 : (int32_t)client;
	e->ts = client_null ? 0 : (uint64_t)ts;
	return 0;
}

/* Optional on commit lines: "voters", the distinct replica ids of the commit certificate. */
static int field_voters(const struct line_ctx *c, struct pbft_ev *e)
{
	json_t *v = json_object_get(c->doc, "voters"), *id;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return bad(c, "\": an array of replica ids", "voters");
	json_array_foreach(v, i, id) {
		json_int_t n = json_is_integer(id) ? json_integer_value(id) : -1;

		if (n < 0 || n >= PBFT_EV_REPLICAS_MAX || (e->voters >> n) & 1)
			return bad(c, "\": distinct replica ids below 10", "voters");
		e->voters |= 1u << n;
	}
	e->has_voters = true;
	return 0;
}

static int event_append(struct pbft_ev_replica *r, const struct line_ctx *c,
			const struct pbft_ev *e)
{
	if (r->event_count >= PBFT_EV_EVENTS_MAX)
		return errbuf_set(c->eb, -E2BIG, "%s:%" PRIu64 ": more than %d events",
				  c->path, c->line, PBFT_EV_EVENTS_MAX);
	if (r->event_count == r->event_capacity) {
		uint32_t capacity = r->event_capacity ? 2 * r->event_capacity : 256;
		struct pbft_ev *events;

		if (capacity > PBFT_EV_EVENTS_MAX)
			capacity = PBFT_EV_EVENTS_MAX;
		events = realloc(r->events, (size_t)capacity * sizeof(*events));
		if (!events)
			return errbuf_set(c->eb, -ENOMEM, "%s: out of memory", c->path);
		r->events = events;
		r->event_capacity = capacity;
	}
	r->events[r->event_count++] = *e;
	r->kind_counts[e->kind]++;
	if (e->kind == PBFT_EV_EXECUTE && (!r->executed_any || e->seq > r->executed_max)) {
		r->executed_max = e->seq;
		r->executed_any = true;
	}
	ASSERT(r->event_count <= r->event_capacity);
	return 0;
}

static int line_event(struct ev_file *f, const struct line_ctx *c, enum pbft_ev_kind kind)
{
	struct pbft_ev e = { .kind = (uint8_t)kind, .client = -1, .key = -1 };
	int64_t seq;
	int err;

	e.line = c->line;
	e.incarnation = (uint16_t)(f->replica->incarnation_count - 1);
	if (kind == PBFT_EV_COMMIT || kind == PBFT_EV_EXECUTE) {
		err = batch_fields(c, &e);
		if (!err && kind == PBFT_EV_EXECUTE)
			err = execute_op(c, &e);
		if (!err && kind == PBFT_EV_COMMIT)
			err = field_voters(c, &e);
	} else {
		err = field_int(c, "seq", 0, INT64_MAX, &seq, NULL);
		e.seq = (uint64_t)seq;
		if (!err)
			err = field_digest(c, e.digest);
	}
	return err ? err : event_append(f->replica, c, &e);
}

/* The replica of the line: the file's first line picks a slot no other file took. */
static int line_replica(struct ev_file *f, const struct line_ctx *c)
{
	struct pbft_ev_replica *r;
	int64_t id;
	int err;

	err = field_int(c, "replica", 0, INT32_MAX, &id, NULL);
	if (err)
		return err;
	if (id >= PBFT_EV_REPLICAS_MAX)
		return errbuf_set(c->eb, -E2BIG, "%s:%" PRIu64 ": replica %" PRId64 ", beyond the "
				  "%d replicas checked", c->path, c->line, id,
				  PBFT_EV_REPLICAS_MAX);
	if (f->replica)
		return f->replica->id == id ? 0 : bad(c, "\" the same in every line of a log",
						       "replica");
	r = &f->ev->replicas[id];
	if (r->seen)
		return errbuf_set(c->eb, -EBADMSG, "%s:%" PRIu64 ": replica %" PRId64 " already "
				  "has a log: %s", c->path, c->line, id, r->path);
	r->seen = true;
	r->id = (uint32_t)id;
	snprintf(r->path, sizeof(r->path), "%s", c->path);
	f->replica = r;
	f->ev->replica_count++;
	return 0;
}

static int line_parse(struct ev_file *f, struct line_ctx *c, const char *text, size_t size)
{
	static const char *const evs[] = { "commit", "execute", "checkpoint", "state-transfer" };
	json_error_t jerr;
	const char *name;
	int err;

	c->doc = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c->doc))
		return errbuf_set(c->eb, -EBADMSG, "%s:%" PRIu64 ": expected a JSON object (%s)",
				  c->path, c->line, c->doc ? "not an object" : jerr.text);
	err = line_replica(f, c);
	if (err)
		return err;
	name = json_string_value(json_object_get(c->doc, "ev"));
	if (name && strcmp(name, "start") == 0)
		return line_start(f, c);
	if (name && f->replica->incarnation_count == 0)
		return bad(c, "a start line before any other", NULL);
	if (name && strcmp(name, "byzantine") == 0)
		return line_byzantine(f, c);
	for (size_t k = 0; name && k < ARRAY_SIZE(evs); k++)
		if (strcmp(name, evs[k]) == 0)
			return line_event(f, c, (enum pbft_ev_kind)k);
	return bad(c, "\": start, byzantine, commit, execute, checkpoint or state-transfer",
		   "ev");
}

static void warn_torn(struct pbft_evidence *ev, const char *path, uint64_t line)
{
	size_t used = strlen(ev->warning);

	if (used + 1 >= sizeof(ev->warning))
		return;         /* a warning: the first ones are enough */
	/* Truncation is allowed: it is a diagnostic. */
	if (snprintf(ev->warning + used, sizeof(ev->warning) - used, "%s%s:%" PRIu64 ": torn "
		     "last line ignored", used ? "; " : "", path, line) < 0)
		ev->warning[used] = '\0';
}

/* Read @path line by line; a last line without a newline is torn and skipped. */
static int file_load(struct pbft_evidence *ev, const char *path, struct errbuf *eb)
{
	char buf[PBFT_EV_LINE_BYTES_MAX + 1];
	struct ev_file f = { .ev = ev, .replica = NULL };
	struct line_ctx c = { .path = path, .line = 0, .doc = NULL, .eb = eb };
	FILE *file = fopen(path, "r");
	int err = 0;

	if (!file)
		return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
	while (!err && fgets(buf, sizeof(buf), file)) {
		size_t size = strlen(buf);

		c.line++;
		if (size == 0 || buf[size - 1] != '\n') {
			if (!feof(file) || size + 1 >= sizeof(buf))
				err = errbuf_set(eb, -E2BIG, "%s:%" PRIu64 ": line longer than %d "
						 "bytes", path, c.line, PBFT_EV_LINE_BYTES_MAX);
			else
				warn_torn(ev, path, c.line);
			break;
		}
		err = line_parse(&f, &c, buf, size - 1);
		json_decref(c.doc);
		c.doc = NULL;
	}
	if (!err && ferror(file))
		err = errbuf_set(eb, -EIO, "%s: read error", path);
	fclose(file);
	ev->file_count += f.replica != NULL;
	return err;
}

/* ---- The run directory ----------------------------------------------------------------- */

static int path_make(char *out, const char *a, const char *b, struct errbuf *eb)
{
	int n = snprintf(out, PBFT_EV_PATH_BYTES_MAX, "%s/%s", a, b);

	if (n < 0 || n >= PBFT_EV_PATH_BYTES_MAX)
		return errbuf_set(eb, -ENAMETOOLONG, "%s/%s: path too long", a, b);
	return 0;
}

static int evidence_load(struct pbft_evidence *ev, const char *run_dir, struct errbuf *eb)
{
	char names[PBFT_EV_FILES_MAX][HIST_RUN_DATA_NAME_BYTES_MAX]; /* 4 KiB of stack */
	char nodes[PBFT_EV_PATH_BYTES_MAX], dir[PBFT_EV_PATH_BYTES_MAX];
	char path[PBFT_EV_PATH_BYTES_MAX];
	struct stat st;
	uint32_t count;
	int err;

	err = path_make(nodes, run_dir, hist_run_file_name(HIST_RUN_NODES), eb);
	if (!err)
		err = hist_run_data_dirs(nodes, names, PBFT_EV_FILES_MAX, &count, eb);
	for (uint32_t k = 0; !err && k < count; k++) {
		err = path_make(dir, nodes, names[k], eb);
		if (!err)
			err = path_make(path, dir, "evidence.jsonl", eb);
		if (err || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;       /* not a replica's folder, or one that never started */
		err = file_load(ev, path, eb);
	}
	return err;
}

int pbft_evidence_new(struct pbft_evidence **out, const char *run_dir, struct errbuf *eb)
{
	struct pbft_evidence *ev;
	int err;

	ASSERT(out);
	ASSERT(run_dir);
	*out = NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return errbuf_set(eb, -ENOMEM, "%s: out of memory", run_dir);
	err = evidence_load(ev, run_dir, eb);
	if (err) {
		pbft_evidence_free(ev);
		return err;
	}
	ASSERT(ev->file_count == ev->replica_count);
	*out = ev;
	return 0;
}

void pbft_evidence_free(struct pbft_evidence *ev)
{
	if (!ev)
		return;
	for (int k = 0; k < PBFT_EV_REPLICAS_MAX; k++)
		free(ev->replicas[k].events);
	free(ev);
}
