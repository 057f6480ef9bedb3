/* SPDX-License-Identifier: MIT */
/* pbft_bundle.c - several sealed messages in one datagram; the held COMMITs. */
#include "pbft_bundle.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"
#include "pbft_wire.h"

STATIC_ASSERT(PBFT_SEALED_BYTES_MAX <= UINT16_MAX, "a part's size fits its u16");
STATIC_ASSERT(PBFT_BUNDLE_PARTS_MAX <= UINT8_MAX, "the count fits its u8");
STATIC_ASSERT((int)PBFT_BUNDLE_MARK >= (int)PBFT_MSG_TYPE_END, "the mark is no message type");

void pbft_bundle_init(struct pbft_bundle *b, uint8_t *buf, size_t size)
{
	ASSERT(buf && size >= PBFT_BUNDLE_HEADER_BYTES);
	*b = (struct pbft_bundle){ .buf = buf, .size = size, .used = PBFT_BUNDLE_HEADER_BYTES };
}

bool pbft_bundle_fits(const struct pbft_bundle *b, size_t part_size)
{
	ASSERT(b->used <= b->size && b->count <= PBFT_BUNDLE_PARTS_MAX);
	return b->count < PBFT_BUNDLE_PARTS_MAX && part_size > 0 &&
	       part_size <= PBFT_SEALED_BYTES_MAX &&
	       b->size - b->used >= PBFT_BUNDLE_PART_HEADER_BYTES + part_size &&
	       b->used + PBFT_BUNDLE_PART_HEADER_BYTES + part_size <= PBFT_SEALED_BYTES_MAX;
}

int pbft_bundle_add(struct pbft_bundle *b, const uint8_t *sealed, size_t size)
{
	uint8_t *p;

	if (!pbft_bundle_fits(b, size))
		return -ENOSPC;
	p = b->buf + b->used;
	p[0] = (uint8_t)size;
	p[1] = (uint8_t)(size >> 8);
	memmove(p + PBFT_BUNDLE_PART_HEADER_BYTES, sealed, size);
	b->used += PBFT_BUNDLE_PART_HEADER_BYTES + size;
	b->count++;
	return 0;
}

size_t pbft_bundle_finish(struct pbft_bundle *b)
{
	size_t size = 0;

	ASSERT(b->used <= b->size && b->used <= PBFT_SEALED_BYTES_MAX);
	if (b->count == 1) {
		size = b->used - PBFT_BUNDLE_HEADER_BYTES - PBFT_BUNDLE_PART_HEADER_BYTES;
		memmove(b->buf, b->buf + PBFT_BUNDLE_HEADER_BYTES + PBFT_BUNDLE_PART_HEADER_BYTES,
			size);
	} else if (b->count > 1) {
		b->buf[0] = PBFT_BUNDLE_MARK;
		b->buf[1] = (uint8_t)b->count;
		size = b->used;
	}
	b->used = PBFT_BUNDLE_HEADER_BYTES;
	b->count = 0;
	return size;
}

bool pbft_bundle_is(const uint8_t *datagram, size_t size)
{
	return size >= 1 && datagram[0] == PBFT_BUNDLE_MARK;
}

int pbft_bundle_split(const uint8_t *datagram, size_t size,
		      struct pbft_bundle_part parts[PBFT_BUNDLE_PARTS_MAX])
{
	size_t at = PBFT_BUNDLE_HEADER_BYTES;
	uint32_t count;

	if (size < PBFT_BUNDLE_HEADER_BYTES || size > PBFT_SEALED_BYTES_MAX ||
	    datagram[0] != PBFT_BUNDLE_MARK)
		return -EBADMSG;
	count = datagram[1];
	if (count < 2 || count > PBFT_BUNDLE_PARTS_MAX)
		return -EBADMSG;
	for (uint32_t i = 0; i < count; i++) {
		size_t part;

		if (size - at < PBFT_BUNDLE_PART_HEADER_BYTES)
			return -EBADMSG;
		part = (size_t)datagram[at] | (size_t)datagram[at + 1] << 8;
		at += PBFT_BUNDLE_PART_HEADER_BYTES;
		if (part == 0 || part > size - at)
			return -EBADMSG;
		parts[i] = (struct pbft_bundle_part){ datagram + at, part };
		at += part;
	}
	return at == size ? (int)count : -EBADMSG;
}

int pbft_held_push(struct pbft_held *h, const uint8_t *plain, size_t size)
{
	ASSERT(h->count <= PBFT_HELD_MAX);
	if (h->count == PBFT_HELD_MAX || size == 0 || size > PBFT_HELD_BYTES_MAX)
		return -ENOSPC;
	memcpy(h->plain[h->count], plain, size);
	h->sizes[h->count++] = (uint16_t)size;
	return 0;
}
