/* SPDX-License-Identifier: MIT */
/* crdt.c - the replica: objects, client updates and reads, deltas, anti-entropy, merging. */
#include "crdt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt_store.h"
#include "crdt_wire.h"
#include "fl_assert.h"

/*
 * Invariants: objects[0..object_count) have distinct names and a type; next_seq only grows
 * and stays < CRDT_SEQ_LIMIT; scratch is free between steps (used for deltas and decoding).
 */
struct crdt_replica {
	struct crdt_config config;
	uint64_t next_seq;
	uint32_t object_count;
	struct crdt_object *objects;            /* [CRDT_OBJECTS_MAX] */
	struct crdt_object *scratch;
	struct crdt_wire_cursor gossip_cursor;
	int64_t next_gossip_ns;
};

int crdt_replica_new(struct crdt_replica **out, const struct crdt_config *config,
		     struct errbuf *eb)
{
	struct crdt_replica *r;

	*out = NULL;
	if (config->replicas < 1 || config->replicas > CRDT_REPLICAS_MAX ||
	    config->id >= config->replicas)
		return errbuf_set(eb, -EINVAL, "replica id %u of %u replicas (max %d)",
				  config->id, config->replicas, CRDT_REPLICAS_MAX);
	if (config->seq_base >= CRDT_SEQ_LIMIT / 2 || config->gossip_interval_ns <= 0)
		return errbuf_set(eb, -EINVAL, "seq_base or gossip interval out of range");
	r = calloc(1, sizeof(*r));
	if (!r)
		return errbuf_set(eb, -ENOMEM, "replica");
	/* calloc: pages of object slots never used are never touched. */
	r->objects = calloc(CRDT_OBJECTS_MAX, sizeof(r->objects[0]));
	r->scratch = calloc(1, sizeof(*r->scratch));
	if (!r->objects || !r->scratch) {
		crdt_replica_free(r);
		return errbuf_set(eb, -ENOMEM, "%d object slots", CRDT_OBJECTS_MAX);
	}
	r->config = *config;
	r->next_seq = config->seq_base;
	*out = r;
	return 0;
}

void crdt_replica_free(struct crdt_replica *r)
{
	if (!r)
		return;
	free(r->objects);
	free(r->scratch);
	free(r);
}

static struct crdt_object *find(struct crdt_replica *r, const char *name)
{
	ASSERT(r->object_count <= CRDT_OBJECTS_MAX);
	for (uint32_t i = 0; i < r->object_count; i++) {
		if (strcmp(r->objects[i].name, name) == 0)
			return &r->objects[i];
	}
	return NULL;
}

const struct crdt_object *crdt_replica_find(const struct crdt_replica *r, const char *name)
{
	return find((struct crdt_replica *)r, name);
}

uint32_t crdt_replica_object_count(const struct crdt_replica *r)
{
	return r->object_count;
}

const struct crdt_object *crdt_replica_object(const struct crdt_replica *r, uint32_t index)
{
	ASSERT(index < r->object_count);
	return &r->objects[index];
}

int64_t crdt_replica_next_tick_ns(const struct crdt_replica *r)
{
	if (r->config.bugs & CRDT_BUG_NO_RETRANSMIT)
		return INT64_MAX;
	return r->next_gossip_ns;
}

/* create() - a new empty object. Return: it, or NULL if the table is full. */
static struct crdt_object *create(struct crdt_replica *r, enum crdt_type type,
				  const char *name)
{
	struct crdt_object *obj;

	ASSERT(find(r, name) == NULL);
	if (r->object_count == CRDT_OBJECTS_MAX)
		return NULL;
	obj = &r->objects[r->object_count++];
	crdt_object_init(obj, type, name, strlen(name));
	return obj;
}

/*
 * seq_available() - may a tag sequence number be taken at @now_ns? Never past
 * CRDT_SEQ_LIMIT (a refusal, not a crash), and when paced never faster than
 * CRDT_SEQS_PER_MS per millisecond since seq_clock_ns (see struct crdt_config).
 */
static bool seq_available(const struct crdt_replica *r, int64_t now_ns)
{
	const uint64_t elapsed_ms_max = (CRDT_SEQ_LIMIT >> CRDT_SEQS_PER_MS_BITS);
	uint64_t elapsed_ms;

	ASSERT(r->next_seq >= r->config.seq_base);
	if (r->next_seq >= CRDT_SEQ_LIMIT)
		return false;
	if (!r->config.seq_paced)
		return true;
	if (now_ns < r->config.seq_clock_ns)
		return false;
	elapsed_ms = (uint64_t)(now_ns - r->config.seq_clock_ns) / 1000000;
	if (elapsed_ms >= elapsed_ms_max)
		return true;
	/* No overflow: seq_base <= 2^55 (a loaded state may raise it) and the product < 2^55. */
	return r->next_seq < r->config.seq_base + (elapsed_ms << CRDT_SEQS_PER_MS_BITS);
}

