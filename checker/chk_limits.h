/* SPDX-License-Identifier: MIT */
/* chk_limits.h - every bound the checkers observe, in one place (STYLE S18, S19, S36).
 * Not named limits.h: with checker/ on the include path it would shadow <limits.h>. */
#ifndef CHECKER_LIMITS_H
#define CHECKER_LIMITS_H

#include <stdint.h>

#include "fl_assert.h"

#ifdef FL_TEST_LIMITS
enum {
	CHK_NODES_MAX = 8,                        /* distinct node names in one history */
	CHK_ELEMENTS_MAX = 1 << 12,               /* distinct set elements tracked */
	CHK_SUBSET_SUM_TARGET_MAX = 1 << 10,      /* bits of the subset-sum bitset */
	CHK_SUBSET_SUM_INFO_MAX = 8,              /* info adds in a subset-sum search */
	CHK_KEYS_MAX = 8,                         /* distinct keys in an lww history */
	CHK_SKEW_BUCKETS_MAX = 4,                 /* 1 s skew buckets kept per node */
	CHK_SKEW_EVENTS_MAX = 4,                  /* nemesis clock ops kept in the timeline */
	CHK_LIN_KEYS_MAX = 16,                    /* keys (independent objects) in one check */
	CHK_WINDOW_EVENTS_MAX = 1 << 10,          /* events sent, in one window check */
	CHK_WINDOW_PANES_MAX = 1 << 12,           /* result records from the sink */
	CHK_WINDOW_LATES_MAX = 1 << 10,           /* side-output records */
	CHK_WINDOW_WATERMARKS_MAX = 1 << 12,      /* watermark observations */
	CHK_WINDOW_MEMBERSHIPS_MAX = 1 << 14,     /* (event, window) pairs, variants included */
	CHK_WINDOW_SUBSET_SUM_TARGET_MAX = 1 << 10, /* bits of a window's subset-sum bitset */
};
#define CHK_LIN_STEPS_MAX (1ull << 24)           /* linearizability search steps per key */
#else
enum {
	CHK_NODES_MAX = 64,
	CHK_ELEMENTS_MAX = 1 << 22,
	CHK_SUBSET_SUM_TARGET_MAX = 1 << 26,      /* 8 MiB of bitset */
	CHK_SUBSET_SUM_INFO_MAX = 1 << 16,
	CHK_KEYS_MAX = 1 << 10,
	CHK_SKEW_BUCKETS_MAX = 1 << 16,           /* 18 hours of 1 s buckets */
	CHK_SKEW_EVENTS_MAX = 1 << 12,
	CHK_LIN_KEYS_MAX = 1 << 20,
	CHK_WINDOW_EVENTS_MAX = 1 << 20,
	CHK_WINDOW_PANES_MAX = 1 << 22,
	CHK_WINDOW_LATES_MAX = 1 << 20,
	CHK_WINDOW_WATERMARKS_MAX = 1 << 22,
	CHK_WINDOW_MEMBERSHIPS_MAX = 1 << 23,     /* 24 bytes each: 192 MiB */
	CHK_WINDOW_SUBSET_SUM_TARGET_MAX = 1 << 16, /* 8 KiB per window judged */
};
#define CHK_LIN_STEPS_MAX (1ull << 28)
#endif

/* Default checker memory budget (check_opts.memory_bytes_max == 0), STYLE S20. */
#define CHK_MEMORY_BYTES_DEFAULT (4ull << 30)

/* Subset-sum work bound: info adds x bitset words, so the check stays under seconds. */
#define CHK_SUBSET_SUM_WORK_MAX (1ull << 32)

enum { CHK_SUMMARY_ANOMALIES_MAX = 20 };  /* anomalies listed by `faultline check` */
enum { CHK_SUMMARY_CLOCK_OPS_MAX = 8 };   /* nemesis clock ops listed by `faultline check` */
/* The window checker (stream_window_check.h): an event's value is 0 .. CHK_WINDOW_VALUE_MAX, so a
 * window's sum of up to CHK_WINDOW_EVENTS_MAX values stays below 2^61; inputs an operator's
 * evidence names; event ids named in one anomaly message; stalled windows listed. Reading a
 * run (stream_window_run.h): operators a job declares, and the bytes of one line of a node's
 * output.jsonl or evidence.jsonl, newline included. */
#define CHK_WINDOW_VALUE_MAX (INT64_C(1) << 40)
enum { CHK_WINDOW_OPERATOR_INPUTS_MAX = 64, CHK_WINDOW_MESSAGE_EVENTS_MAX = 6,
       CHK_WINDOW_STALLED_LISTED_MAX = 8 };
enum { CHK_WINDOW_OPERATORS_MAX = 64, CHK_WINDOW_LINE_BYTES_MAX = 1024 };
/* Window transcripts (stream_window_transcript.h): steps in one file, records of each kind (events,
 * panes, side-output records), the file's bytes, and the (key, pane) and (key, window)
 * entries the operator a transcript is replayed through may hold. */
enum { CHK_TRANSCRIPT_STEPS_MAX = 4096, CHK_TRANSCRIPT_RECORDS_MAX = 4096,
       CHK_TRANSCRIPT_FILE_BYTES_MAX = 1 << 20, CHK_TRANSCRIPT_REPLAY_ENTRIES_MAX = 1 << 14 };
/* Linearizability explanations (linear_report.c): invalid keys explained in the figures,
 * ops concurrent with the blocked one listed there, and frontier states named in the
 * anomaly message (the figures name all that linear_search.h keeps). */
enum { CHK_LIN_EXPLAIN_KEYS_MAX = 8, CHK_LIN_CONCURRENT_MAX = 16, CHK_LIN_MESSAGE_STATES_MAX = 4 };

STATIC_ASSERT(CHK_NODES_MAX >= 2, "convergence compares at least two nodes");
STATIC_ASSERT(CHK_SUBSET_SUM_TARGET_MAX % 64 == 0, "bitset is whole 64-bit words");
STATIC_ASSERT(CHK_LIN_KEYS_MAX < (1 << 30), "linear key ids are interned uint32_t ids");
STATIC_ASSERT((int)CHK_LIN_EXPLAIN_KEYS_MAX <= (int)CHK_SUMMARY_ANOMALIES_MAX,
	      "a key explained in the figures is listed among the anomalies");
STATIC_ASSERT(CHK_WINDOW_EVENTS_MAX <= (1 << 20), "window sums stay below 2^61 (values 2^40)");
STATIC_ASSERT(CHK_WINDOW_MEMBERSHIPS_MAX >= CHK_WINDOW_EVENTS_MAX,
	      "every event may have one window");
STATIC_ASSERT(CHK_WINDOW_SUBSET_SUM_TARGET_MAX % 64 == 0, "bitset is whole 64-bit words");
STATIC_ASSERT(CHK_TRANSCRIPT_STEPS_MAX <= (1 << 20), "two watermarks per step fit in uint32_t");
STATIC_ASSERT(CHK_TRANSCRIPT_RECORDS_MAX <= (1 << 20), "transcript counts fit in uint32_t");
STATIC_ASSERT(CHK_ELEMENTS_MAX <= (1 << 30), "element slots are uint32_t with room to double");

#endif /* CHECKER_LIMITS_H */
