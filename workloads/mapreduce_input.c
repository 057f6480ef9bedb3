/* SPDX-License-Identifier: MIT */
/* mapreduce_input.c - Zipf-distributed words written to files, counted as they are written. */
#include "mapreduce_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "prng.h"

enum {
	CHUNK_BYTES_MAX = 64 * 1024, /* the write buffer */
	LINE_BYTES_MIN = 70,         /* a newline follows the first word past this */
	WORD_SLOT_BYTES = MR_INPUT_WORD_BYTES_MAX + 1,
	ZIPF_WEIGHT_ONE = 1u << 30,  /* rank r weighs ZIPF_WEIGHT_ONE / r */
};

/* Bytes between words: mostly spaces, with punctuation and digits, never a letter. */
static const char separators[] = "       ,,..;:!?'\"()-0123456789";

struct mr_input_answer {
	struct mr_input_word *words; /* most frequent first */
	size_t distinct;
	uint64_t total;
	char *vocabulary;            /* the words' bytes: WORD_SLOT_BYTES per entry */
	char **paths;
	uint32_t path_count;
};

/* The generator's state while writing; counts[i] is how often vocabulary entry i was written. */
struct writer {
	struct prng prng;
	const char *vocabulary;
	uint64_t *cumulative; /* cumulative[i] = sum of the weights of ranks 1..i+1 */
	uint64_t *counts;
	uint32_t size;
	char chunk[CHUNK_BYTES_MAX];
	size_t used;
	size_t line_bytes;
	uint64_t document_bytes;
	int fd;
	const char *path;
};

static int check_spec(const struct mr_input_spec *spec, struct errbuf *eb)
{
	if (spec->documents < 1 || spec->documents > MR_INPUT_DOCUMENTS_MAX)
		return errbuf_set(eb, -EINVAL, "documents=%u, not 1..%d", spec->documents,
				  MR_INPUT_DOCUMENTS_MAX);
	if (spec->bytes < 1 || spec->bytes > MR_INPUT_BYTES_MAX)
		return errbuf_set(eb, -EINVAL, "bytes=%llu, not 1..%llu",
				  (unsigned long long)spec->bytes,
				  (unsigned long long)MR_INPUT_BYTES_MAX);
	if (spec->vocabulary < 1 || spec->vocabulary > MR_INPUT_VOCABULARY_MAX)
		return errbuf_set(eb, -EINVAL, "vocabulary=%u, not 1..%u", spec->vocabulary,
				  MR_INPUT_VOCABULARY_MAX);
	return 0;
}

/* Entry i: 1..12 random letters, lowercase (70%), Capitalized (20%) or UPPER (10%). */
static void make_vocabulary(struct prng *prng, char *vocabulary, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++) {
		char *word = vocabulary + (size_t)i * WORD_SLOT_BYTES;
		size_t length = 1 + prng_below(prng, MR_INPUT_WORD_BYTES_MAX);
		uint64_t style = prng_below(prng, 10);

		for (size_t j = 0; j < length; j++) {
			int upper = style == 9 || (style >= 7 && j == 0);

			word[j] = (char)((upper ? 'A' : 'a') + prng_below(prng, 26));
		}
		word[length] = '\0';
		ASSERT(strlen(word) == length);
	}
}

static uint32_t draw_rank(struct writer *w)
{
	uint64_t x = prng_below(&w->prng, w->cumulative[w->size - 1]);
	uint32_t low = 0, high = w->size - 1;

	while (low < high) { /* the first rank whose cumulative weight exceeds x */
		uint32_t middle = low + (high - low) / 2;

		if (w->cumulative[middle] > x)
			high = middle;
		else
			low = middle + 1;
	}
	ASSERT(w->cumulative[low] > x);
	return low;
}

