/* SPDX-License-Identifier: MIT */
/* pcapng.h - a pcapng writer (SHB, IDB with if_name, EPB) behind a bounded buffer and a cap. */
#ifndef PCAPNG_H
#define PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct errbuf;

/*
 * The format, from the pcapng specification (draft-ietf-opsawg-pcapng): every block is
 * { u32 type; u32 total_length; body; u32 total_length }, total_length counts the whole block
 * and is a multiple of 4. Options are { u16 code; u16 length; value padded to 4 }. We write
 * host byte order; the SHB's byte-order magic tells readers which one that is.
 */
enum {
	PCAPNG_BLOCK_SHB = 0x0a0d0d0a,
	PCAPNG_BLOCK_IDB = 0x00000001,
	PCAPNG_BLOCK_EPB = 0x00000006,
	PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d,
	PCAPNG_OPT_ENDOFOPT = 0,
	PCAPNG_OPT_IF_NAME = 2,
	PCAPNG_LINKTYPE_ETHERNET = 1,

	PCAPNG_SHB_BYTES = 28,                  /* no options */
	PCAPNG_EPB_HEADER_BYTES = 32,           /* an EPB is this plus the data padded to 4 */
	PCAPNG_IF_NAME_BYTES_MAX = 32,          /* if_name length, without the padding */
	PCAPNG_IDB_BYTES_MAX = 20 + 4 + PCAPNG_IF_NAME_BYTES_MAX + 4,
	PCAPNG_INTERFACES_MAX = 64,
	PCAPNG_PACKET_BYTES_MAX = 65535,        /* captured bytes per packet (snaplen ceiling) */
	PCAPNG_EPB_BYTES_MAX = PCAPNG_EPB_HEADER_BYTES + 65536,
	PCAPNG_BUFFER_BYTES = 256 * 1024,       /* the writer's buffer; flushed when full */
};

/* Encoders: each writes one whole block into @target and returns its size (a multiple of 4),
 * or -EMSGSIZE if it does not fit in @target_size, -EINVAL for bad arguments. They do not
 * block and keep nothing. */
ssize_t pcapng_shb_encode(void *target, size_t target_size);

/* @if_name: 1..PCAPNG_IF_NAME_BYTES_MAX bytes; timestamps of the interface are microseconds. */
ssize_t pcapng_idb_encode(const char *if_name, uint16_t linktype, uint32_t snaplen,
			  void *target, size_t target_size);

/* @time_us: microseconds since the epoch. @captured_size <= PCAPNG_PACKET_BYTES_MAX and
 * <= @original_size. */
ssize_t pcapng_epb_encode(uint32_t interface_id, uint64_t time_us, const void *data,
			  uint32_t captured_size, uint32_t original_size,
			  void *target, size_t target_size);

/*
 * The writer keeps a PCAPNG_BUFFER_BYTES buffer of whole blocks and write(2)s it to a file
 * descriptor when it would overflow or when pcapng_writer_flush() is called. It never lets
 * the bytes written plus buffered exceed its cap: the first block that would, and every
 * packet after it, is refused with -E2BIG (the writer is then "capped"), so the file is
 * always a prefix of whole blocks in the order they were given. Not thread-safe: one thread
 * at a time.
 */
struct pcapng_writer;

/**
 * pcapng_writer_new() - a writer onto @fd (borrowed; the caller closes it after the
 * writer is freed), with the SHB already buffered.
 * @bytes_max: the cap on the output size, >= PCAPNG_SHB_BYTES.
 * Return: 0; -EINVAL for a bad @fd or @bytes_max; -ENOMEM.
 */
int pcapng_writer_new(struct pcapng_writer **out, int fd, uint64_t bytes_max,
		      struct errbuf *eb);

/**
 * pcapng_writer_interface() - append an IDB; interfaces are numbered 0, 1, ... in order.
 * May block in write(2) if the buffer has to be flushed.
 * Return: the interface id (>= 0); -E2BIG if the cap or PCAPNG_INTERFACES_MAX is hit;
 *         -EINVAL for a bad name; -errno from write(2).
 */
int pcapng_writer_interface(struct pcapng_writer *w, const char *if_name, uint16_t linktype,
			    uint32_t snaplen, struct errbuf *eb);

/**
 * pcapng_writer_packet() - append an EPB for an interface added before.
 * May block in write(2) if the buffer has to be flushed.
 * Return: 0; -E2BIG if the writer is (now) capped; -EINVAL for a bad interface id or sizes;
 *         -errno from write(2) (the writer keeps the error: every later call returns it).
 */
int pcapng_writer_packet(struct pcapng_writer *w, uint32_t interface_id, uint64_t time_us,
			 const void *data, uint32_t captured_size, uint32_t original_size,
			 struct errbuf *eb);

/* pcapng_writer_flush() - write(2) out everything buffered. Return: 0 or -errno (sticky). */
int pcapng_writer_flush(struct pcapng_writer *w, struct errbuf *eb);

uint64_t pcapng_writer_bytes(const struct pcapng_writer *w);   /* written plus buffered */
size_t pcapng_writer_buffered(const struct pcapng_writer *w);  /* not yet written */
bool pcapng_writer_capped(const struct pcapng_writer *w);

/* pcapng_writer_free() - free without flushing (flush first to keep the buffer). NULL ok. */
void pcapng_writer_free(struct pcapng_writer *w);

#endif /* PCAPNG_H */
