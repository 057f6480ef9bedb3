/* SPDX-License-Identifier: MIT */
/* hist_scan.h - private: a fast scanner for the common shape of a history line. */
#ifndef HIST_SCAN_H
#define HIST_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "op.h"

/**
 * hist_scan_line() - read the @size bytes at @text (one line, no newline) as an op, when
 * the line has the common shape: one JSON object of the format's keys, each once, with
 * integer index and time (>= 0), process an integer in [0, 2^31-1] or "nemesis", type
 * one of the four, strings without escapes or non-ASCII bytes, final a boolean, and a
 * value that is null, an integer or an array of integers. Strings are NUL-terminated in
 * place (so @text changes only on success) and valid while @text is; an array's integers
 * go to *@ints (grown as needed, *@ints_max entries; free() it); node and error go to
 * *@note, which @op->note then points to (NULL when both are absent).
 * Anything else (other values, escapes, blanks in odd places that JSON allows are fine,
 * unknown or repeated keys, a missing key, a number out of range) returns 0 without
 * touching @text, for the full parser to read or to refuse with its message: the scanner
 * never decides that a line is bad.
 * Hand-written because the benchmark says so: bench-checker loads 1M-op histories at
 * about 0.3M ops/s through jansson, most of it building and freeing a JSON tree per line.
 * Return: 1 scanned into @op; 0 not the common shape; -ENOMEM.
 */
int hist_scan_line(char *text, size_t size, struct op *op, struct op_note *note, int64_t **ints,
		   size_t *ints_max);

#endif /* HIST_SCAN_H */
