/* SPDX-License-Identifier: MIT */
/* pbft_evlog.c - pbft-node's evidence log: events formatted into one buffer, one write. */
#include "pbft_evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "textbuf.h"
#include "pbft.h"

enum { PATH_BYTES_MAX = 4096 };

/* Text being built in a bounded buffer; full: something did not fit (and was cut). */
size_t pbft_evlog_names(uint32_t flags, bool bugs, char *buf, size_t size)
{
	struct textbuf t;
	const char *sep = "";

	ASSERT(buf && size >= 3);
	textbuf_init(&t, buf, size);
	textbuf_put(&t, "[");
	for (uint32_t i = 0; i < 32; i++) {
		uint32_t flag = flags & (1u << i);
		const char *name = !flag ? NULL : bugs ? pbft_bug_name(flag) :
							 pbft_byzantine_name(flag);
		size_t mark = t.used;

		if (!name)
			continue;
		textbuf_put(&t, "%s\"%s\"", sep, name);
		if (t.full || t.used + 2 > size - 1) {
			/* Leave the list well-formed: drop what does not fit with its "]". */
			t.used = mark;
			buf[mark] = '\0';
			t.full = false;
			break;
		}
		sep = ",";
	}
	textbuf_put(&t, "]");
	ASSERT(!t.full);
	return t.used;
}

int pbft_evlog_open(struct pbft_evlog *e, const char *dir, uint32_t replica,
		       struct errbuf *eb)
{
	char path[PATH_BYTES_MAX];
	int n;

	*e = (struct pbft_evlog){ .fd = -1, .replica = replica };
	if (!dir)
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, PBFT_EVLOG_NAME);
	if (n < 0 || (size_t)n >= sizeof(path))
		return errbuf_set(eb, -ENAMETOOLONG, "evidence log in '%s'", dir);
	e->size = (size_t)PBFT_OUT_EVENTS_MAX * PBFT_EVLOG_LINE_BYTES_MAX;
	e->buf = malloc(e->size);
	if (!e->buf)
		return errbuf_set(eb, -ENOMEM, "evidence buffer");
	e->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (e->fd < 0)
		return errbuf_set(eb, -errno, "open %s", path);
	return 0;
}

void pbft_evlog_close(struct pbft_evlog *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	free(e->buf);
	e->buf = NULL;
}

