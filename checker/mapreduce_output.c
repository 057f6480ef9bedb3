/* SPDX-License-Identifier: MIT */
/* mapreduce_output.c - the output directory against the oracle (mapreduce_output.h): the
 * properties 1 to 4 of ../shared/MAPREDUCE.md, each key judged once. */
#include "mapreduce_output.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "mr_file.h"

#define OUTPUT_FILE_BYTES_MAX ((size_t)1 << 31)

static const char *const anomaly_names[MR_OUTPUT_ANOMALIES] = {
	[MR_OUTPUT_WRONG_OUTPUT] = "wrong-output",
	[MR_OUTPUT_WRONG_PARTITION] = "wrong-partition",
	[MR_OUTPUT_UNSORTED] = "unsorted",
	[MR_OUTPUT_TORN_OUTPUT] = "torn-output",
};

const char *mr_output_anomaly_name(enum mr_output_anomaly anomaly)
{
	ASSERT(anomaly < MR_OUTPUT_ANOMALIES);
	return anomaly_names[anomaly];
}

static void finding(struct mr_output_report *report, enum mr_output_anomaly anomaly,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Count @anomaly, and keep its text while there is room. */
static void finding(struct mr_output_report *report, enum mr_output_anomaly anomaly,
		    const char *fmt, ...)
{
	struct mr_output_finding *f;
	va_list ap;

	report->counts[anomaly]++;
	if (report->finding_count == MR_OUTPUT_FINDINGS_MAX)
		return;
	f = &report->findings[report->finding_count++];
	f->anomaly = anomaly;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

static int shown(size_t size)
{
	return (int)(size < 60 ? size : 60);
}

/* Which partition a directory entry is the output of: R for "mr-out-R", else -1. */
static long partition_of(const char *name, uint32_t reduces)
{
	char *end;
	long r;

	if (strncmp(name, "mr-out-", 7) != 0 || name[7] < '0' || name[7] > '9' ||
	    (name[7] == '0' && name[8] != '\0'))
		return -1;
	r = strtol(name + 7, &end, 10);
	return *end == '\0' && r >= 0 && r < (long)reduces ? r : -1;
}

/* One line of partition @r: its partition, its order after @previous, its value. */
static void line_judge(const struct mr_oracle *oracle, uint32_t reduces, uint32_t r,
		       struct mr_slice key, struct mr_slice output, struct mr_slice previous,
		       uint8_t *seen, struct mr_output_report *report)
{
	ssize_t row = mr_oracle_find(oracle, key);
	uint32_t home = mr_partition(key, reduces);

	if (previous.bytes && mr_key_compare(previous, key) >= 0)
		finding(report, MR_OUTPUT_UNSORTED, "mr-out-%u: key '%.*s' after '%.*s'", r,
			shown(key.size), key.bytes, shown(previous.size), previous.bytes);
	if (home != r)
		finding(report, MR_OUTPUT_WRONG_PARTITION, "key '%.*s' in mr-out-%u, its "
			"partition is %u", shown(key.size), key.bytes, r, home);
	if (row < 0) {
		finding(report, MR_OUTPUT_WRONG_OUTPUT, "key '%.*s' = '%.*s' is not in the "
			"oracle's output", shown(key.size), key.bytes, shown(output.size),
			output.bytes);
		return;
	}
	if (seen[row]) {
		finding(report, MR_OUTPUT_WRONG_PARTITION, "key '%.*s' appears again, in "
			"mr-out-%u", shown(key.size), key.bytes, r);
		return;
	}
	seen[row] = 1;
	if (mr_key_compare(mr_oracle_row(oracle, (size_t)row).output, output) != 0) {
		struct mr_slice want = mr_oracle_row(oracle, (size_t)row).output;

		finding(report, MR_OUTPUT_WRONG_OUTPUT, "key '%.*s': expected '%.*s', got '%.*s'",
			shown(key.size), key.bytes, shown(want.size), want.bytes,
			shown(output.size), output.bytes);
	}
}

/* Judge the file of partition @r (@path); a torn one's lines are skipped. */
static void file_judge(const char *path, uint32_t r, const struct mr_oracle *oracle,
		       uint32_t reduces, uint8_t *seen, struct mr_output_report *report)
{
	struct mr_ofile_reader reader;
	struct mr_slice key, output, previous = { NULL, 0 };
	struct errbuf eb;
	char *bytes = NULL;
	size_t size;
	int got;

	if (mr_file_read(path, OUTPUT_FILE_BYTES_MAX, &bytes, &size, &eb) < 0 ||
	    mr_ofile_open(&reader, bytes, size, path, &eb) < 0) {
		finding(report, MR_OUTPUT_TORN_OUTPUT, "%s", eb.msg);
		free(bytes);
		return;
	}
	while ((got = mr_ofile_next(&reader, &key, &output, path, &eb)) == 1) {
		line_judge(oracle, reduces, r, key, output, previous, seen, report);
		previous = key;
		report->keys++;
	}
	if (got < 0)
		finding(report, MR_OUTPUT_TORN_OUTPUT, "%s", eb.msg);
	free(bytes);
}

/* Every file of @dir: stray ones are torn-output; found[r] says which partitions have one. */
static int dir_judge(const char *dir, uint32_t reduces, const struct mr_oracle *oracle,
		     uint8_t *seen, bool *found, struct mr_output_report *report,
		     struct errbuf *eb)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		return errbuf_set(eb, -errno, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		long r = partition_of(e->d_name, reduces);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (r < 0) {
			finding(report, MR_OUTPUT_TORN_OUTPUT, "%s/%s: not a final output file "
				"(mr-out-0..%u): a temporary or partial file among the finals",
				dir, e->d_name, reduces - 1);
			continue;
		}
		found[r] = true;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		file_judge(path, (uint32_t)r, oracle, reduces, seen, report);
	}
	closedir(d);
	return 0;
}

int mr_output_check(const char *dir, uint32_t reduces, const struct mr_oracle *oracle,
		    struct mr_output_report *report, struct errbuf *eb)
{
	size_t rows = mr_oracle_count(oracle);
	uint8_t *seen = calloc(rows ? rows : 1, 1);
	bool *found = calloc(reduces, sizeof(*found));
	int err = seen && found ? 0 : errbuf_set(eb, -ENOMEM, "output check: out of memory");

	ASSERT(reduces >= 1);
	memset(report, 0, sizeof(*report));
	report->expected_keys = rows;
	if (!err)
		err = dir_judge(dir, reduces, oracle, seen, found, report, eb);
	for (uint32_t r = 0; !err && r < reduces; r++)
		if (!found[r])
			finding(report, MR_OUTPUT_WRONG_OUTPUT, "mr-out-%u: missing", r);
	for (size_t row = 0; !err && row < rows; row++) {
		struct mr_oracle_row want = mr_oracle_row(oracle, row);

		if (!seen[row])
			finding(report, MR_OUTPUT_WRONG_OUTPUT, "key '%.*s' (expected '%.*s') is "
				"missing", shown(want.key.size), want.key.bytes,
				shown(want.output.size), want.output.bytes);
	}
	free(seen);
	free(found);
	return err;
}
