/* SPDX-License-Identifier: MIT */
/* test_file.c - the intermediate and output file formats: round trips, and every torn or
 * doubled file refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "mr_file.h"

static struct mr_slice text(const char *s)
{
	return (struct mr_slice){ s, strlen(s) };
}

static const char *const pairs[][2] = {
	{ "apple", "1" }, { "banana", "" }, { "doc:0000000003", "a line\twith a tab" },
	{ "cherry", "doc1,doc2" },
};

static void ibuf_fill(struct mr_ibuf *b)
{
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		cr_assert_eq(mr_ibuf_append(b, text(pairs[i][0]), text(pairs[i][1]), NULL), 0);
	cr_assert_eq(mr_ibuf_seal(b, NULL), 0);
}

Test(mapreduce_file, an_intermediate_file_reads_back_its_pairs)
{
	struct mr_ibuf b = { 0 };
	struct mr_ifile_reader r;
	struct mr_slice key, value;
	size_t n = 0;

	ibuf_fill(&b);
	cr_assert_eq(mr_ifile_open(&r, b.bytes, b.size, "file", NULL), 0);
	cr_assert_eq(r.count, 4);
	while (mr_ifile_next(&r, &key, &value) == 1) {
		cr_assert_eq(key.size, strlen(pairs[n][0]));
		cr_assert_eq(memcmp(key.bytes, pairs[n][0], key.size), 0);
		cr_assert_eq(value.size, strlen(pairs[n][1]));
		cr_assert_eq(memcmp(value.bytes, pairs[n][1], value.size), 0);
		n++;
	}
	cr_assert_eq(n, 4);
	mr_ibuf_free(&b);
	/* An empty file (a map with nothing for this reduce) is whole too. */
	cr_assert_eq(mr_ibuf_seal(&b, NULL), 0);
	cr_assert_eq(mr_ifile_open(&r, b.bytes, b.size, "empty", NULL), 0);
	cr_assert_eq(mr_ifile_next(&r, &key, &value), 0);
	mr_ibuf_free(&b);
}

Test(mapreduce_file, every_cut_or_flipped_intermediate_file_is_refused)
{
	struct mr_ibuf b = { 0 };
	struct mr_ifile_reader r;
	struct errbuf eb;
	uint8_t *copy;

	ibuf_fill(&b);
	copy = malloc(b.size);
	for (size_t size = 0; size < b.size; size++) {
		memcpy(copy, b.bytes, size);
		cr_assert_eq(mr_ifile_open(&r, copy, size, "cut", &eb), -EBADMSG, "%zu bytes",
			     size);
		cr_assert(strstr(eb.msg, "cut") == eb.msg, "%s", eb.msg);
	}
	for (size_t at = 0; at < b.size; at++) {
		memcpy(copy, b.bytes, b.size);
		copy[at] ^= 0x20;
		cr_assert_eq(mr_ifile_open(&r, copy, b.size, "flipped", &eb), -EBADMSG,
			     "byte %zu", at);
	}
	free(copy);
	mr_ibuf_free(&b);
}

/* Write @n lines of @rows through the writer into a temporary file; return its bytes. */
static char *ofile_bytes(const char *const rows[][2], size_t n, size_t *size)
{
	char path[] = "/tmp/mr-ofile-XXXXXX";
	int fd = mkstemp(path);
	struct mr_ofile_writer *w = malloc(sizeof(*w));
	char *bytes;
	FILE *f;

	cr_assert_geq(fd, 0);
	mr_ofile_writer_init(w, fd, path);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(mr_ofile_line(w, text(rows[i][0]), text(rows[i][1]), NULL), 0);
	cr_assert_eq(mr_ofile_finish(w, NULL), 0);
	cr_assert_eq(w->fd, -1);
	free(w);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	bytes = malloc(1 << 16);
	*size = fread(bytes, 1, 1 << 16, f);
	fclose(f);
	unlink(path);
	return bytes;
}

static const char *const rows[][2] = {
	{ "A", "509" }, { "ABOUT", "2" }, { "and", "3 a,b,c" }, { "the", "" },
};

