/* SPDX-License-Identifier: MIT */
/* test_window_transcript.c - window transcripts (histories/transcripts/): the valid ones are
 * VALID and replay equal through the correct operator, each invalid one names its anomaly,
 * malformed ones are refused at their line, and seeded operator bugs break the replay. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "stream_operator.h"
#include "stream_window_check.h"
#include "stream_window_transcript.h"

#ifndef TRANSCRIPTS_DIR
#error "TRANSCRIPTS_DIR must name histories/transcripts"
#endif

enum { NAMES_MAX = 64, NAME_BYTES_MAX = 96 };

/* The transcripts whose names start with @prefix, sorted; the count. */
static uint32_t transcripts_list(const char *prefix, char names[NAMES_MAX][NAME_BYTES_MAX])
{
	DIR *dir = opendir(TRANSCRIPTS_DIR);
	struct dirent *entry;
	uint32_t count = 0;

	cr_assert(dir, "%s: %s", TRANSCRIPTS_DIR, strerror(errno));
	while ((entry = readdir(dir))) {
		size_t length = strlen(entry->d_name);

		if (strncmp(entry->d_name, prefix, strlen(prefix)) != 0 || length < 5 ||
		    strcmp(entry->d_name + length - 5, ".yaml") != 0)
			continue;
		cr_assert_lt(count, NAMES_MAX);
		cr_assert_lt(length, NAME_BYTES_MAX);
		snprintf(names[count++], NAME_BYTES_MAX, "%s", entry->d_name);
	}
	closedir(dir);
	qsort(names, count, NAME_BYTES_MAX, (int (*)(const void *, const void *))strcmp);
	return count;
}

static const char *path_of(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", TRANSCRIPTS_DIR, name);
	return path;
}

static struct window_transcript *load(const char *name)
{
	struct window_transcript *t = NULL;
	struct errbuf eb = { "" };
	int err = window_transcript_load(path_of(name), &t, &eb);

	cr_assert_eq(err, 0, "%s: %s", name, eb.msg);
	return t;
}

/* The distinct anomaly kinds of @r, comma-separated, in a static buffer. */
static const char *kinds(const struct check_result *r)
{
	static char buf[256];
	size_t used = 0;

	buf[0] = '\0';
	for (uint32_t index = 0; index < r->anomaly_count && used < sizeof(buf); index++) {
		if (strstr(buf, r->anomalies[index].kind))
			continue;
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "," : "",
					 r->anomalies[index].kind);
	}
	return buf;
}

static bool has_kind(const struct check_result *r, const char *kind)
{
	for (uint32_t index = 0; index < r->anomaly_count; index++) {
		if (strcmp(r->anomalies[index].kind, kind) == 0)
			return true;
	}
	return false;
}

static void check(const struct window_transcript *t, struct check_result *r)
{
	struct errbuf eb = { "" };

	check_result_init(r);
	cr_assert_eq(window_transcript_check(t, r, &eb), 0, "%s", eb.msg);
}

static void replay(const struct window_transcript *t, uint32_t bugs,
		   struct window_transcript_diff *diff)
{
	struct errbuf eb = { "" };

	cr_assert_eq(window_transcript_replay(t, bugs, diff, &eb), 0, "%s", eb.msg);
}

Test(window_transcript, valid_transcripts_are_valid_and_replay_equal)
{
	char names[NAMES_MAX][NAME_BYTES_MAX];
	uint32_t count = transcripts_list("valid_", names);

	cr_assert_geq(count, 7);
	for (uint32_t index = 0; index < count; index++) {
		struct window_transcript *t = load(names[index]);
		struct window_transcript_diff diff;
		struct check_result r;

		cr_expect_null(window_transcript_expected_anomaly(t), "%s", names[index]);
		check(t, &r);
		cr_expect_eq(r.verdict, VERDICT_VALID, "%s: %s: %s", names[index], kinds(&r),
			     r.anomaly_count ? r.anomalies[0].message : "");
		replay(t, 0, &diff);
		cr_expect_not(diff.differs, "%s", diff.message);
		cr_expect_gt(diff.outputs, 0, "%s", names[index]);
		check_result_fini(&r);
		window_transcript_free(t);
	}
}

