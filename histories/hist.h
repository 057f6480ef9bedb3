/* SPDX-License-Identifier: MIT */
/* hist.h - JSON Lines histories: crash-safe writer, validating streaming reader, loaded form. */
#ifndef HIST_H
#define HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "op.h"

struct errbuf;

enum {
	HIST_LINE_BYTES_MAX = 1 << 20,   /* one op's JSON line, newline included */
	HIST_PROCESSES_MAX = 1 << 16,    /* distinct client process numbers in one history */
	HIST_OPS_MAX = 1 << 26,          /* ops in one loaded history */
};

/* ---- Writer ---------------------------------------------------------------------------- */

struct hist_writer;

/**
 * hist_writer_open() - create @path (O_EXCL) for appending; @start_ns is the campaign start on
 * the CLOCK_MONOTONIC scale, from which every op's time is measured.
 * Return: 0, or -errno (with @eb naming the path).
 */
int hist_writer_open(struct hist_writer **out, const char *path, int64_t start_ns,
		     struct errbuf *eb);

/**
 * hist_writer_append() - stamp @op with the next index and the current time, check it against
 * the format's rules (the same rules the reader enforces, STYLE S17), and write it as one line
 * with a single write(2), so a killed campaign leaves whole lines only (at worst a torn last).
 * Thread-safe: ops from concurrent clients are serialised; index and time are assigned under
 * the same lock, so the file is in index and time order. @op->index and @op->time_ns are
 * outputs. Strings in @op are borrowed.
 * Return: 0; -EINVAL if @op breaks a rule (nothing written); -E2BIG if the line would exceed
 * HIST_LINE_BYTES_MAX; -errno on I/O error.
 */
int hist_writer_append(struct hist_writer *w, struct op *op, struct errbuf *eb);

/**
 * hist_writer_print() - write @op as one line of the format (as hist_writer_append() would,
 * but with @op's own index and time, unchecked) to @file; for converters. Blocks on @file.
 * Return: 0; -EINVAL if a string is not UTF-8 or a JSON value not JSON; -EIO.
 */
int hist_writer_print(FILE *file, const struct op *op, struct errbuf *eb);

/* hist_writer_close() - close; NULL is allowed. Return: 0 or -errno from close(2). */
int hist_writer_close(struct hist_writer *w);

/* ---- Streaming reader ------------------------------------------------------------------ */

struct hist_reader;

/** hist_reader_open() - open @path for streaming. Return: 0 or -errno. */
int hist_reader_open(struct hist_reader **out, const char *path, struct errbuf *eb);

/**
 * hist_reader_next() - read and validate the next op into @op. Strings and arrays in @op are
 * valid until the next call or close.
 * Validates every field (types, ranges, dense index, non-decreasing time) and the process rules:
 * at most one op in flight per process, a completion matches its invocation's f, and a process
 * whose op ended in info never invokes again.
 * A torn last line (no newline at end of file, not parseable) ends the stream with a warning
 * (see hist_reader_warning()); every other bad line is an error.
 * Return: 1 with an op, 0 at end, -EBADMSG/-EINVAL/-E2BIG with "path:line: expected ..." in @eb.
 */
int hist_reader_next(struct hist_reader *r, struct op *op, struct errbuf *eb);

/* hist_reader_warning() - the warning for a tolerated torn last line, or NULL. */
const char *hist_reader_warning(const struct hist_reader *r);

/*
 * hist_reader_scan() - whether lines of the common shape go through the fast scanner
 * (hist_scan.h; on by default) or every line through the full parser (jansson). Both
 * give the same ops and the same errors; off is for benchmarks and tests comparing them.
 */
void hist_reader_scan(struct hist_reader *r, bool on);

/* hist_reader_line() - 1-based line number of the op last returned. */
uint64_t hist_reader_line(const struct hist_reader *r);

void hist_reader_close(struct hist_reader *r);

/* ---- Loaded history -------------------------------------------------------------------- */

/*
 * Invariants: ops[i].index == i; every string and array an op points to is owned by the
 * history; hist_pair(h, i) is the index of the op completing invocation i (or of the
 * invocation that op i completes), HIST_NO_PAIR when there is none (an invocation still in
 * flight at the end).
 */
enum { HIST_NO_PAIR = UINT64_MAX };

