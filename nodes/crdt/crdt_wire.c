/* SPDX-License-Identifier: MIT */
/* crdt_wire.c - encoding states into datagrams and validating decoder for untrusted bytes. */
#include "crdt_wire.h"

#include <errno.h>
#include <string.h>

#include "crdt_object.h"
#include "codec.h"
#include "errbuf.h"
#include "fl_assert.h"

enum {
	GCOUNTER_ENTRY_BYTES = 9,       /* u8 replica, i64 count */
	GSET_ITEM_BYTES = 8,            /* i64 element */
	ORSET_ITEM_BYTES = 16,          /* i64 element, u64 id */
};

STATIC_ASSERT(CRDT_WIRE_HEADER_BYTES + 3 + CRDT_NAME_BYTES_MAX +
	      CRDT_REPLICAS_MAX * GCOUNTER_ENTRY_BYTES <= CRDT_DATAGRAM_BYTES_MAX,
	      "a whole G-Counter record fits one datagram");
STATIC_ASSERT(CRDT_WIRE_HEADER_BYTES + 2 + CRDT_NAME_BYTES_MAX + 8 + ORSET_ITEM_BYTES <=
	      CRDT_DATAGRAM_BYTES_MAX, "every record carries at least one set item");
STATIC_ASSERT(CRDT_OBJECTS_MAX <= 0xffff, "record counts fit the u16 of the header");

/* --- encoding: space is checked before writing, so the writer only asserts --- */

struct writer {
	uint8_t *p;
	size_t size;
	size_t offset;
};

static void put_le(struct writer *w, uint64_t v, size_t bytes)
{
	ASSERT(w->offset + bytes <= w->size);
	codec_put_le(w->p + w->offset, v, bytes);
	w->offset += bytes;
}

static uint32_t item_total(const struct crdt_object *obj)
{
	switch (obj->type) {
	case CRDT_TYPE_GCOUNTER:
		return 1;
	case CRDT_TYPE_GSET:
		return obj->u.gset.count;
	default:
		return obj->u.orset.tag_count + obj->u.orset.remove_count;
	}
}

static uint32_t gcounter_entries(const struct gcounter *g)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < CRDT_REPLICAS_MAX; i++)
		n += g->counts[i] != 0;
	return n;
}

static void put_gcounter(struct writer *w, const struct gcounter *g)
{
	put_le(w, gcounter_entries(g), 1);
	for (uint32_t i = 0; i < CRDT_REPLICAS_MAX; i++) {
		if (g->counts[i] == 0)
			continue;
		put_le(w, i, 1);
		put_le(w, (uint64_t)g->counts[i], 8);
	}
}

static void put_orset(struct writer *w, const struct orset *o, uint32_t first, uint32_t n)
{
	uint32_t tag_end = first + n < o->tag_count ? first + n : o->tag_count;
	uint32_t tags = first < tag_end ? tag_end - first : 0;

	put_le(w, tags, 4);
	put_le(w, n - tags, 4);
	for (uint32_t i = first; i < first + n; i++) {
		const struct orset_tag *t = i < o->tag_count ? &o->tags[i] :
							       &o->removes[i - o->tag_count];

		put_le(w, (uint64_t)t->element, 8);
		put_le(w, t->id, 8);
	}
}

/* encode_record() - append a record with as many items as fit. Return: false if none fit. */
static bool encode_record(struct writer *w, const struct crdt_object *obj, uint32_t *item)
{
	size_t head = 2 + obj->name_size, space = w->size - w->offset, fit;
	uint32_t total = item_total(obj), n;

	ASSERT(*item < total || total == 0);
	if (obj->type == CRDT_TYPE_GCOUNTER) {
		if (space < head + 1 + gcounter_entries(&obj->u.gcounter) * GCOUNTER_ENTRY_BYTES)
			return false;
		n = 1;
	} else {
		size_t item_bytes = obj->type == CRDT_TYPE_GSET ? GSET_ITEM_BYTES :
								  ORSET_ITEM_BYTES;

		head += obj->type == CRDT_TYPE_GSET ? 4 : 8;
		if (space < head)
			return false;
		fit = (space - head) / item_bytes;
		n = total - *item < fit ? total - *item : (uint32_t)fit;
		if (n == 0 && total > 0)
			return false;
	}
	put_le(w, (uint64_t)obj->type, 1);
	put_le(w, obj->name_size, 1);
	ASSERT(w->offset + obj->name_size <= w->size);
	memcpy(w->p + w->offset, obj->name, obj->name_size);
	w->offset += obj->name_size;
	if (obj->type == CRDT_TYPE_GCOUNTER) {
		put_gcounter(w, &obj->u.gcounter);
	} else if (obj->type == CRDT_TYPE_GSET) {
		put_le(w, n, 4);
		for (uint32_t i = *item; i < *item + n; i++)
			put_le(w, (uint64_t)obj->u.gset.elements[i], 8);
	} else {
		put_orset(w, &obj->u.orset, *item, n);
	}
	*item += n;
	return true;
}

