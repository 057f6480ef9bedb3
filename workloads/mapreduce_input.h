/* SPDX-License-Identifier: MIT */
/* mapreduce_input.h - seeded input text for MapReduce jobs, with its word count known. */
#ifndef MAPREDUCE_INPUT_H
#define MAPREDUCE_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct errbuf;

/* Bounds (STYLE S18). Memory is about 40 bytes per vocabulary entry plus one 64 KiB buffer. */
enum {
	MR_INPUT_DOCUMENTS_MAX = 4096,
	MR_INPUT_VOCABULARY_MAX = 1u << 20,
	MR_INPUT_WORD_BYTES_MAX = 12, /* vocabulary words are 1..12 letters */
	MR_INPUT_PATH_BYTES_MAX = 4096,
};
#define MR_INPUT_BYTES_MAX ((uint64_t)1 << 30)

/*
 * What to write. The text is words drawn from a vocabulary by a Zipf law (rank r has weight
 * proportional to 1/r), lowercase, Capitalized or UPPER (distinct words under the case-sensitive
 * rule), separated by 1..3 bytes of spaces, punctuation and digits, with a newline about every 70
 * bytes; some documents start with a separator and some end right after a word, so the
 * letters-only rule and a word at the end of a buffer both matter.
 */
struct mr_input_spec {
	uint64_t seed;
	uint32_t documents;  /* 1..MR_INPUT_DOCUMENTS_MAX, named doc-00000.txt, ... */
	uint64_t bytes;      /* total, 1..MR_INPUT_BYTES_MAX; each document gets bytes/documents,
			      * and a document's last word may run past its share by < 16 bytes */
	uint32_t vocabulary; /* 1..MR_INPUT_VOCABULARY_MAX entries (equal draws merge) */
};

/* One word of the answer and how many times it was written. */
struct mr_input_word {
	const char *word; /* NUL-terminated, valid until mr_input_answer_free() */
	uint64_t count;
};

struct mr_input_answer;

/**
 * mr_input_write() - write @spec's documents into @dir (created if absent; files overwritten)
 * and return the exact word count, kept while writing, apart from any MapReduce code.
 * Return: 0; -EINVAL for a spec out of bounds (the message names the field); -errno of
 *         mkdir/open/write (the message names the path); -ENOMEM. On error *@out is NULL.
 */
int mr_input_write(const struct mr_input_spec *spec, const char *dir,
		   struct mr_input_answer **out, struct errbuf *eb);

/* mr_input_answer_free() - release @answer; may be NULL. */
void mr_input_answer_free(struct mr_input_answer *answer);

/* mr_input_answer_total() - the number of words written. */
uint64_t mr_input_answer_total(const struct mr_input_answer *answer);

/* mr_input_answer_distinct() - the number of distinct words written. */
size_t mr_input_answer_distinct(const struct mr_input_answer *answer);

/* mr_input_answer_word() - the word at @index < distinct, most frequent first, ties by bytes. */
struct mr_input_word mr_input_answer_word(const struct mr_input_answer *answer, size_t index);

/* mr_input_answer_count() - how many times @word was written (0 if never); O(distinct). */
uint64_t mr_input_answer_count(const struct mr_input_answer *answer, const char *word);

/* mr_input_answer_path() - the path of document @index < spec.documents, as written. */
const char *mr_input_answer_path(const struct mr_input_answer *answer, uint32_t index);

#endif /* MAPREDUCE_INPUT_H */
