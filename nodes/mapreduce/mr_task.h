/* SPDX-License-Identifier: MIT */
/* mr_task.h - one map or one reduce task over bytes already read: the worker's work without
 * the network. The daemon reads the split, fetches the intermediate files and commits. */
#ifndef MR_TASK_H
#define MR_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "mr_app.h"
#include "mr_coord.h"
#include "mr_file.h"

struct errbuf;

/* Bounds (STYLE S18): a map task's distinct pairs while it combines, a reduce task's. */
enum { MR_TASK_PAIRS_MAX = 1u << 24 };
#define MR_TASK_PAIR_BYTES_MAX ((size_t)1 << 30)
#define MR_SPLIT_BYTES_MAX ((size_t)256 << 20)          /* one input file */

/**
 * mr_map_task() - map the document @name, @input, into @files[0..@reduces) (empty buffers
 * given, sealed intermediate files returned: each pair in the file of its partition,
 * mr_partition()). With a combiner, each distinct key's values are combined first, so a file
 * holds one pair per key. @counters: MAP_INPUT_BYTES and MAP_OUTPUT_PAIRS (what the map
 * emitted, before combining) set, the others 0.
 * Return: 0; the map's or combiner's error; -E2BIG past a bound; -ENOMEM. On error the files
 *         are freed.
 */
int mr_map_task(const struct mr_app *app, struct mr_slice name, struct mr_slice input,
		uint32_t reduces, struct mr_ibuf *files, uint64_t counters[MR_COUNTERS],
		struct errbuf *eb);

/* One map's intermediate file for this reduce, as fetched. */
struct mr_reduce_input {
	const void *bytes;
	size_t size;
	const char *what;               /* names it in messages */
};

/**
 * mr_reduce_task() - reduce partition @reduce of @reduces from @inputs[0..@count) (each
 * checked whole, each pair checked to be of this partition) into @out, key by key in byte
 * order; the caller finishes or abandons @out. @counters: REDUCE_OUTPUT_KEYS and
 * REDUCE_OUTPUT_BYTES set (the lines' bytes, trailer excluded), the others 0.
 * Return: 0; -EBADMSG for a torn input or a pair of another partition (the message names the
 *         input); the reduce's error; -errno of a write; -E2BIG; -ENOMEM.
 */
int mr_reduce_task(const struct mr_app *app, const struct mr_reduce_input *inputs,
		   uint32_t count, uint32_t reduce, uint32_t reduces, struct mr_ofile_writer *out,
		   uint64_t counters[MR_COUNTERS], struct errbuf *eb);

#endif /* MR_TASK_H */
