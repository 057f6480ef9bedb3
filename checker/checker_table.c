/* SPDX-License-Identifier: MIT */
/* checker_table.c - the one table of checkers: one row per checker, in inference order. */
#include "checker_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt_model.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "jepsen_counter.h"
#include "jepsen_queue.h"
#include "jepsen_set.h"
#include "jepsen_shape.h"
#include "jepsen_unique_ids.h"
#include "linear.h"
#include "lww_check.h"
#include "stream_window_transcript.h"
#include "textbuf.h"

/* Each system's checker that is more than one row here lives in checker/<system>_*.c. */
extern checker_make_fn pbft_checker_make;
extern checker_make_fn chord_checker_make;
extern checker_make_fn window_checker_make;
extern checker_make_fn mapreduce_checker_make;

/* gcounter, gset, orset: the CRDT checker with that model; "crdt": it infers the model. */
static int crdt_make(const struct checker_entry *entry, const struct linear_opts *linear,
		     struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	(void)linear;
	(void)eb;
	opts->model = strcmp(entry->name, "crdt") == 0 ? NULL : entry->name;
	*out = &crdt_checker;
	return 0;
}

static int lww_make(const struct checker_entry *entry, const struct linear_opts *linear,
		    struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	(void)entry;
	(void)linear;
	(void)opts;
	(void)eb;
	*out = &lww_checker;
	return 0;
}

static void linear_free(struct checker *checker)
{
	free(container_of(checker, struct linear_checker, base));
}

/* cas-register, kv: linearizability with the user's options under the entry's model. */
static int linear_make(const struct checker_entry *entry, const struct linear_opts *linear,
		       struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	struct linear_opts lo = linear ? *linear : (struct linear_opts){ 0 };
	struct heap_linear {
		struct linear_checker lc;
		struct checker_ops ops;         /* linear's, with a free */
	} *h = calloc(1, sizeof(*h));
	int err;

	(void)opts;
	if (!h)
		return errbuf_set(eb, -ENOMEM, "out of memory");
	err = linear_model_parse(entry->name, &lo.model);
	ASSERT(err == 0);
	linear_checker_init(&h->lc, &lo);
	h->ops = *h->lc.base.ops;
	h->ops.free = linear_free;
	h->lc.base.ops = &h->ops;
	*out = &h->lc.base;
	return 0;
}

/*
 * Whether every client invocation's f is one of @fs (NULL-terminated), and at least one is
 * @needed (NULL: any): the shape of a history of one of the linearizability models.
 */
static bool fs_within(const struct history *h, const char *const *fs, const char *needed)
{
	bool seen = false;

	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];
		size_t k;

		if (op->type != OP_INVOKE || op->process == OP_PROCESS_NEMESIS)
			continue;
		for (k = 0; fs[k] && strcmp(fs[k], op->f) != 0; k++)
			;
		if (!fs[k])
			return false;
		seen |= !needed || strcmp(op->f, needed) == 0;
	}
	return seen;
}

/* Reads, writes and at least one cas: Knossos's cas-register (a plain register too). */
static bool cas_register_detect(const struct history *h)
{
	static const char *const fs[] = { "read", "write", "cas", NULL };

	return fs_within(h, fs, "write") || fs_within(h, fs, "cas");
}

static bool kv_detect(const struct history *h)
{
	static const char *const fs[] = { "get", "put", "append", NULL };

	return fs_within(h, fs, "put") || fs_within(h, fs, "append");
}

static bool mutex_detect(const struct history *h)
{
	static const char *const fs[] = { "acquire", "release", NULL };

	return fs_within(h, fs, NULL);
}

static bool multi_register_detect(const struct history *h)
{
	static const char *const fs[] = { "txn", NULL };

	return fs_within(h, fs, NULL);
}

/* The Jepsen checkers; each row's name is its checker's ops->name. */
static const struct checker *const jepsen_checkers[] = {
	&jepsen_counter_checker, &jepsen_set_checker,   &jepsen_set_full_checker,
	&jepsen_queue_checker,   &jepsen_total_queue_checker, &jepsen_unique_ids_checker,
};

