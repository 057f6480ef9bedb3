/* SPDX-License-Identifier: MIT */
/* test_pcapng.c - the pcapng writer alone, on a memory file: layout, padding, cap, flushing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "pcapng.h"
#include "pcapng_walk.h"

enum { SINK_BYTES_MAX = 4 << 20 };

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

/* The file's bytes so far; the sink is a memfd, so nothing touches the disk. */
static size_t sink_read(int fd, uint8_t *out, size_t out_size)
{
	struct stat st;
	ssize_t n;

	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_leq((size_t)st.st_size, out_size);
	n = pread(fd, out, (size_t)st.st_size, 0);
	cr_assert_eq(n, st.st_size);
	return (size_t)n;
}

static int sink_open(void)
{
	int fd = memfd_create("pcapng-test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	return fd;
}

Test(pcapng, shb_is_28_bytes_with_magic_and_both_lengths)
{
	uint8_t b[64];

	cr_assert_eq(pcapng_shb_encode(b, 27), -EMSGSIZE);
	cr_assert_eq(pcapng_shb_encode(b, sizeof(b)), 28);
	cr_assert_eq(get32(b), 0x0a0d0d0a);
	cr_assert_eq(get32(b + 4), 28);
	cr_assert_eq(get32(b + 8), 0x1a2b3c4d);
	cr_assert_eq(get16(b + 12), 1);
	cr_assert_eq(get16(b + 14), 0);
	cr_assert_eq(get32(b + 16), 0xffffffffu);
	cr_assert_eq(get32(b + 20), 0xffffffffu);
	cr_assert_eq(get32(b + 24), 28);
}

Test(pcapng, idb_pads_if_name_option_to_four_bytes)
{
	static const char *names[] = { "a", "n1", "n12", "eth0", "n1234", "abcdefgh" };
	uint8_t b[PCAPNG_IDB_BYTES_MAX];
	size_t len, padded;
	ssize_t n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(b, 0xee, sizeof(b));
		len = strlen(names[i]);
		padded = (len + 3) & ~(size_t)3;
		n = pcapng_idb_encode(names[i], 1, 256, b, sizeof(b));
		cr_assert_eq(n, (ssize_t)(20 + 4 + padded + 4), "%s: %zd", names[i], n);
		cr_assert_eq(n % 4, 0);
		cr_assert_eq(get32(b), 1);
		cr_assert_eq(get32(b + 4), (uint32_t)n);
		cr_assert_eq(get32(b + (size_t)n - 4), (uint32_t)n);
		cr_assert_eq(get16(b + 8), 1);                          /* ethernet */
		cr_assert_eq(get16(b + 10), 0);                         /* reserved */
		cr_assert_eq(get32(b + 12), 256);
		cr_assert_eq(get16(b + 16), 2);                         /* if_name */
		cr_assert_eq(get16(b + 18), len);                       /* unpadded length */
		cr_assert_eq(memcmp(b + 20, names[i], len), 0);
		for (size_t j = len; j < padded; j++)
			cr_assert_eq(b[20 + j], 0, "%s: padding byte %zu", names[i], j);
		cr_assert_eq(get32(b + 20 + padded), 0);                /* opt_endofopt, 0 */
	}
	cr_assert_eq(pcapng_idb_encode("", 1, 256, b, sizeof(b)), -EINVAL);
	cr_assert_eq(pcapng_idb_encode("n1", 1, 256, b, 31), -EMSGSIZE);
}

Test(pcapng, epb_of_one_byte_is_36_bytes_with_zero_padding)
{
	uint8_t b[64], one = 0xab;
	uint64_t t = 0x0000000123456789ull;

	memset(b, 0xee, sizeof(b));
	cr_assert_eq(pcapng_epb_encode(7, t, &one, 1, 60, b, 35), -EMSGSIZE);
	cr_assert_eq(pcapng_epb_encode(7, t, &one, 1, 60, b, sizeof(b)), 36);
	cr_assert_eq(get32(b), 6);
	cr_assert_eq(get32(b + 4), 36);
	cr_assert_eq(get32(b + 8), 7);
	cr_assert_eq(get32(b + 12), 0x1);                  /* timestamp, high then low */
	cr_assert_eq(get32(b + 16), 0x23456789);
	cr_assert_eq(get32(b + 20), 1);
	cr_assert_eq(get32(b + 24), 60);
	cr_assert_eq(b[28], 0xab);
	cr_assert_eq(b[29], 0);
	cr_assert_eq(b[30], 0);
	cr_assert_eq(b[31], 0);
	cr_assert_eq(get32(b + 32), 36);
	cr_assert_eq(b[36], 0xee, "nothing written past the block");
	cr_assert_eq(pcapng_epb_encode(0, 0, NULL, 0, 0, b, sizeof(b)), 32);
	cr_assert_eq(pcapng_epb_encode(0, 0, &one, 2, 1, b, sizeof(b)), -EINVAL);
}

