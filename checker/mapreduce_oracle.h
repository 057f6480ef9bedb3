/* SPDX-License-Identifier: MIT */
/* mapreduce_oracle.h - the output of a fault-free sequential MapReduce run, to check against. */
#ifndef MAPREDUCE_ORACLE_H
#define MAPREDUCE_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "mr_app.h"

struct errbuf;

/*
 * Bounds (STYLE S18). Memory is at most: one document's bytes while it is mapped, plus 80
 * bytes per distinct intermediate (key, value) pair (32 for the pair and 16 for the table,
 * with doubling's slack) and twice their bytes, plus, after mr_oracle_run(), 24 bytes per
 * key and the reduce outputs. Word count keeps one pair per
 * distinct word with a multiplicity, not one per occurrence, so 64 MB of English-like text
 * needs a few MB. The index keeps one pair per (word, document); grep one per matching line.
 */
enum {
	MR_ORACLE_DOCUMENTS_MAX = 4096,
	MR_ORACLE_PAIRS_MAX = 1u << 24,
};
#define MR_ORACLE_DOCUMENT_BYTES_MAX ((size_t)256 << 20) /* one input file */
#define MR_ORACLE_ARENA_BYTES_MAX ((size_t)1 << 30)      /* distinct keys, values, outputs */

struct mr_oracle;

/* One key of the answer. The slices are views, valid until mr_oracle_free(). */
struct mr_oracle_row {
	struct mr_slice key;
	struct mr_slice output; /* the reduce output: the lab's line is "key output" */
	uint32_t hash;          /* mr_ihash(key); its partition for R is hash % R */
};

/**
 * mr_oracle_new() - an empty oracle for @app (copied). Return: 0; -ENOMEM.
 */
int mr_oracle_new(const struct mr_app *app, struct mr_oracle **out, struct errbuf *eb);

/* mr_oracle_free() - release everything; @oracle may be NULL. */
void mr_oracle_free(struct mr_oracle *oracle);

/**
 * mr_oracle_add_file() - read the file at @path and map it as the document named by the
 * path's last component (the name every process agrees on, wherever the inputs are mounted).
 * Return: 0; -errno of open/read (the message names @path); -E2BIG for a file over
 *         MR_ORACLE_DOCUMENT_BYTES_MAX or another bound; -EEXIST for a document name already
 *         added; -EINVAL for a bad name or after mr_oracle_run(); or the map's error.
 */
int mr_oracle_add_file(struct mr_oracle *oracle, const char *path, struct errbuf *eb);

/* mr_oracle_add_document() - map @input as document @name. Errors as mr_oracle_add_file(). */
int mr_oracle_add_document(struct mr_oracle *oracle, struct mr_slice name, struct mr_slice input,
			   struct errbuf *eb);

/**
 * mr_oracle_run() - reduce every key, in byte order of keys, as the lab's mrsequential.go does.
 * Called once, after the last add. Return: 0; -EINVAL if called twice; -E2BIG; -ENOMEM; or the
 * reduce's error (the message names the key).
 */
int mr_oracle_run(struct mr_oracle *oracle, struct errbuf *eb);

/**
 * mr_oracle_compute() - new + add_file for each of @paths + run. On success *@out is the
 * oracle, to be freed by the caller; on error *@out is NULL.
 */
int mr_oracle_compute(const struct mr_app *app, const char *const *paths, size_t path_count,
		      struct mr_oracle **out, struct errbuf *eb);

/* mr_oracle_count() - the number of keys (after mr_oracle_run()). */
size_t mr_oracle_count(const struct mr_oracle *oracle);

/* mr_oracle_row() - the key at @index < mr_oracle_count(); rows are sorted by key bytes. */
struct mr_oracle_row mr_oracle_row(const struct mr_oracle *oracle, size_t index);

/* mr_oracle_find() - the index of @key, or -ENOENT. */
ssize_t mr_oracle_find(const struct mr_oracle *oracle, struct mr_slice key);

/**
 * mr_oracle_partition_next() - walk the keys of @partition for @reduce_count reduces, in key
 * order (which is the order that partition's output file must have). Start with *@cursor = 0.
 * Return: 1 and the row's index in *@index; 0 when the partition has no more keys.
 */
int mr_oracle_partition_next(const struct mr_oracle *oracle, uint32_t reduce_count,
			     uint32_t partition, size_t *cursor, size_t *index);

/**
 * mr_oracle_write() - write every row as the lab's output line "key output\n", in key order,
 * which is what `sort` of the union of a correct job's output files gives byte for byte.
 * Return: 0; -EIO if @file fails.
 */
int mr_oracle_write(const struct mr_oracle *oracle, FILE *file, struct errbuf *eb);

/* mr_oracle_emitted() - the pairs every map emitted, repeats included (a job's
 * MAP_OUTPUT_PAIRS counter); mr_oracle_input_bytes() - the documents' bytes. */
uint64_t mr_oracle_emitted(const struct mr_oracle *oracle);
uint64_t mr_oracle_input_bytes(const struct mr_oracle *oracle);

#endif /* MAPREDUCE_ORACLE_H */