static uint64_t take_seq(struct crdt_replica *r)
{
	ASSERT(r->next_seq < CRDT_SEQ_LIMIT);
	return r->next_seq++;
}

/* --- outbox --- */

static void reply(struct crdt_outbox *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* reply() - append to the reply line; bounded by the buffer (callers size their text). */
static void reply(struct crdt_outbox *out, const char *fmt, ...)
{
	size_t room = sizeof(out->reply) - out->reply_size;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out->reply + out->reply_size, room, fmt, ap);
	va_end(ap);
	ASSERT(n >= 0 && (size_t)n < room);
	out->reply_size += (uint32_t)n;
}

/* emit() - encode @objects into datagrams from @cursor on, as far as the outbox holds. */
static void emit(struct crdt_replica *r, const struct crdt_object *objects, uint32_t count,
		 struct crdt_wire_cursor *cursor, struct crdt_outbox *out)
{
	while (out->message_count < CRDT_OUTBOX_MSGS_MAX) {
		struct crdt_message *m = &out->messages[out->message_count];
		ssize_t n = crdt_wire_encode(objects, count, cursor, r->config.id,
					     r->config.replicas, m->bytes, sizeof(m->bytes));

		ASSERT(n >= 0);
		if (n == 0)
			break;
		m->dest = CRDT_DEST_PEERS;
		m->size = (uint32_t)n;
		out->message_count++;
	}
}

/*
 * emit_delta() - send the part of @obj that @req changed (a valid state on its own). If a
 * huge remove does not fit the outbox, the rest travels with anti-entropy; with the
 * no-retransmit bug it is lost, which is that bug's point anyway.
 */
static void emit_delta(struct crdt_replica *r, const struct crdt_object *obj,
		       const struct crdt_request *req, struct crdt_outbox *out)
{
	struct crdt_object *d = r->scratch;
	struct crdt_wire_cursor cursor = { 0, 0 };
	int err = 0;

	crdt_object_init(d, obj->type, obj->name, obj->name_size);
	if (obj->type == CRDT_TYPE_GCOUNTER) {
		d->u.gcounter.counts[r->config.id] = obj->u.gcounter.counts[r->config.id];
	} else if (obj->type == CRDT_TYPE_GSET) {
		err = gset_add(&d->u.gset, req->value);
	} else if (req->verb == CRDT_VERB_ADD) {
		err = orset_add(&d->u.orset, req->value, r->config.id, r->next_seq - 1);
	} else {
		err = orset_copy_element(&d->u.orset, &obj->u.orset, req->value);
		if (err == 0 && (r->config.bugs & CRDT_BUG_ORSET_REMOVE_WINS))
			err = orset_remove_event(&d->u.orset, req->value, r->config.id,
						 r->next_seq - 1);
	}
	ASSERT(err == 0);
	emit(r, d, 1, &cursor, out);
}

/* --- client requests --- */

static uint32_t live_count(const struct orset *o)
{
	uint32_t cursor = 0, n = 0;
	int64_t element;

	while (orset_next_live(o, &cursor, &element))
		n++;
	ASSERT(n <= o->tag_count);
	return n;
}

static void read_reply(const struct crdt_object *obj, enum crdt_type type,
		       struct crdt_outbox *out)
{
	uint32_t cursor = 0;
	int64_t element;

	if (type == CRDT_TYPE_GCOUNTER) {
		reply(out, "ok %" PRId64 "\n", obj ? gcounter_value(&obj->u.gcounter) : 0);
		return;
	}
	if (type == CRDT_TYPE_ORSET && obj && live_count(&obj->u.orset) > CRDT_SET_ELEMENTS_MAX) {
		/* Merges may grow a set past what one reply line may carry. */
		reply(out, "err full\n");
		return;
	}
	reply(out, "ok");
	if (obj && type == CRDT_TYPE_GSET) {
		for (uint32_t i = 0; i < obj->u.gset.count; i++)
			reply(out, " %" PRId64, obj->u.gset.elements[i]);
	} else if (obj) {
		while (orset_next_live(&obj->u.orset, &cursor, &element))
			reply(out, " %" PRId64, element);
	}
	reply(out, "\n");
}