/* flush() - @t's lines to the log in one write(2) (more only if the kernel cuts it short). */
static int flush(struct pbft_evlog *e, const struct textbuf *t, uint64_t lines)
{
	size_t done = 0;

	ASSERT(!t->full);
	/* Bounded: each pass writes at least one byte, or returns. */
	while (done < t->used) {
		ssize_t n = write(e->fd, t->buf + done, t->used - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e->write_error_count++;
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	e->line_count += lines;
	return 0;
}

int pbft_evlog_start(struct pbft_evlog *e, const struct pbft_config *config,
			uint64_t incarnation, int64_t time_ns)
{
	char byz[PBFT_EVLOG_NAMES_BYTES_MAX], bugs[PBFT_EVLOG_NAMES_BYTES_MAX];
	struct textbuf t;

	ASSERT(incarnation >= 1);
	if (e->fd < 0)
		return 0;
	pbft_evlog_names(config->byzantine, false, byz, sizeof(byz));
	pbft_evlog_names(config->bugs, true, bugs, sizeof(bugs));
	textbuf_init(&t, e->buf, e->size);
	textbuf_put(&t, "{\"ev\":\"start\",\"replica\":%" PRIu32 ",\"replicas\":%" PRIu32
		    ",\"f\":%" PRIu32 ",\"incarnation\":%" PRIu64 ",\"byzantine\":%s,\"bugs\":%s,"
		    "\"time_ns\":%" PRId64 "}\n", e->replica, config->replicas,
		    (config->replicas - 1) / 3, incarnation, byz, bugs, time_ns);
	return flush(e, &t, 1);
}

int pbft_evlog_byzantine(struct pbft_evlog *e, uint32_t flags, int64_t time_ns)
{
	char byz[PBFT_EVLOG_NAMES_BYTES_MAX];
	struct textbuf t;

	if (e->fd < 0)
		return 0;
	pbft_evlog_names(flags, false, byz, sizeof(byz));
	textbuf_init(&t, e->buf, e->size);
	textbuf_put(&t, "{\"ev\":\"byzantine\",\"replica\":%" PRIu32 ",\"byzantine\":%s,"
		    "\"time_ns\":%" PRId64 "}\n", e->replica, byz, time_ns);
	return flush(e, &t, 1);
}

static void put_digest(struct textbuf *t, const uint8_t digest[PBFT_DIGEST_BYTES])
{
	static const char hex[] = "0123456789abcdef";
	char text[2 * PBFT_DIGEST_BYTES + 1];

	for (uint32_t i = 0; i < PBFT_DIGEST_BYTES; i++) {
		text[2 * i] = hex[digest[i] >> 4];
		text[2 * i + 1] = hex[digest[i] & 15];
	}
	text[2 * PBFT_DIGEST_BYTES] = '\0';
	textbuf_put(t, "\"digest\":\"%s\"", text);
}

static void put_value(struct textbuf *t, const char *name, const struct pbft_value *v)
{
	if (v->present)
		textbuf_put(t, ",\"%s\":%" PRId64, name, v->v);
	else
		textbuf_put(t, ",\"%s\":null", name);
}

static const char *verb_name(uint8_t verb)
{
	switch (verb) {
	case PBFT_VERB_READ:
		return "read";
	case PBFT_VERB_WRITE:
		return "write";
	default:
		ASSERT(verb == PBFT_VERB_CAS);
		return "cas";
	}
}

/* put_request() - commit and execute: where in the log, and (execute) the op. */
static void put_request(struct textbuf *t, uint32_t replica, const struct pbft_event *ev)
{
	bool null_batch = ev->client == UINT32_MAX;
	bool execute = ev->type == PBFT_EV_EXECUTE;

	textbuf_put(t, "{\"ev\":\"%s\",\"replica\":%" PRIu32 ",\"view\":%" PRIu64 ",\"seq\":%"
		    PRIu64 ",", execute ? "execute" : "commit", replica, ev->view, ev->seq);
	put_digest(t, ev->digest);
	textbuf_put(t, ",\"index\":%" PRIu32, ev->index);
	if (null_batch)
		textbuf_put(t, ",\"client\":null,\"ts\":0");
	else
		textbuf_put(t, ",\"client\":%" PRIu32 ",\"ts\":%" PRIu64, ev->client,
			    ev->timestamp);
	if (execute && null_batch) {
		textbuf_put(t, ",\"f\":null,\"key\":null,\"a\":null,\"b\":null");
	} else if (execute) {
		textbuf_put(t, ",\"f\":\"%s\",\"key\":%" PRIu32, verb_name(ev->op.verb),
			    ev->op.key);
		put_value(t, "a", &ev->op.a);
		put_value(t, "b", &ev->op.b);
	} else {
		/* The commit certificate: the replicas whose matching commit it holds. */
		textbuf_put(t, ",\"voters\":[");
		for (uint32_t i = 0, sep = 0; i < PBFT_REPLICAS_MAX; i++) {
			if (ev->voters & (1u << i))
				textbuf_put(t, "%s%" PRIu32, sep++ ? "," : "", i);
		}
		textbuf_put(t, "]");
	}
	textbuf_put(t, "}\n");
}

static void put_event(struct textbuf *t, uint32_t replica, const struct pbft_event *ev)
{
	size_t start = t->used;

	switch (ev->type) {
	case PBFT_EV_COMMIT:
	case PBFT_EV_EXECUTE:
		put_request(t, replica, ev);
		break;
	default:
		ASSERT(ev->type == PBFT_EV_CHECKPOINT || ev->type == PBFT_EV_STATE_TRANSFER);
		textbuf_put(t, "{\"ev\":\"%s\",\"replica\":%" PRIu32 ",\"seq\":%" PRIu64 ",",
			    ev->type == PBFT_EV_CHECKPOINT ? "checkpoint" : "state-transfer",
			    replica, ev->seq);
		put_digest(t, ev->digest);
		textbuf_put(t, "}\n");
		break;
	}
	ASSERT(!t->full && t->used - start < PBFT_EVLOG_LINE_BYTES_MAX);
}

int pbft_evlog_events(struct pbft_evlog *e, const struct pbft_event *events,
			 uint32_t count)
{
	struct textbuf t;

	ASSERT(count <= PBFT_OUT_EVENTS_MAX);
	if (e->fd < 0 || count == 0)
		return 0;
	textbuf_init(&t, e->buf, e->size);
	for (uint32_t i = 0; i < count; i++)
		put_event(&t, e->replica, &events[i]);
	return flush(e, &t, count);
}
