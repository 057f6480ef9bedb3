/* SPDX-License-Identifier: MIT */
/* pcapng.c - a pcapng writer (SHB, IDB with if_name, EPB) behind a bounded buffer and a cap. */
#include "pcapng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"

STATIC_ASSERT(PCAPNG_BUFFER_BYTES >= PCAPNG_EPB_BYTES_MAX, "any one EPB fits the buffer");
STATIC_ASSERT(PCAPNG_BUFFER_BYTES >= PCAPNG_IDB_BYTES_MAX, "any one IDB fits the buffer");
STATIC_ASSERT(PCAPNG_EPB_BYTES_MAX % 4 == 0, "blocks are 32-bit aligned");
STATIC_ASSERT(PCAPNG_IDB_BYTES_MAX % 4 == 0, "blocks are 32-bit aligned");
STATIC_ASSERT(PCAPNG_IF_NAME_BYTES_MAX % 4 == 0, "the longest name needs no padding");

/*
 * Invariants: buffered <= PCAPNG_BUFFER_BYTES and is a multiple of 4; written + buffered <=
 * bytes_max; once capped, no packet is accepted; once err != 0, nothing is accepted.
 */
struct pcapng_writer {
	int fd;
	int err;                        /* first write(2) failure, sticky */
	bool capped;
	uint32_t interface_count;
	uint64_t bytes_max;
	uint64_t written;
	size_t buffered;
	uint8_t buffer[PCAPNG_BUFFER_BYTES];
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Writes the type and both copies of the total length; the body is the caller's. */
static void block_frame(uint8_t *p, uint32_t type, size_t size)
{
	ASSERT(size % 4 == 0);
	ASSERT(size >= 12);
	put32(p, type);
	put32(p + 4, (uint32_t)size);
	put32(p + size - 4, (uint32_t)size);
}

ssize_t pcapng_shb_encode(void *target, size_t target_size)
{
	uint8_t *p = target;

	ASSERT(target);
	if (target_size < PCAPNG_SHB_BYTES)
		return -EMSGSIZE;
	block_frame(p, PCAPNG_BLOCK_SHB, PCAPNG_SHB_BYTES);
	put32(p + 8, PCAPNG_BYTE_ORDER_MAGIC);
	put16(p + 12, 1);                       /* major version */
	put16(p + 14, 0);                       /* minor version */
	memset(p + 16, 0xff, 8);                /* section length: -1, not specified */
	return PCAPNG_SHB_BYTES;
}

ssize_t pcapng_idb_encode(const char *if_name, uint16_t linktype, uint32_t snaplen,
			  void *target, size_t target_size)
{
	uint8_t *p = target;
	size_t name_size, size;

	ASSERT(target);
	ASSERT(if_name);
	name_size = strnlen(if_name, PCAPNG_IF_NAME_BYTES_MAX + 1);
	if (name_size == 0 || name_size > PCAPNG_IF_NAME_BYTES_MAX)
		return -EINVAL;
	size = 20 + 4 + pad4(name_size) + 4;
	ASSERT(size <= PCAPNG_IDB_BYTES_MAX);
	if (target_size < size)
		return -EMSGSIZE;
	memset(p, 0, size);                     /* reserved field and option padding */
	block_frame(p, PCAPNG_BLOCK_IDB, size);
	put16(p + 8, linktype);
	put32(p + 12, snaplen);
	put16(p + 16, PCAPNG_OPT_IF_NAME);
	put16(p + 18, (uint16_t)name_size);
	memcpy(p + 20, if_name, name_size);
	put16(p + 20 + pad4(name_size), PCAPNG_OPT_ENDOFOPT);   /* and its length, 0 */
	return (ssize_t)size;
}

ssize_t pcapng_epb_encode(uint32_t interface_id, uint64_t time_us, const void *data,
			  uint32_t captured_size, uint32_t original_size,
			  void *target, size_t target_size)
{
	uint8_t *p = target;
	size_t size;

	ASSERT(target);
	if (captured_size > PCAPNG_PACKET_BYTES_MAX || captured_size > original_size)
		return -EINVAL;
	if (captured_size > 0 && !data)
		return -EINVAL;
	size = PCAPNG_EPB_HEADER_BYTES + pad4(captured_size);
	ASSERT(size <= PCAPNG_EPB_BYTES_MAX);
	if (target_size < size)
		return -EMSGSIZE;
	block_frame(p, PCAPNG_BLOCK_EPB, size);
	put32(p + 8, interface_id);
	put32(p + 12, (uint32_t)(time_us >> 32));
	put32(p + 16, (uint32_t)time_us);
	put32(p + 20, captured_size);
	put32(p + 24, original_size);
	if (captured_size > 0)
		memcpy(p + 28, data, captured_size);
	memset(p + 28 + captured_size, 0, pad4(captured_size) - captured_size);
	return (ssize_t)size;
}

int pcapng_writer_new(struct pcapng_writer **out, int fd, uint64_t bytes_max,
		      struct errbuf *eb)
{
	struct pcapng_writer *w;
	ssize_t n;