Test(window_transcript, invalid_transcripts_name_their_anomaly)
{
	char names[NAMES_MAX][NAME_BYTES_MAX];
	uint32_t count = transcripts_list("invalid_", names);

	cr_assert_geq(count, 8);
	for (uint32_t index = 0; index < count; index++) {
		struct window_transcript *t = load(names[index]);
		const char *kind = window_transcript_expected_anomaly(t);
		struct check_result r;

		cr_assert(kind, "%s has no expect_anomaly", names[index]);
		check(t, &r);
		cr_expect_eq(r.verdict, VERDICT_INVALID, "%s", names[index]);
		cr_expect(has_kind(&r, kind), "%s: expected %s, found %s", names[index], kind,
			  kinds(&r));
		check_result_fini(&r);
		window_transcript_free(t);
	}
}

/* No correct operator emits what an invalid transcript shows. */
Test(window_transcript, invalid_transcripts_replay_unequal_on_the_correct_operator)
{
	char names[NAMES_MAX][NAME_BYTES_MAX];
	uint32_t count = transcripts_list("invalid_", names);

	for (uint32_t index = 0; index < count; index++) {
		struct window_transcript *t = load(names[index]);
		struct window_transcript_diff diff;

		replay(t, 0, &diff);
		cr_expect(diff.differs, "%s replays equal", names[index]);
		window_transcript_free(t);
	}
}

Test(window_transcript, the_invalid_transcripts_cover_every_anomaly_kind)
{
	static const char *const all[] = { "wrong-window", "incomplete", "lost-event",
					   "double-count", "duplicate-pane", "premature",
					   "watermark-regress", "wrong-value" };
	char names[NAMES_MAX][NAME_BYTES_MAX];
	uint32_t count = transcripts_list("invalid_", names);

	for (uint32_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		bool found = false;

		for (uint32_t index = 0; index < count && !found; index++) {
			struct window_transcript *t = load(names[index]);

			found = strcmp(window_transcript_expected_anomaly(t), all[k]) == 0;
			window_transcript_free(t);
		}
		cr_expect(found, "no invalid transcript expects %s", all[k]);
	}
}

/* The first line of a malformed transcript says "# refused: line N: TEXT". */
static void refusal_read(const char *name, uint32_t *line, char *text, size_t size)
{
	FILE *f = fopen(path_of(name), "r");
	char first[256] = "";
	int consumed = 0;

	cr_assert(f, "%s", name);
	cr_assert(fgets(first, sizeof(first), f), "%s is empty", name);
	fclose(f);
	first[strcspn(first, "\n")] = '\0';
	cr_assert_eq(sscanf(first, "# refused: line %" SCNu32 ": %n", line, &consumed), 1,
		     "%s: first line \"%s\"", name, first);
	cr_assert_gt(consumed, 0);
	snprintf(text, size, "%s", first + consumed);
}

Test(window_transcript, malformed_transcripts_are_refused_at_their_line)
{
	char names[NAMES_MAX][NAME_BYTES_MAX];
	uint32_t count = transcripts_list("malformed_", names);

	cr_assert_geq(count, 8);
	for (uint32_t index = 0; index < count; index++) {
		struct window_transcript *t = NULL;
		struct errbuf eb = { "" };
		char text[200], where[1200];
		uint32_t line = 0;
		int err;

		refusal_read(names[index], &line, text, sizeof(text));
		err = window_transcript_load(path_of(names[index]), &t, &eb);
		cr_expect_eq(err, -EINVAL, "%s: %d %s", names[index], err, eb.msg);
		cr_expect_null(t);
		snprintf(where, sizeof(where), "%s:%" PRIu32 ": ", path_of(names[index]), line);
		cr_expect(strncmp(eb.msg, where, strlen(where)) == 0, "%s: \"%s\" is not at %s",
			  names[index], eb.msg, where);
		cr_expect(strstr(eb.msg, text), "%s: \"%s\" lacks \"%s\"", names[index], eb.msg,
			  text);
	}
}

Test(window_transcript, a_missing_file_is_an_error_naming_it)
{
	struct window_transcript *t = NULL;
	struct errbuf eb = { "" };

	cr_expect_eq(window_transcript_load(path_of("no_such.yaml"), &t, &eb), -ENOENT);
	cr_expect(strstr(eb.msg, "no_such.yaml"), "%s", eb.msg);
	cr_expect_null(t);
}

