/* SPDX-License-Identifier: MIT */
/* pcapng_walk.c - test helper: an independent, strict reader of the pcapng files we write. */
#include "pcapng_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Written from the specification, not from nemesis/capture/pcapng.h, so the two can disagree. */
enum { SHB = 0x0a0d0d0a, IDB = 1, EPB = 6, MAGIC = 0x1a2b3c4d };

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

__attribute__((format(printf, 2, 3)))
static int bad(struct walk_summary *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

static int walk_shb(const uint8_t *b, uint32_t len, struct walk_summary *s)
{
	if (len < 28)
		return bad(s, "SHB of %u bytes", len);
	if (get32(b + 8) != MAGIC)
		return bad(s, "SHB byte-order magic %#x", get32(b + 8));
	if (get16(b + 12) != 1 || get16(b + 14) != 0)
		return bad(s, "SHB version %u.%u", get16(b + 12), get16(b + 14));
	s->shb_count++;
	return 0;
}

static int walk_idb(const uint8_t *b, uint32_t len, struct walk_summary *s)
{
	uint32_t at = 16, id = s->idb_count, code, olen;

	if (len < 20 || id >= WALK_INTERFACES_MAX)
		return bad(s, "IDB %u of %u bytes", id, len);
	if (get16(b + 10) != 0)
		return bad(s, "IDB %u reserved field %#x", id, get16(b + 10));
	s->linktype[id] = get16(b + 8);
	s->snaplen[id] = get32(b + 12);
	for (;;) {      /* bounded: at grows by >= 4 per option and stays below len - 4 */
		if (at + 4 > len - 4)
			return bad(s, "IDB %u options run past the block", id);
		code = get16(b + at);
		olen = get16(b + at + 2);
		if (code == 0)
			break;
		if (at + 4 + ((olen + 3) & ~3u) > len - 4)
			return bad(s, "IDB %u option %u of %u bytes overruns", id, code, olen);
		if (!zero(b + at + 4 + olen, ((olen + 3) & ~3u) - olen))
			return bad(s, "IDB %u option %u padding not zero", id, code);
		if (code == 2 && olen <= WALK_NAME_BYTES_MAX)
			memcpy(s->if_name[id], b + at + 4, olen);
		at += 4 + ((olen + 3) & ~3u);
	}
	if (get16(b + at + 2) != 0 || at + 4 != len - 4)
		return bad(s, "IDB %u: opt_endofopt not last", id);
	s->idb_count++;
	return 0;
}

static int walk_epb(const uint8_t *b, uint32_t len, struct walk_summary *s, walk_epb_fn *epb,
		    void *ctx)
{
	uint32_t id, captured, original, padded;
	uint64_t time_us;

	if (len < 32)
		return bad(s, "EPB of %u bytes", len);
	id = get32(b + 8);
	time_us = (uint64_t)get32(b + 12) << 32 | get32(b + 16);
	captured = get32(b + 20);
	original = get32(b + 24);
	padded = (captured + 3) & ~3u;
	if (id >= s->idb_count)
		return bad(s, "EPB names interface %u of %u", id, s->idb_count);
	if (captured > original || captured > s->snaplen[id])
		return bad(s, "EPB captured %u, original %u, snaplen %u", captured, original,
			   s->snaplen[id]);
	if (len != 32 + padded)         /* we write no EPB options */
		return bad(s, "EPB of %u bytes holds %u captured", len, captured);
	if (!zero(b + 28 + captured, padded - captured))
		return bad(s, "EPB padding not zero");
	if (epb)
		epb(ctx, id, time_us, b + 28, captured, original);
	s->epb_count++;
	return 0;
}

int pcapng_walk(const uint8_t *data, size_t size, struct walk_summary *s, walk_epb_fn *epb,
		void *ctx)
{
	size_t at = 0;
	uint32_t type, len;
	int err;

	memset(s, 0, sizeof(*s));
	while (at < size) {     /* bounded: at grows by >= 12 per block */
		if (size - at < 12)
			return bad(s, "%zu stray bytes at %zu", size - at, at);
		type = get32(data + at);
		len = get32(data + at + 4);
		if (len < 12 || len % 4 || len > size - at)
			return bad(s, "block %#x at %zu: length %u", type, at, len);
		if (get32(data + at + len - 4) != len)
			return bad(s, "block %#x at %zu: trailing length %u, leading %u", type, at,
				   get32(data + at + len - 4), len);
		if (at == 0 && type != SHB)
			return bad(s, "first block is %#x, not an SHB", type);
		if (type == SHB && at != 0)
			return bad(s, "a second SHB at %zu", at);
		if (type == SHB)
			err = walk_shb(data + at, len, s);
		else if (type == IDB)
			err = walk_idb(data + at, len, s);
		else if (type == EPB)
			err = walk_epb(data + at, len, s, epb, ctx);
		else
			err = bad(s, "unexpected block type %#x at %zu", type, at);
		if (err)
			return err;
		at += len;
	}
	return s->shb_count == 1 ? 0 : bad(s, "no SHB");
}

int pcapng_walk_file(const char *path, struct walk_summary *s, walk_epb_fn *epb, void *ctx,
		     size_t *size_out)
{
	struct stat st;
	uint8_t *data;
	ssize_t n;
	int fd, err;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size >= WALK_FILE_BYTES_MAX) {
		close(fd);
		return -EFBIG;
	}
	data = malloc((size_t)st.st_size + 1);
	n = data ? pread(fd, data, (size_t)st.st_size, 0) : -1;
	close(fd);
	if (n != st.st_size) {
		free(data);
		return -EIO;
	}
	if (size_out)
		*size_out = (size_t)n;
	err = pcapng_walk(data, (size_t)n, s, epb, ctx);
	free(data);
	return err;
}
