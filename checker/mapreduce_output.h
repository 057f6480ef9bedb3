/* SPDX-License-Identifier: MIT */
/* mapreduce_output.h - judges a MapReduce job's output directory against the sequential
 * oracle: the output's own anomalies (wrong-output, wrong-partition, unsorted, torn-output),
 * each with the first few findings as evidence. */
#ifndef MAPREDUCE_OUTPUT_H
#define MAPREDUCE_OUTPUT_H

#include <stdint.h>

#include "mapreduce_oracle.h"

struct errbuf;

enum mr_output_anomaly {
	MR_OUTPUT_WRONG_OUTPUT,         /* a key missing, extra, or with another value */
	MR_OUTPUT_WRONG_PARTITION,      /* a key in a file not its partition's, or twice */
	MR_OUTPUT_UNSORTED,             /* a file's keys out of byte order */
	MR_OUTPUT_TORN_OUTPUT,          /* a trailer that does not check, or a stray file */
	MR_OUTPUT_ANOMALIES,
};

enum {
	MR_OUTPUT_FINDINGS_MAX = 12,    /* findings kept as evidence; all are counted */
	MR_OUTPUT_FINDING_BYTES = 256,
};

struct mr_output_finding {
	enum mr_output_anomaly anomaly;
	char text[MR_OUTPUT_FINDING_BYTES];
};

struct mr_output_report {
	uint64_t counts[MR_OUTPUT_ANOMALIES];
	struct mr_output_finding findings[MR_OUTPUT_FINDINGS_MAX];
	uint32_t finding_count;
	uint64_t keys;                  /* lines read from whole files */
	uint64_t expected_keys;         /* the oracle's */
};

/* mr_output_anomaly_name() - "wrong-output", "wrong-partition", "unsorted", "torn-output". */
const char *mr_output_anomaly_name(enum mr_output_anomaly anomaly);

/**
 * mr_output_check() - read every file of @dir: each must be mr-out-R (R < @reduces) whose
 * trailer checks (mr_file.h), its keys in byte order, each in partition R and nowhere else;
 * their union must equal @oracle's rows exactly. A torn file's lines are not trusted: its
 * partition's keys then count as missing too.
 * Return: 0 with @report filled (valid iff every count is 0); -errno if @dir cannot be read
 *         (@eb names it); -ENOMEM.
 */
int mr_output_check(const char *dir, uint32_t reduces, const struct mr_oracle *oracle,
		    struct mr_output_report *report, struct errbuf *eb);

/* mr_output_valid() - no anomaly in @report. */
static inline int mr_output_valid(const struct mr_output_report *report)
{
	for (int a = 0; a < MR_OUTPUT_ANOMALIES; a++)
		if (report->counts[a])
			return 0;
	return 1;
}

#endif /* MAPREDUCE_OUTPUT_H */