Test(mapreduce_file, an_output_file_reads_back_its_lines)
{
	size_t size, n = 0;
	char *bytes = ofile_bytes(rows, 4, &size);
	struct mr_ofile_reader r;
	struct mr_slice key, output;
	int got;

	cr_assert_eq(mr_ofile_open(&r, bytes, size, "mr-out-0", NULL), 0);
	cr_assert_eq(r.lines, 4);
	cr_assert(strncmp(bytes, "A 509\nABOUT 2\nand 3 a,b,c\nthe \nmr-end 4 ", 40) == 0,
		  "%.*s", (int)size, bytes);
	while ((got = mr_ofile_next(&r, &key, &output, "mr-out-0", NULL)) == 1) {
		cr_assert_eq(key.size, strlen(rows[n][0]));
		cr_assert_eq(memcmp(key.bytes, rows[n][0], key.size), 0);
		cr_assert_eq(output.size, strlen(rows[n][1]));
		n++;
	}
	cr_assert_eq(got, 0);
	cr_assert_eq(n, 4);
	free(bytes);
	bytes = ofile_bytes(rows, 0, &size);
	cr_assert_eq(mr_ofile_open(&r, bytes, size, "empty", NULL), 0, "no key: still whole");
	free(bytes);
}

Test(mapreduce_file, every_cut_doubled_or_altered_output_file_is_refused)
{
	size_t size;
	char *bytes = ofile_bytes(rows, 4, &size), *copy = malloc(2 * size);
	struct mr_ofile_reader r;
	struct errbuf eb;

	for (size_t cut = 0; cut < size; cut++)
		cr_assert_eq(mr_ofile_open(&r, bytes, cut, "cut", &eb), -EBADMSG, "%zu", cut);
	memcpy(copy, bytes, size);
	memcpy(copy + size, bytes, size); /* appended twice: a second trailer is last */
	cr_assert_eq(mr_ofile_open(&r, copy, 2 * size, "doubled", &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "torn") != NULL, "%s", eb.msg);
	for (size_t at = 0; at < size; at++) {
		memcpy(copy, bytes, size);
		copy[at] = copy[at] == 'x' ? 'y' : 'x';
		cr_assert_eq(mr_ofile_open(&r, copy, size, "altered", &eb), -EBADMSG, "%zu", at);
	}
	free(copy);
	free(bytes);
}

Test(mapreduce_file, trailers_are_strict_and_lines_need_a_key)
{
	static const char *const bad[] = {
		"mr-end 0 cbf29ce484222325",    "mr-end  0 cbf29ce484222325\n",
		"mr-end +0 cbf29ce484222325\n", "mr-end 0 CBF29CE484222325\n",
		"mr-end 0 cbf29ce48422232\n",   "mr-end 0 cbf29ce484222325 \n",
		"mr-end 0\n",                   "mr-ends 0 cbf29ce484222325\n",
	};
	static const char nokey[] = "nospace\nmr-end 1 ";
	struct mr_ofile_reader r;
	struct mr_slice key, output;
	char good[64];
	struct errbuf eb;
	uint64_t h;

	cr_assert_eq(mr_ofile_open(&r, "mr-end 0 cbf29ce484222325\n", 26, "empty", &eb), 0, "%s",
		     eb.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(mr_ofile_open(&r, bad[i], strlen(bad[i]), "bad", &eb), -EBADMSG,
			     "%s", bad[i]);
	/* A whole file whose line has no space: the trailer checks, the line does not. */
	h = 0xcbf29ce484222325ull;
	for (const char *p = "nospace\n"; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	snprintf(good, sizeof(good), "%s%016llx\n", nokey, (unsigned long long)h);
	cr_assert_eq(mr_ofile_open(&r, good, strlen(good), "nokey", &eb), 0, "%s", eb.msg);
	cr_assert_eq(mr_ofile_next(&r, &key, &output, "nokey", &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "nokey:1:") == eb.msg, "%s", eb.msg);
}

Test(mapreduce_file, the_writer_refuses_keys_it_could_not_read_back)
{
	struct mr_ofile_writer *w = malloc(sizeof(*w));
	struct errbuf eb;
	int fd = open("/dev/null", O_WRONLY);

	cr_assert_geq(fd, 0);
	mr_ofile_writer_init(w, fd, "null");
	cr_assert_eq(mr_ofile_line(w, text("two words"), text("1"), &eb), -EINVAL);
	cr_assert_eq(mr_ofile_line(w, text(""), text("1"), &eb), -EINVAL);
	cr_assert_eq(mr_ofile_line(w, text("k"), text("a\nb"), &eb), -EINVAL);
	cr_assert_eq(w->lines, 0);
	mr_ofile_abandon(w);
	cr_assert_eq(w->fd, -1);
	free(w);
}