/* counter, set, set-full, queue, total-queue, unique-ids: the Jepsen checker so named. */
static int jepsen_make(const struct checker_entry *entry, const struct linear_opts *linear,
		       struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	(void)linear;
	(void)opts;
	(void)eb;
	for (size_t k = 0; k < ARRAY_SIZE(jepsen_checkers); k++) {
		if (strcmp(jepsen_checkers[k]->ops->name, entry->name) == 0)
			*out = jepsen_checkers[k];
	}
	ASSERT(*out);
	return 0;
}

/* broadcast: set-full over Maelstrom's broadcast workload, which adds with "broadcast". */
static int broadcast_make(const struct checker_entry *entry,
			  const struct linear_opts *linear, struct check_opts *opts,
			  const struct checker **out, struct errbuf *eb)
{
	(void)entry;
	(void)linear;
	(void)eb;
	opts->add_f = "broadcast";
	opts->read_f = "read";
	*out = &jepsen_set_full_checker;
	return 0;
}

static bool counter_detect(const struct history *h)
{
	return jepsen_shape_of(h) == JEPSEN_SHAPE_COUNTER;
}

static bool set_detect(const struct history *h)
{
	return jepsen_shape_of(h) == JEPSEN_SHAPE_SET;
}

static bool set_full_detect(const struct history *h)
{
	return jepsen_shape_of(h) == JEPSEN_SHAPE_SET_FULL;
}

static bool broadcast_detect(const struct history *h)
{
	return jepsen_shape_of(h) == JEPSEN_SHAPE_BROADCAST;
}

static bool queue_detect(const struct history *h)
{
	return jepsen_shape_of(h) == JEPSEN_SHAPE_QUEUE;
}

static bool total_queue_detect(const struct history *h)
{
	return jepsen_shape_of(h) == JEPSEN_SHAPE_TOTAL_QUEUE;
}

static bool unique_ids_detect(const struct history *h)
{
	return jepsen_shape_of(h) == JEPSEN_SHAPE_UNIQUE_IDS;
}

static bool always(const struct history *h)
{
	(void)h;
	return true;
}

static const struct checker_entry entries[] = {
	{ "gcounter", "G-Counter: convergence, lost and phantom increments", NULL, NULL, NULL,
	  false, crdt_make },
	{ "gset", "G-Set: convergence, lost and phantom adds", NULL, NULL, NULL, false,
	  crdt_make },
	{ "orset", "OR-Set: convergence, lost adds, removes honoured", NULL, NULL, NULL, false,
	  crdt_make },
	{ "lww", "LWW registers: causality, lost updates, divergence", "lww", NULL,
	  lww_history_detect, false, lww_make },
	{ "cas-register", "linearizability of one read/write/cas register per key", NULL, NULL,
	  cas_register_detect, false, linear_make },
	{ "register", "linearizability of one read/write register per key", NULL, NULL, NULL,
	  false, linear_make },
	{ "mutex", "linearizability of a lock: acquire and release", NULL, NULL, mutex_detect,
	  false, linear_make },
	{ "multi-register", "linearizability of txns reading and writing named registers",
	  NULL, NULL, multi_register_detect, false, linear_make },
	{ "kv", "linearizability of a key-value map", NULL, NULL, kv_detect, false,
	  linear_make },
	{ "linearizable-set", "linearizability of a set: add, and read of the whole set (Knossos's "
	  "set)", NULL, NULL, NULL, false, linear_make },
	{ "unordered-queue", "linearizability of a queue: enqueue, dequeue in any order", NULL,
	  NULL, NULL, false, linear_make },
	{ "fifo-queue", "linearizability of a FIFO queue: enqueue, dequeue of the head", NULL,
	  NULL, NULL, false, linear_make },
	{ "pbft", "cas-register + the replicas' evidence logs (agreement, total order, "
	  "checkpoints) + liveness, composed", "pbft", "cas-register", NULL, false,
	  pbft_checker_make },
	{ "chord", "Chord lookups against the true ring: wrong owners in a quiet ring, hops "
	  "that go nowhere, slow routing", "chord", NULL, NULL, false, chord_checker_make },
	{ "window", "a windowed stream job: its panes and side output against the events sent, "
	  "and the operators' watermarks", "stream", NULL, NULL, false, window_checker_make },
	{ "mapreduce", "MapReduce jobs: every output against a sequential run, commits, "
	  "re-executions, parallelism, counters", "mapreduce", NULL, NULL, false,
	  mapreduce_checker_make },
	/* Jepsen's checkers. Their detectors never take a history with a node or a final
	 * read on an add/read op, so the harness's own add/read histories reach the last row. */
	{ "counter", "Jepsen counter: each ok read between the ok adds and the possible adds",
	  NULL, NULL, counter_detect, false, jepsen_make },
	{ "set", "Jepsen set: adds, then a final read: lost and unexpected elements", NULL,
	  NULL, set_detect, false, jepsen_make },
	{ "set-full", "Jepsen set-full: every read, per element: lost, stale, never read",
	  NULL, NULL, set_full_detect, false, jepsen_make },
	{ "broadcast", "set-full over Maelstrom's broadcast ops (f broadcast and read)", NULL,
	  NULL, broadcast_detect, false, broadcast_make },
	{ "queue", "Jepsen queue: every dequeue comes from an enqueue (unordered queue)", NULL,
	  NULL, queue_detect, false, jepsen_make },
	{ "total-queue", "Jepsen total-queue: what is enqueued ok comes out; nothing else",
	  NULL, NULL, total_queue_detect, false, jepsen_make },
	{ "unique-ids", "Jepsen unique-ids: no id generated twice", NULL, NULL,
	  unique_ids_detect, false, jepsen_make },
	/* Last: a history nothing above recognizes goes to the CRDT checker, which infers
	 * its model from the ops. */
	{ "crdt", "a CRDT, the model inferred from the ops", NULL, NULL, always, true,
	  crdt_make },
};