static int flush(struct writer *w, struct errbuf *eb)
{
	for (size_t done = 0; done < w->used;) {
		ssize_t got = write(w->fd, w->chunk + done, w->used - done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errbuf_set(eb, -errno, "%s: write: %s", w->path, strerror(errno));
		done += (size_t)got;
	}
	w->used = 0;
	return 0;
}

static int put(struct writer *w, const char *bytes, size_t size, struct errbuf *eb)
{
	ASSERT(size <= CHUNK_BYTES_MAX);
	if (w->used + size > CHUNK_BYTES_MAX) {
		int err = flush(w, eb);

		if (err < 0)
			return err;
	}
	memcpy(w->chunk + w->used, bytes, size);
	w->used += size;
	w->line_bytes += size;
	w->document_bytes += size;
	return 0;
}

/* One to three separator bytes, or a newline once the line is long enough. */
static int put_separator(struct writer *w, struct errbuf *eb)
{
	char bytes[3];
	size_t size = 1 + prng_below(&w->prng, 3);

	if (w->line_bytes >= LINE_BYTES_MIN) {
		w->line_bytes = 0;
		return put(w, "\n", 1, eb);
	}
	for (size_t i = 0; i < size; i++)
		bytes[i] = separators[prng_below(&w->prng, sizeof(separators) - 1)];
	return put(w, bytes, size, eb);
}

/* Document @index: words until its share of bytes is written. */
static int write_document(struct writer *w, uint32_t index, uint64_t share, struct errbuf *eb)
{
	int err = 0;

	w->line_bytes = 0;
	w->document_bytes = 0;
	if (index % 3 == 0)
		err = put(w, "1. ", 3, eb); /* starts with a separator */
	for (uint64_t words = 0; err == 0 && w->document_bytes < share; words++) {
		uint32_t rank = draw_rank(w);
		const char *word = w->vocabulary + (size_t)rank * WORD_SLOT_BYTES;
		size_t length = strlen(word);

		if (words > 0 || index % 3 == 0)
			err = put_separator(w, eb);
		if (err == 0)
			err = put(w, word, length, eb);
		if (err == 0)
			w->counts[rank]++;
	}
	if (err == 0 && index % 2 == 0)
		err = put(w, "\n", 1, eb); /* odd documents end right after a word */
	if (err == 0)
		err = flush(w, eb);
	return err;
}

static int open_document(struct writer *w, struct mr_input_answer *a, const char *dir,
			 uint32_t index, struct errbuf *eb)
{
	char path[MR_INPUT_PATH_BYTES_MAX];
	int size = snprintf(path, sizeof(path), "%s/doc-%05u.txt", dir, index);

	if (size < 0 || (size_t)size >= sizeof(path))
		return errbuf_set(eb, -E2BIG, "%s: directory path over %d bytes", dir,
				  MR_INPUT_PATH_BYTES_MAX - 16);
	a->paths[index] = strdup(path);
	if (a->paths[index] == NULL)
		return -ENOMEM;
	a->path_count = index + 1;
	w->path = a->paths[index];
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return errbuf_set(eb, -errno, "%s: open: %s", path, strerror(errno));
	return 0;
}

static int word_compare(const void *a, const void *b)
{
	const struct mr_input_word *x = a, *y = b;

	return strcmp(x->word, y->word);
}

static int frequency_compare(const void *a, const void *b)
{
	const struct mr_input_word *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->word, y->word);
}

/* The answer from the counts: equal vocabulary draws merged, written words only. */
static int make_answer(struct mr_input_answer *a, const struct writer *w)
{
	size_t merged = 0;

	a->words = calloc(w->size, sizeof(*a->words));
	if (a->words == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < w->size; i++) {
		a->words[i].word = w->vocabulary + (size_t)i * WORD_SLOT_BYTES;
		a->words[i].count = w->counts[i];
	}
	qsort(a->words, w->size, sizeof(*a->words), word_compare);
	for (uint32_t i = 0; i < w->size; i++) {
		if (merged > 0 && strcmp(a->words[merged - 1].word, a->words[i].word) == 0)
			a->words[merged - 1].count += a->words[i].count;
		else
			a->words[merged++] = a->words[i];
	}
	a->distinct = 0;
	a->total = 0;
	for (size_t i = 0; i < merged; i++) {
		if (a->words[i].count == 0)
			continue;
		a->total += a->words[i].count;
		a->words[a->distinct++] = a->words[i];
	}
	qsort(a->words, a->distinct, sizeof(*a->words), frequency_compare);
	ASSERT(a->distinct <= w->size);
	return 0;
}