ssize_t crdt_wire_encode(const struct crdt_object *objects, uint32_t object_count,
			 struct crdt_wire_cursor *cursor, uint32_t sender, uint32_t replicas,
			 void *buf, size_t size)
{
	struct writer w = { .p = buf, .size = size, .offset = CRDT_WIRE_HEADER_BYTES };
	uint32_t records = 0;
	size_t end;

	ASSERT(sender < replicas && replicas <= CRDT_REPLICAS_MAX);
	ASSERT(cursor->object_index <= object_count);
	if (cursor->object_index == object_count)
		return 0;
	if (size < CRDT_WIRE_HEADER_BYTES || size > CRDT_DATAGRAM_BYTES_MAX)
		return -EMSGSIZE;
	while (cursor->object_index < object_count) {
		const struct crdt_object *obj = &objects[cursor->object_index];

		if (!encode_record(&w, obj, &cursor->item_index))
			break;
		records++;
		if (cursor->item_index >= item_total(obj)) {
			cursor->object_index++;
			cursor->item_index = 0;
		}
	}
	if (records == 0)
		return -EMSGSIZE;
	end = w.offset;
	w.offset = 0;
	put_le(&w, CRDT_WIRE_MAGIC, 4);
	put_le(&w, CRDT_WIRE_VERSION, 1);
	put_le(&w, sender, 1);
	put_le(&w, replicas, 1);
	put_le(&w, 0, 1);
	put_le(&w, records, 2);
	put_le(&w, 0, 2);
	ASSERT(end > CRDT_WIRE_HEADER_BYTES && end <= size);
	return (ssize_t)end;
}

/* --- decoding: every read is length-checked, every value validated --- */

static int get_le(struct crdt_wire_reader *r, size_t bytes, uint64_t *v)
{
	*v = 0;
	if (r->size - r->offset < bytes)
		return -EBADMSG;
	*v = codec_get_le(r->bytes + r->offset, bytes);
	r->offset += bytes;
	return 0;
}

int crdt_wire_open(struct crdt_wire_reader *reader, const void *buf, size_t size,
		   uint32_t replicas, struct errbuf *eb)
{
	uint64_t magic, version, sender, sent_replicas, pad8, records, pad16;

	ASSERT(replicas >= 1 && replicas <= CRDT_REPLICAS_MAX);
	*reader = (struct crdt_wire_reader){ .bytes = buf, .size = size, .replicas = replicas };
	if (size < CRDT_WIRE_HEADER_BYTES || size > CRDT_DATAGRAM_BYTES_MAX)
		return errbuf_set(eb, -EBADMSG, "datagram size %zu out of range", size);
	get_le(reader, 4, &magic);
	get_le(reader, 1, &version);
	get_le(reader, 1, &sender);
	get_le(reader, 1, &sent_replicas);
	get_le(reader, 1, &pad8);
	get_le(reader, 2, &records);
	get_le(reader, 2, &pad16);
	ASSERT(reader->offset == CRDT_WIRE_HEADER_BYTES);
	if (magic != CRDT_WIRE_MAGIC || version != CRDT_WIRE_VERSION || pad8 || pad16)
		return errbuf_set(eb, -EBADMSG, "bad header (magic %#llx, version %llu)",
				  (unsigned long long)magic, (unsigned long long)version);
	if (sent_replicas != replicas || sender >= replicas)
		return errbuf_set(eb, -EPROTO, "sender %llu of %llu replicas, expected %u replicas",
				  (unsigned long long)sender, (unsigned long long)sent_replicas,
				  replicas);
	if (records == 0 || records > CRDT_OBJECTS_MAX)
		return errbuf_set(eb, -EBADMSG, "record count %llu", (unsigned long long)records);
	reader->sender = (uint32_t)sender;
	reader->records_left = (uint32_t)records;
	return 0;
}