Test(pcapng, writer_output_walks_with_every_size_mod_four)
{
	static uint8_t file[SINK_BYTES_MAX];
	uint8_t payload[64] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pcapng_writer *w;
	struct walk_summary s;
	struct errbuf eb = { "" };
	int fd = sink_open();
	size_t size;

	cr_assert_eq(pcapng_writer_new(&w, fd, SINK_BYTES_MAX, &eb), 0, "%s", eb.msg);
	cr_assert_eq(pcapng_writer_interface(w, "n1", 1, 256, &eb), 0);
	cr_assert_eq(pcapng_writer_interface(w, "n2", 1, 64, &eb), 1);
	cr_assert_eq(pcapng_writer_packet(w, 2, 0, payload, 1, 1, &eb), -EINVAL);
	for (uint32_t len = 0; len <= 9; len++) {
		cr_assert_eq(pcapng_writer_packet(w, len % 2, 1000 + len, payload, len, 100, &eb),
			     0, "%s", eb.msg);
	}
	cr_assert_eq(pcapng_writer_flush(w, &eb), 0, "%s", eb.msg);
	cr_assert_eq(pcapng_writer_buffered(w), 0);
	size = sink_read(fd, file, sizeof(file));
	cr_assert_eq(size, pcapng_writer_bytes(w));
	cr_assert_eq(pcapng_walk(file, size, &s, NULL, NULL), 0, "%s", s.why);
	cr_assert_eq(s.idb_count, 2);
	cr_assert_eq(s.epb_count, 10);
	cr_assert_str_eq(s.if_name[0], "n1");
	cr_assert_str_eq(s.if_name[1], "n2");
	cr_assert_eq(s.snaplen[1], 64);
	cr_assert_eq(size, 28 + 2 * 32 + 10 * 32 + (0 + 4 + 4 + 4 + 4 + 8 + 8 + 8 + 8 + 12));
	pcapng_writer_free(w);
	close(fd);
}

Test(pcapng, writer_never_exceeds_cap_and_stays_capped)
{
	static uint8_t file[SINK_BYTES_MAX];
	uint8_t payload[40] = { 0 };
	struct pcapng_writer *w;
	struct walk_summary s;
	int fd = sink_open();
	uint32_t accepted = 0;
	size_t size;

	cr_assert_eq(pcapng_writer_new(&w, fd, 27, NULL), -EINVAL);
	/* 28 SHB + 32 IDB = 60; each 40-byte packet is a 72-byte EPB: 6 fit in 500. */
	cr_assert_eq(pcapng_writer_new(&w, fd, 500, NULL), 0);
	cr_assert_eq(pcapng_writer_interface(w, "n1", 1, 256, NULL), 0);
	for (int i = 0; i < 20; i++) {
		int err = pcapng_writer_packet(w, 0, (uint64_t)i, payload, 40, 40, NULL);

		cr_assert(err == 0 || err == -E2BIG);
		accepted += err == 0;
		cr_assert_leq(pcapng_writer_bytes(w), 500);
	}
	cr_assert_eq(accepted, 6);
	cr_assert(pcapng_writer_capped(w));
	/* Sticky: even a packet that would fit is refused once capped. */
	cr_assert_eq(pcapng_writer_packet(w, 0, 0, NULL, 0, 0, NULL), -E2BIG);
	cr_assert_eq(pcapng_writer_flush(w, NULL), 0);
	size = sink_read(fd, file, sizeof(file));
	cr_assert_eq(size, 60 + 6 * 72);
	cr_assert_eq(pcapng_walk(file, size, &s, NULL, NULL), 0, "%s", s.why);
	cr_assert_eq(s.epb_count, 6);
	pcapng_writer_free(w);
	close(fd);
}

Test(pcapng, writer_flushes_whole_blocks_when_buffer_fills)
{
	static uint8_t file[SINK_BYTES_MAX], payload[PCAPNG_PACKET_BYTES_MAX];
	struct pcapng_writer *w;
	struct walk_summary s;
	int fd = sink_open();
	size_t size;
	int i;

	cr_assert_eq(pcapng_writer_new(&w, fd, SINK_BYTES_MAX, NULL), 0);
	cr_assert_eq(pcapng_writer_interface(w, "n1", 1, PCAPNG_PACKET_BYTES_MAX, NULL), 0);
	cr_assert_eq(sink_read(fd, file, sizeof(file)), 0, "nothing written before a flush");
	for (i = 0; i < 5; i++) {       /* 5 x 65568 > 256 KiB: one flush on the way */
		cr_assert_eq(pcapng_writer_packet(w, 0, 0, payload, PCAPNG_PACKET_BYTES_MAX,
						  PCAPNG_PACKET_BYTES_MAX, NULL), 0);
		cr_assert_leq(pcapng_writer_buffered(w), PCAPNG_BUFFER_BYTES);
	}
	size = sink_read(fd, file, sizeof(file));
	cr_assert_gt(size, 0);
	cr_assert_eq(pcapng_walk(file, size, &s, NULL, NULL), 0, "prefix: %s", s.why);
	cr_assert_eq(size + pcapng_writer_buffered(w), pcapng_writer_bytes(w));
	cr_assert_eq(pcapng_writer_flush(w, NULL), 0);
	size = sink_read(fd, file, sizeof(file));
	cr_assert_eq(pcapng_walk(file, size, &s, NULL, NULL), 0, "%s", s.why);
	cr_assert_eq(s.epb_count, 5);
	pcapng_writer_free(w);
	close(fd);
}

Test(pcapng, writer_keeps_write_error)
{
	struct pcapng_writer *w;
	struct errbuf eb = { "" };
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	close(fds[0]);                  /* writes now fail with EPIPE (SIGPIPE ignored below) */
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pcapng_writer_new(&w, fds[1], 1 << 20, NULL), 0);
	cr_assert_eq(pcapng_writer_flush(w, &eb), -EPIPE);
	cr_assert_neq(eb.msg[0], 0);
	cr_assert_eq(pcapng_writer_interface(w, "n1", 1, 256, NULL), -EPIPE);
	pcapng_writer_free(w);
	close(fds[1]);
}