static int write_all(struct writer *w, struct mr_input_answer *a, const struct mr_input_spec *spec,
		     const char *dir, struct errbuf *eb)
{
	uint64_t share = spec->bytes / spec->documents;
	int err = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return errbuf_set(eb, -errno, "%s: mkdir: %s", dir, strerror(errno));
	for (uint32_t i = 0; err == 0 && i < spec->documents; i++) {
		uint64_t last = spec->bytes - share * (spec->documents - 1);
		uint64_t bytes = i + 1 < spec->documents ? share : last;

		err = open_document(w, a, dir, i, eb);
		if (err == 0)
			err = write_document(w, i, bytes, eb);
		if (w->fd >= 0 && close(w->fd) < 0 && err == 0)
			err = errbuf_set(eb, -errno, "%s: close: %s", w->path, strerror(errno));
		w->fd = -1;
	}
	return err;
}

int mr_input_write(const struct mr_input_spec *spec, const char *dir,
		   struct mr_input_answer **out, struct errbuf *eb)
{
	struct mr_input_answer *a = NULL;
	struct writer *w = NULL;
	uint64_t sum = 0;
	int err;

	ASSERT(spec != NULL && dir != NULL && out != NULL);
	*out = NULL;
	err = check_spec(spec, eb);
	if (err < 0)
		return err;
	a = calloc(1, sizeof(*a));
	w = calloc(1, sizeof(*w));
	if (a == NULL || w == NULL)
		goto out_nomem;
	w->fd = -1;
	w->size = spec->vocabulary;
	a->vocabulary = malloc((size_t)w->size * WORD_SLOT_BYTES);
	a->paths = calloc(spec->documents, sizeof(*a->paths));
	w->cumulative = calloc(w->size, sizeof(*w->cumulative));
	w->counts = calloc(w->size, sizeof(*w->counts));
	if (a->vocabulary == NULL || a->paths == NULL || w->cumulative == NULL ||
	    w->counts == NULL)
		goto out_nomem;
	prng_init(&w->prng, spec->seed);
	make_vocabulary(&w->prng, a->vocabulary, w->size);
	w->vocabulary = a->vocabulary;
	for (uint32_t i = 0; i < w->size; i++) {
		sum += ZIPF_WEIGHT_ONE / (i + 1);
		w->cumulative[i] = sum;
	}
	err = write_all(w, a, spec, dir, eb);
	if (err == 0)
		err = make_answer(a, w);
	goto out;
out_nomem:
	err = errbuf_set(eb, -ENOMEM, "input: out of memory for %u words", spec->vocabulary);
out:
	if (w != NULL) {
		free(w->cumulative);
		free(w->counts);
	}
	free(w);
	if (err < 0)
		mr_input_answer_free(a);
	else
		*out = a;
	return err;
}

void mr_input_answer_free(struct mr_input_answer *answer)
{
	if (answer == NULL)
		return;
	for (uint32_t i = 0; i < answer->path_count; i++)
		free(answer->paths[i]);
	free(answer->paths);
	free(answer->words);
	free(answer->vocabulary);
	free(answer);
}

uint64_t mr_input_answer_total(const struct mr_input_answer *answer)
{
	return answer->total;
}

size_t mr_input_answer_distinct(const struct mr_input_answer *answer)
{
	return answer->distinct;
}

struct mr_input_word mr_input_answer_word(const struct mr_input_answer *answer, size_t index)
{
	ASSERT(index < answer->distinct);
	return answer->words[index];
}

uint64_t mr_input_answer_count(const struct mr_input_answer *answer, const char *word)
{
	for (size_t i = 0; i < answer->distinct; i++) {
		if (strcmp(answer->words[i].word, word) == 0)
			return answer->words[i].count;
	}
	return 0;
}

const char *mr_input_answer_path(const struct mr_input_answer *answer, uint32_t index)
{
	ASSERT(index < answer->path_count);
	return answer->paths[index];
}
