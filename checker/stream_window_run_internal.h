/* SPDX-License-Identifier: MIT */
/* stream_window_run_internal.h - shared by stream_window_run.c (the declaration, the history, the
 * checker) and stream_window_run_nodes.c (the sink's and the operators' files). */
#ifndef WINDOW_RUN_INTERNAL_H
#define WINDOW_RUN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "stream_window_run.h"

/* window_run_int() - whether @object's @key is an integer in @min .. @max, into *@out. */
bool window_run_int(const json_t *object, const char *key, int64_t min, int64_t max,
		    int64_t *out);

/**
 * window_run_grow() - make room for one more element in *@array (@count used of *@capacity,
 * elements of @size bytes), doubling up to @max elements.
 * Return: 0; -E2BIG when @count is @max already (the caller names the bound); -ENOMEM.
 */
int window_run_grow(void **array, uint32_t *capacity, uint32_t count, size_t size,
		    uint32_t max);

/* window_run_nodes_load() - the panes, side output, end records and watermarks of the run
 * directory @dir into @run, whose sources and operators are set (stream_window_run.h). */
int window_run_nodes_load(struct window_run *run, const char *dir, struct errbuf *eb);

struct check_result;
struct history;

/* window_stall_judge() - the in-run stall rule (stream_window_stall.c, checker/CHECKS.md) on
 * the operators' status reads of @h: a "stalled" anomaly per operator whose watermark lagged
 * the bound; figures. Needs @run's declared idle timeout and checkpoint interval. */
int window_stall_judge(const struct history *h, const struct window_run *run,
		       struct check_result *result, struct errbuf *eb);

#endif /* WINDOW_RUN_INTERNAL_H */