struct history {
	struct op *ops;
	uint64_t count;
	/* Read through hist_pair(): 32-bit indexes save 4 bytes per op; UINT32_MAX: none. */
	uint32_t *pair32;
	/* A torn last line; or what a Jepsen import skipped or fitted, one line each
	 * ('\n'-separated, "path:line: ..."); "" when none. */
	char warning[1024];
	/* --- private: exposed for embedding only --- */
	void *arena;
};

_Static_assert(HIST_OPS_MAX < UINT32_MAX, "op indexes fit the 32-bit pair table");

/* hist_pair() - the op paired with op @i (see the invariants above), or HIST_NO_PAIR. */
static inline uint64_t hist_pair(const struct history *h, uint64_t i)
{
	return h->pair32[i] == UINT32_MAX ? HIST_NO_PAIR : h->pair32[i];
}

/* hist_pair_set() - record @j (an op index or HIST_NO_PAIR) as op @i's pair; for builders. */
static inline void hist_pair_set(struct history *h, uint64_t i, uint64_t j)
{
	h->pair32[i] = j == HIST_NO_PAIR ? UINT32_MAX : (uint32_t)j;
}

/**
 * hist_load() - read a whole history file with the streaming reader and build the pair index.
 * Return: 0; or the reader's error (the history is left empty); -ENOMEM; -E2BIG past
 * HIST_OPS_MAX.
 */
int hist_load(struct history *h, const char *path, struct errbuf *eb);

/* hist_load_scan() - hist_load() with the fast scanner on or off (hist_reader_scan()). */
int hist_load_scan(struct history *h, const char *path, bool scan, struct errbuf *eb);

/* hist_memory_bytes() - bytes held: ops, pair table, arena chunks (the last one whole). */
uint64_t hist_memory_bytes(const struct history *h);

/* hist_fini() - free what hist_load() allocated; a zeroed history is allowed. */
void hist_fini(struct history *h);

/* ---- Building a history op by op (importers) ------------------------------------------ */

struct hist_builder;

/* hist_builder_new() - an empty history; @path (copied) names the input in messages. */
int hist_builder_new(struct hist_builder **out, const char *path, struct errbuf *eb);

/**
 * hist_builder_append() - check @op against the format's rules (as the reader does) and
 * append a copy. @op->index is set here (the next position); @op->time_ns is the caller's.
 * @line: 1-based line of @op in the input, for "path:line: expected ..." messages.
 * Return: 0; -EINVAL (rule broken, nothing appended); -E2BIG; -ENOMEM.
 */
int hist_builder_append(struct hist_builder *b, struct op *op, uint64_t line,
			struct errbuf *eb);

/* hist_builder_count() - ops appended so far. */
uint64_t hist_builder_count(const struct hist_builder *b);

/**
 * hist_builder_finish() - move the ops into @h (as hist_load() leaves it; hist_fini() it)
 * and free @b, on success and on failure. Return: 0 or -ENOMEM (@h left empty).
 */
int hist_builder_finish(struct hist_builder *b, struct history *h, struct errbuf *eb);

/* hist_builder_free() - abandon @b; NULL is allowed. */
void hist_builder_free(struct hist_builder *b);

/* ---- Run directories ------------------------------------------------------------------- */

enum { HIST_PATH_BYTES_MAX = 512 };

/**
 * hist_run_dir_create() - make store/<system>/<YYYYmmddTHHMMSS>-<seed>/ and its nodes/ folder
 * under @store_root (created if missing), and point @store_root/latest at it (a relative
 * symlink, replaced atomically). The timestamp is local wall-clock time.
 * @out receives the run directory path (size HIST_PATH_BYTES_MAX).
 * Return: 0 or -errno.
 */
int hist_run_dir_create(const char *store_root, const char *system, uint64_t seed,
			char out[HIST_PATH_BYTES_MAX], struct errbuf *eb);

/* The files of a run directory (histories/FORMAT.md); the names live only here. */
enum hist_run_file {
	HIST_RUN_HISTORY,               /* history.jsonl */
	HIST_RUN_CONFIG,                /* config.json */
	HIST_RUN_RESULTS,               /* results.json */
	HIST_RUN_CAPTURE,               /* capture.pcapng */
	HIST_RUN_NODES,                 /* nodes: logs and each node's <name>.data */
};

/* hist_run_file_name() - the file's name in a run directory, e.g. "history.jsonl". */
const char *hist_run_file_name(enum hist_run_file file);

/* hist_run_file() - "<run_dir>/<name>" into @out. Return: 0 or -ENAMETOOLONG (cut). */
int hist_run_file(char *out, size_t size, const char *run_dir, enum hist_run_file file);

#endif /* HIST_H */