	ASSERT(out);
	*out = NULL;
	if (fd < 0)
		return errbuf_set(eb, -EINVAL, "pcapng: bad fd %d", fd);
	if (bytes_max < PCAPNG_SHB_BYTES)
		return errbuf_set(eb, -EINVAL, "pcapng: bytes_max %llu is below the %d-byte header",
				  (unsigned long long)bytes_max, PCAPNG_SHB_BYTES);
	w = calloc(1, sizeof(*w));
	if (!w)
		return errbuf_set(eb, -ENOMEM, "pcapng: writer of %zu bytes", sizeof(*w));
	w->fd = fd;
	w->bytes_max = bytes_max;
	n = pcapng_shb_encode(w->buffer, sizeof(w->buffer));
	ASSERT(n == PCAPNG_SHB_BYTES);
	w->buffered = (size_t)n;
	*out = w;
	return 0;
}

void pcapng_writer_free(struct pcapng_writer *w)
{
	free(w);
}

int pcapng_writer_flush(struct pcapng_writer *w, struct errbuf *eb)
{
	size_t done = 0;
	ssize_t n;

	ASSERT(w);
	ASSERT(w->buffered <= sizeof(w->buffer));
	if (w->err)
		return errbuf_set(eb, w->err, "pcapng: an earlier write failed");
	while (done < w->buffered) {
		n = write(w->fd, w->buffer + done, w->buffered - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = n < 0 ? -errno : -EIO;
			return errbuf_set(eb, w->err, "pcapng: write of %zu bytes",
					  w->buffered - done);
		}
		done += (size_t)n;
	}
	w->written += w->buffered;
	w->buffered = 0;
	return 0;
}

/* Makes room for a block of @size bytes, or says why there is none. */
static int reserve(struct pcapng_writer *w, size_t size, struct errbuf *eb)
{
	int err;

	ASSERT(size <= sizeof(w->buffer));
	if (w->err)
		return errbuf_set(eb, w->err, "pcapng: an earlier write failed");
	if (w->capped || w->written + w->buffered + size > w->bytes_max) {
		w->capped = true;
		return errbuf_set(eb, -E2BIG, "pcapng: the file is capped at %llu bytes",
				  (unsigned long long)w->bytes_max);
	}
	if (w->buffered + size > sizeof(w->buffer)) {
		err = pcapng_writer_flush(w, eb);
		if (err)
			return err;
	}
	ASSERT(w->buffered + size <= sizeof(w->buffer));
	return 0;
}

int pcapng_writer_interface(struct pcapng_writer *w, const char *if_name, uint16_t linktype,
			    uint32_t snaplen, struct errbuf *eb)
{
	uint8_t block[PCAPNG_IDB_BYTES_MAX];
	ssize_t n;
	int err;

	ASSERT(w);
	if (w->interface_count >= PCAPNG_INTERFACES_MAX)
		return errbuf_set(eb, -E2BIG, "pcapng: more than %d interfaces",
				  PCAPNG_INTERFACES_MAX);
	n = pcapng_idb_encode(if_name, linktype, snaplen, block, sizeof(block));
	if (n < 0)
		return errbuf_set(eb, (int)n, "pcapng: interface name '%.40s'", if_name);
	err = reserve(w, (size_t)n, eb);
	if (err)
		return err;
	memcpy(w->buffer + w->buffered, block, (size_t)n);
	w->buffered += (size_t)n;
	ASSERT(w->written + w->buffered <= w->bytes_max);
	return (int)w->interface_count++;
}

int pcapng_writer_packet(struct pcapng_writer *w, uint32_t interface_id, uint64_t time_us,
			 const void *data, uint32_t captured_size, uint32_t original_size,
			 struct errbuf *eb)
{
	size_t size = PCAPNG_EPB_HEADER_BYTES + pad4(captured_size);
	ssize_t n;
	int err;

	ASSERT(w);
	if (interface_id >= w->interface_count)
		return errbuf_set(eb, -EINVAL, "pcapng: interface id %u of %u", interface_id,
				  w->interface_count);
	if (captured_size > PCAPNG_PACKET_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "pcapng: packet of %u bytes", captured_size);
	err = reserve(w, size, eb);
	if (err)
		return err;
	n = pcapng_epb_encode(interface_id, time_us, data, captured_size, original_size,
			      w->buffer + w->buffered, sizeof(w->buffer) - w->buffered);
	if (n < 0)
		return errbuf_set(eb, (int)n, "pcapng: packet of %u of %u bytes", captured_size,
				  original_size);
	ASSERT((size_t)n == size);
	w->buffered += size;
	ASSERT(w->written + w->buffered <= w->bytes_max);
	return 0;
}

uint64_t pcapng_writer_bytes(const struct pcapng_writer *w)
{
	ASSERT(w);
	return w->written + w->buffered;
}

size_t pcapng_writer_buffered(const struct pcapng_writer *w)
{
	ASSERT(w);
	return w->buffered;
}

bool pcapng_writer_capped(const struct pcapng_writer *w)
{
	ASSERT(w);
	return w->capped;
}