static int get_gcounter(struct crdt_wire_reader *r, struct gcounter *g, struct errbuf *eb)
{
	uint64_t entries, replica, count;
	int64_t last = -1;

	if (get_le(r, 1, &entries) < 0 || entries > r->replicas)
		return errbuf_set(eb, -EBADMSG, "gcounter entry count");
	for (uint64_t i = 0; i < entries; i++) {
		if (get_le(r, 1, &replica) < 0 || get_le(r, 8, &count) < 0)
			return errbuf_set(eb, -EBADMSG, "gcounter entry %llu truncated",
					  (unsigned long long)i);
		if ((int64_t)replica <= last || replica >= r->replicas || (int64_t)count < 0)
			return errbuf_set(eb, -EBADMSG, "gcounter entry %llu invalid",
					  (unsigned long long)i);
		g->counts[replica] = (int64_t)count;
		last = (int64_t)replica;
	}
	return 0;
}

static int get_gset(struct crdt_wire_reader *r, struct gset *s, struct errbuf *eb)
{
	uint64_t count, element;

	if (get_le(r, 4, &count) < 0 || count > CRDT_SET_ELEMENTS_MAX ||
	    count * GSET_ITEM_BYTES > r->size - r->offset)
		return errbuf_set(eb, -EBADMSG, "gset element count");
	for (uint32_t i = 0; i < count; i++) {
		get_le(r, 8, &element);
		if (i > 0 && (int64_t)element <= s->elements[i - 1])
			return errbuf_set(eb, -EBADMSG, "gset elements out of order at %u", i);
		s->elements[i] = (int64_t)element;
	}
	s->count = (uint32_t)count;
	return 0;
}

static int get_tags(struct crdt_wire_reader *r, struct orset_tag *tags, uint32_t count,
		    bool removes, struct errbuf *eb)
{
	uint64_t element, id;

	for (uint32_t i = 0; i < count; i++) {
		get_le(r, 8, &element);
		get_le(r, 8, &id);
		tags[i] = (struct orset_tag){ (int64_t)element, id };
		if (orset_id_origin(id) >= r->replicas || (removes && orset_id_dead(id)))
			return errbuf_set(eb, -EBADMSG, "orset tag %u invalid", i);
		if (i > 0 && (tags[i - 1].element > tags[i].element ||
			      (tags[i - 1].element == tags[i].element &&
			       tags[i - 1].id >> 1 >= tags[i].id >> 1)))
			return errbuf_set(eb, -EBADMSG, "orset tags out of order at %u", i);
	}
	return 0;
}

static int get_orset(struct crdt_wire_reader *r, struct orset *o, struct errbuf *eb)
{
	uint64_t tags, removes;
	int err;

	if (get_le(r, 4, &tags) < 0 || get_le(r, 4, &removes) < 0 ||
	    tags > CRDT_ORSET_TAGS_MAX || removes > CRDT_ORSET_REMOVES_MAX ||
	    (tags + removes) * ORSET_ITEM_BYTES > r->size - r->offset)
		return errbuf_set(eb, -EBADMSG, "orset counts");
	err = get_tags(r, o->tags, (uint32_t)tags, false, eb);
	if (err == 0)
		err = get_tags(r, o->removes, (uint32_t)removes, true, eb);
	if (err < 0)
		return err;
	o->tag_count = (uint32_t)tags;
	o->remove_count = (uint32_t)removes;
	return 0;
}

int crdt_wire_next(struct crdt_wire_reader *reader, struct crdt_object *out,
		   struct errbuf *eb)
{
	uint64_t type, name_size;
	const char *name;

	if (reader->records_left == 0) {
		if (reader->offset != reader->size)
			return errbuf_set(eb, -EBADMSG, "%zu trailing bytes",
					  reader->size - reader->offset);
		return 0;
	}
	if (get_le(reader, 1, &type) < 0 || get_le(reader, 1, &name_size) < 0 ||
	    type <= CRDT_TYPE_NONE || type >= CRDT_TYPE_COUNT ||
	    name_size > reader->size - reader->offset)
		return errbuf_set(eb, -EBADMSG, "record header at offset %zu", reader->offset);
	name = (const char *)reader->bytes + reader->offset;
	if (!crdt_name_valid(name, name_size))
		return errbuf_set(eb, -EBADMSG, "bad object name at offset %zu", reader->offset);
	reader->offset += name_size;
	crdt_object_init(out, (enum crdt_type)type, name, name_size);
	reader->records_left--;
	switch (out->type) {
	case CRDT_TYPE_GCOUNTER:
		return get_gcounter(reader, &out->u.gcounter, eb) < 0 ? -EBADMSG : 1;
	case CRDT_TYPE_GSET:
		return get_gset(reader, &out->u.gset, eb) < 0 ? -EBADMSG : 1;
	default:
		return get_orset(reader, &out->u.orset, eb) < 0 ? -EBADMSG : 1;
	}
}
