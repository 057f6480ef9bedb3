/* SPDX-License-Identifier: MIT */
/* results.h - a check_result as results.json (the run directory's verdict file). */
#ifndef RESULTS_H
#define RESULTS_H

#include <stdio.h>

struct check_result;
struct errbuf;

/**
 * results_write_json() - write @result as pretty JSON (indent 2) to @path, through a temporary
 * file in the same directory renamed over @path, so readers never see a partial file.
 * @history_path: recorded as "history"; may be NULL.
 * Keys: verdict, checker, model, history, ops, final_reads, anomalies_total,
 * anomalies [{kind, message, ops}], unknown_reason (why UNKNOWN, or the parts left
 * undecided beside INVALID; "" otherwise), and "skew" only when result->skew is set:
 * {bucket_ns, nodes [{node, samples, samples_dropped, max_abs {offset_ns, time_ns,
 * uncertainty_ns, op}, buckets [{start_ns, offset_ns_min, offset_ns_max, samples}]}],
 * clock_ops [{op, time_ns, f, value, result}], clock_ops_dropped, samples_unnamed,
 * clocks_malformed} (checker/CHECKS.md).
 * Return: 0; -ENOMEM; -errno from the file system (@eb names the path).
 */
int results_write_json(const char *path, const struct check_result *result,
		       const char *history_path, struct errbuf *eb);

/* results_fprint_json() - the same document to @out. Return: 0, -ENOMEM or -EIO. */
int results_fprint_json(FILE *out, const struct check_result *result, const char *history_path,
			struct errbuf *eb);

#endif /* RESULTS_H */