/* apply() - the update of @req on @obj. Return: NULL, or the reason for an err reply. */
static const char *apply(struct crdt_replica *r, struct crdt_object *obj,
			 const struct crdt_request *req, int64_t now_ns)
{
	struct orset *o = &obj->u.orset;

	switch (obj->type) {
	case CRDT_TYPE_GCOUNTER:
		if (gcounter_add(&obj->u.gcounter, r->config.id, req->value) < 0)
			return "overflow";
		return NULL;
	case CRDT_TYPE_GSET:
		return gset_add(&obj->u.gset, req->value) < 0 ? "full" : NULL;
	default:
		break;
	}
	if (req->verb == CRDT_VERB_ADD) {
		if (!orset_contains(o, req->value) && live_count(o) >= CRDT_SET_ELEMENTS_MAX)
			return "full";
		if (!seq_available(r, now_ns))
			return "busy";
		return orset_add(o, req->value, r->config.id, take_seq(r)) < 0 ? "full" : NULL;
	}
	if (r->config.bugs & CRDT_BUG_ORSET_REMOVE_WINS) {
		if (!seq_available(r, now_ns))
			return "busy";
		return orset_remove_event(o, req->value, r->config.id, take_seq(r)) < 0 ? "full"
											  : NULL;
	}
	orset_remove(o, req->value);
	return NULL;
}

static void on_request(struct crdt_replica *r, const struct crdt_request *req,
		       int64_t now_ns, struct crdt_outbox *out)
{
	struct crdt_object *obj = find(r, req->name);
	const char *reason;

	ASSERT(crdt_name_valid(req->name, strlen(req->name)));
	ASSERT((req->verb == CRDT_VERB_READ) == !req->has_value);
	if (obj && obj->type != req->type) {
		reply(out, "err type mismatch\n");
		return;
	}
	if (req->verb == CRDT_VERB_READ) {
		/* Reading does not create: the reply is the empty state of the type. */
		read_reply(obj, req->type, out);
		return;
	}
	if (req->verb == CRDT_VERB_REMOVE && req->type != CRDT_TYPE_ORSET) {
		reply(out, "err remove not supported by %s\n", crdt_type_name(req->type));
		return;
	}
	if (req->type == CRDT_TYPE_GCOUNTER && req->value < 0) {
		reply(out, "err negative delta\n");
		return;
	}
	if (!obj)
		obj = create(r, req->type, req->name);
	reason = obj ? apply(r, obj, req, now_ns) : "full";
	if (reason) {
		reply(out, "err %s\n", reason);
		return;
	}
	emit_delta(r, obj, req, out);
	out->persist = CRDT_PERSIST_NOW;
	reply(out, "ok\n");
}

/* --- peer datagrams --- */

/* news() - would joining @rec into @obj change it? (The buggy sum merge always does.) */
static bool news(const struct crdt_replica *r, const struct crdt_object *obj,
		 const struct crdt_object *rec)
{
	if (!obj)
		return true;
	switch (rec->type) {
	case CRDT_TYPE_GCOUNTER:
		return (r->config.bugs & CRDT_BUG_GCOUNTER_SUM_MERGE) ||
		       !gcounter_leq(&rec->u.gcounter, &obj->u.gcounter);
	case CRDT_TYPE_GSET:
		return !gset_leq(&rec->u.gset, &obj->u.gset);
	default:
		return !orset_leq(&rec->u.orset, &obj->u.orset);
	}
}

/*
 * merge_record() - join one decoded record (in scratch) into the replica; raise
 * @persist to CRDT_PERSIST_LAZY if the state changed.
 */
static int merge_record(struct crdt_replica *r, const struct crdt_object *rec,
			enum crdt_persist *persist, struct errbuf *eb)
{
	struct crdt_object *obj = find(r, rec->name);

	if (obj && obj->type != rec->type)
		return errbuf_set(eb, -EPROTO, "object '%s' is a %s here, a %s at the peer",
				  rec->name, crdt_type_name(obj->type), crdt_type_name(rec->type));
	if (!news(r, obj, rec))
		return 0;
	if (!obj)
		obj = create(r, rec->type, rec->name);
	if (!obj)
		return errbuf_set(eb, -E2BIG, "no slot for object '%s' (%d objects)", rec->name,
				  CRDT_OBJECTS_MAX);
	/* Also when the merge fails: create() may have made the (empty) object. */
	*persist = CRDT_PERSIST_LAZY;
	if (crdt_object_merge(obj, rec, r->config.bugs) < 0)
		return errbuf_set(eb, -E2BIG, "merging '%s' would exceed its bound", rec->name);
	return 0;
}

/*
 * on_datagram() - validate the whole datagram first (so garbage never half-applies), then
 * decode again and join record by record. Decoding twice costs CPU, not memory.
 */
static int on_datagram(struct crdt_replica *r, const void *bytes, size_t size,
		       struct crdt_outbox *out)
{
	struct errbuf *eb = &out->eb;
	struct crdt_wire_reader reader;
	int err, first_err = 0, n = 0;