const struct checker_entry *checker_entry_at(size_t i)
{
	return i < ARRAY_SIZE(entries) ? &entries[i] : NULL;
}

const struct checker_entry *checker_entry_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(entries); i++) {
		if (strcmp(entries[i].name, name) == 0)
			return &entries[i];
	}
	return NULL;
}

const struct checker_entry *checker_entry_for_run(const char *system, const char *model)
{
	for (size_t i = 0; system && i < ARRAY_SIZE(entries); i++) {
		const struct checker_entry *e = &entries[i];

		if (e->system && strcmp(e->system, system) == 0 &&
		    (!model || (e->extends && strcmp(e->extends, model) == 0)))
			return e;
	}
	return checker_entry_find(model);
}

const struct checker_entry *checker_entry_detect(const struct history *h)
{
	for (size_t i = 0; i < ARRAY_SIZE(entries); i++) {
		if (entries[i].detect && entries[i].detect(h))
			return &entries[i];
	}
	ASSERT(!"the last entry takes every history");
	return NULL;
}

const struct checker_entry *checker_entry_fallback(void)
{
	return &entries[ARRAY_SIZE(entries) - 1];
}

void checker_entry_names(char *out, size_t size)
{
	struct textbuf t;
	const char *sep = "";

	textbuf_init(&t, out, size);
	for (size_t i = 0; i < ARRAY_SIZE(entries); i++) {
		if (entries[i].hidden)
			continue;
		textbuf_put(&t, "%s%s", sep, entries[i].name);
		sep = ", ";
	}
}

int checker_make(const struct checker_entry *entry, const struct linear_opts *linear,
		 struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	ASSERT(entry && entry->make && opts && out);
	*out = NULL;
	return entry->make(entry, linear, opts, out, eb);
}

/* Transcripts are the stream system's (Beam-style window transcripts). */
int checker_transcript_check(const char *path, struct check_result *result, struct errbuf *eb)
{
	struct window_transcript *t = NULL;
	int err = window_transcript_load(path, &t, eb);

	if (err)
		return err;
	snprintf(result->chosen, sizeof(result->chosen), "window, from --transcript");
	err = window_transcript_check(t, result, eb);
	window_transcript_free(t);
	return err;
}