/* Every seeded operator bug changes the outputs of some valid transcript. */
Test(window_transcript, seeded_operator_bugs_make_the_replay_disagree)
{
	static const struct {
		const char *name;
		uint32_t bug;
	} cases[] = {
		{ "valid_negative_times.yaml", STREAM_BUG_NEGATIVE_MODULO },
		{ "valid_tumbling.yaml", STREAM_BUG_END_INCLUSIVE },
		{ "valid_min.yaml", STREAM_BUG_END_INCLUSIVE },
		{ "valid_sliding_uneven.yaml", STREAM_BUG_SINGLE_SLIDE },
		{ "valid_side_output.yaml", STREAM_BUG_SINGLE_SLIDE },
		{ "valid_lateness.yaml", STREAM_BUG_LATE_FIRING_DROPPED },
	};

	for (uint32_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
		struct window_transcript *t = load(cases[index].name);
		struct window_transcript_diff diff;

		replay(t, cases[index].bug, &diff);
		cr_expect(diff.differs, "%s with bug %#x replays equal", cases[index].name,
			  cases[index].bug);
		cr_expect(strstr(diff.message, cases[index].name), "%s", diff.message);
		cr_expect_gt(diff.line, 0);
		window_transcript_free(t);
	}
}

/* Some invalid transcripts are exactly what a seeded bug emits: the bugged operator replays
 * them equal, and the checker (above) rejects them. */
Test(window_transcript, transcripts_of_seeded_bugs_replay_equal_on_the_bugged_operator)
{
	static const struct {
		const char *name;
		uint32_t bug;
	} cases[] = {
		{ "invalid_wrong_window_remainder.yaml", STREAM_BUG_NEGATIVE_MODULO },
		{ "invalid_wrong_window_end_inclusive.yaml", STREAM_BUG_END_INCLUSIVE },
		{ "invalid_lost_event_single_slide.yaml", STREAM_BUG_SINGLE_SLIDE },
		{ "invalid_lost_event.yaml", STREAM_BUG_LATE_FIRING_DROPPED },
	};

	for (uint32_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
		struct window_transcript *t = load(cases[index].name);
		struct window_transcript_diff diff;

		replay(t, cases[index].bug, &diff);
		cr_expect_not(diff.differs, "%s", diff.message);
		window_transcript_free(t);
	}
}

/* How the steps become window_check() input: positions in file order, evidence per
 * watermark step, each pane with the watermark before it, end of input. */
Test(window_transcript, steps_become_records_evidence_and_positions)
{
	struct window_transcript *t = load("valid_lateness.yaml");
	struct window_check_input in;

	window_transcript_input(t, &in);
	cr_expect_eq(in.job.spec.size_ms, 10);
	cr_expect_eq(in.job.lateness_ms, 5);
	cr_expect_eq(in.job.aggregate, STREAM_AGGREGATE_COUNT);
	cr_expect_eq(in.job.guarantee, WINDOW_CHECK_EXACTLY_ONCE);
	cr_expect(in.job.end_of_input);
	cr_assert_eq(in.event_count, 6);
	cr_assert_eq(in.pane_count, 4);
	cr_assert_eq(in.late_count, 1);
	cr_assert_eq(in.watermark_count, 8);
	for (uint32_t index = 0; index < in.event_count; index++) {
		cr_expect_eq(in.events[index].outcome, WINDOW_CHECK_SEND_OK);
		cr_expect_eq(in.events[index].source, 0);
		cr_expect_lt(in.events[index].invoke_position, in.events[index].complete_position);
		if (index)
			cr_expect_lt(in.events[index - 1].complete_position,
				     in.events[index].invoke_position);
	}
	cr_expect_eq(in.panes[0].watermark_ms, 9);
	cr_expect_eq(in.panes[1].timing, STREAM_PANE_LATE);
	cr_expect_eq(in.panes[1].pane_index, 1);
	cr_expect_eq(in.panes[2].watermark_ms, 12);
	cr_expect_eq(in.panes[3].watermark_ms, INT64_MAX);
	cr_expect_lt(in.panes[0].position, in.panes[1].position);
	cr_expect_eq(in.watermarks[0].input, 0);
	cr_expect_eq(in.watermarks[1].input, -1);
	cr_expect_eq(in.watermarks[1].watermark_ms, 9);
	cr_expect_eq(in.watermarks[7].watermark_ms, INT64_MAX);
	cr_expect_eq(in.lates[0].event_id, 6);
	window_transcript_free(t);
}