	err = crdt_wire_open(&reader, bytes, size, r->config.replicas, eb);
	if (err < 0)
		return err;
	if (reader.sender == r->config.id)
		return errbuf_set(eb, -EPROTO, "datagram claims to come from this replica");
	for (uint32_t i = 0; i <= CRDT_OBJECTS_MAX; i++) {
		n = crdt_wire_next(&reader, r->scratch, eb);
		if (n <= 0)
			break;
	}
	if (n < 0)
		return n;
	ASSERT(n == 0);
	err = crdt_wire_open(&reader, bytes, size, r->config.replicas, eb);
	ASSERT(err == 0);
	while (crdt_wire_next(&reader, r->scratch, NULL) == 1) {
		err = merge_record(r, r->scratch, &out->persist, first_err ? NULL : eb);
		if (err < 0 && first_err == 0)
			first_err = err;
	}
	return first_err;
}

/* --- ticks --- */

static void on_tick(struct crdt_replica *r, int64_t now_ns, struct crdt_outbox *out)
{
	struct crdt_wire_cursor *cursor = &r->gossip_cursor;

	if ((r->config.bugs & CRDT_BUG_NO_RETRANSMIT) || now_ns < r->next_gossip_ns)
		return;
	r->next_gossip_ns = now_ns + r->config.gossip_interval_ns;
	/*
	 * Send the whole state, or the next outbox-full of it: a state larger than
	 * CRDT_OUTBOX_MSGS_MAX datagrams takes several periods to go round.
	 */
	emit(r, r->objects, r->object_count, cursor, out);
	if (cursor->object_index == r->object_count)
		*cursor = (struct crdt_wire_cursor){ 0, 0 };
	ASSERT(cursor->object_index < r->object_count || r->object_count == 0);
}

int crdt_step(struct crdt_replica *r, const struct crdt_input *in, int64_t now_ns,
	      struct crdt_outbox *out)
{
	out->persist = CRDT_PERSIST_NONE;
	out->reply_size = 0;
	out->reply[0] = '\0';
	out->message_count = 0;
	errbuf_clear(&out->eb);
	switch (in->kind) {
	case CRDT_INPUT_CLIENT:
		on_request(r, &in->request, now_ns, out);
		ASSERT(out->reply_size > 0 && out->reply[out->reply_size - 1] == '\n');
		return 0;
	case CRDT_INPUT_PEER:
		return on_datagram(r, in->bytes, in->size, out);
	case CRDT_INPUT_TICK:
		on_tick(r, now_ns, out);
		return 0;
	default:
		ASSERT(!"unknown input kind");
		return -EINVAL;
	}
}

/* --- the state file (the shell does the I/O) --- */

ssize_t crdt_replica_save(const struct crdt_replica *r, void *buf, size_t size)
{
	return crdt_store_encode(r->objects, r->object_count, r->config.id, r->config.replicas,
				 r->next_seq, buf, size);
}

/* seq_after() - the first seq above @next_seq and above every tag of our own in the state. */
static uint64_t seq_after(const struct crdt_replica *r, uint64_t next_seq)
{
	for (uint32_t i = 0; i < r->object_count; i++) {
		const struct orset *o = &r->objects[i].u.orset;

		if (r->objects[i].type != CRDT_TYPE_ORSET)
			continue;
		for (uint32_t k = 0; k < o->tag_count + o->remove_count; k++) {
			uint64_t id = k < o->tag_count ? o->tags[k].id :
							 o->removes[k - o->tag_count].id;

			if (orset_id_origin(id) == r->config.id && orset_id_seq(id) >= next_seq)
				next_seq = orset_id_seq(id) + 1;
		}
	}
	return next_seq;
}

int crdt_replica_load(struct crdt_replica *r, const void *buf, size_t size, struct errbuf *eb)
{
	uint64_t next_seq;
	int err;

	ASSERT(r->object_count == 0 && r->next_seq == r->config.seq_base);
	err = crdt_store_decode(buf, size, r->config.id, r->config.replicas, r->objects,
				&r->object_count, &next_seq, r->scratch, eb);
	if (err < 0 || (r->config.bugs & CRDT_BUG_RESTART_EMPTY)) {
		r->object_count = 0;
		return err;
	}
	next_seq = seq_after(r, next_seq);
	/*
	 * Continue after the file's tags. The pacing budget then counts from the new base, so
	 * the next incarnation's wall-clock base stays above every tag of this one too.
	 */
	if (next_seq > r->next_seq) {
		r->next_seq = next_seq;
		r->config.seq_base = next_seq;
	}
	return 0;
}
