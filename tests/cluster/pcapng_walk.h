/* SPDX-License-Identifier: MIT */
/* pcapng_walk.h - test helper: an independent, strict reader of the pcapng files we write. */
#ifndef PCAPNG_WALK_H
#define PCAPNG_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WALK_INTERFACES_MAX = 64,
	WALK_NAME_BYTES_MAX = 32,
	WALK_WHY_BYTES_MAX = 160,
	WALK_FILE_BYTES_MAX = 256 << 20,
};

struct walk_summary {
	uint32_t shb_count, idb_count, epb_count;
	uint16_t linktype[WALK_INTERFACES_MAX];
	uint32_t snaplen[WALK_INTERFACES_MAX];
	char if_name[WALK_INTERFACES_MAX][WALK_NAME_BYTES_MAX + 1];
	char why[WALK_WHY_BYTES_MAX];           /* set when the walk fails */
};

typedef void walk_epb_fn(void *ctx, uint32_t interface_id, uint64_t time_us,
			 const uint8_t *data, uint32_t captured_size, uint32_t original_size);

/*
 * pcapng_walk() - check every block of @data (host byte order, one section): the SHB first,
 * lengths >= 12, multiples of 4, inside the data and equal at both ends; IDB options padded
 * and ended; EPB interface ids defined before use, captured <= original, <= snaplen, zero
 * padding. Calls @epb (may be NULL) per EPB. Return: 0, or -EBADMSG with @s->why set.
 */
int pcapng_walk(const uint8_t *data, size_t size, struct walk_summary *s, walk_epb_fn *epb,
		void *ctx);

/* pcapng_walk_file() - read @path (< WALK_FILE_BYTES_MAX) and walk it. Return: as above,
 * or -errno. @size_out (may be NULL) gets the file size. */
int pcapng_walk_file(const char *path, struct walk_summary *s, walk_epb_fn *epb, void *ctx,
		     size_t *size_out);

#endif /* PCAPNG_WALK_H */
