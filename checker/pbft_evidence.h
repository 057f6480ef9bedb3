/* SPDX-License-Identifier: MIT */
/* pbft_evidence.h - the PBFT replicas' evidence logs (nodes/<n>.data/evidence.jsonl), loaded. */
#ifndef PBFT_EVIDENCE_H
#define PBFT_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

struct errbuf;

/* Bounds (STYLE S18): hitting one is -E2BIG with the file and line, never truncation. */
enum {
	PBFT_EV_REPLICAS_MAX = 10,              /* replica ids 0..9 (PROTOCOL.md: n <= 10) */
	PBFT_EV_FILES_MAX = 64,                 /* <run>/nodes/ *.data folders with a log */
	PBFT_EV_INCARNATIONS_MAX = 256,         /* start lines per replica */
	PBFT_EV_SWITCHES_MAX = 256,             /* changes of Byzantine modes per replica */
	PBFT_EV_EVENTS_MAX = 1 << 22,           /* commit/execute/checkpoint/st lines per replica */
	PBFT_EV_LINE_BYTES_MAX = 4096,          /* one line, newline included */
	PBFT_EV_MODES_BYTES_MAX = 96,           /* "equivocate,silent": the joined mode names */
	PBFT_EV_DIGEST_BYTES = 32,              /* 64 lowercase hex digits in the log */
	PBFT_EV_PATH_BYTES_MAX = 512,
	PBFT_EV_WARNING_BYTES_MAX = 256,
};

enum pbft_ev_kind {
	PBFT_EV_COMMIT,
	PBFT_EV_EXECUTE,
	PBFT_EV_CHECKPOINT,
	PBFT_EV_STATE_TRANSFER,
	PBFT_EV_KIND_COUNT,
};

/* The op of an execute line; NONE for a null batch ("f": null). */
enum pbft_ev_f { PBFT_EV_F_NONE, PBFT_EV_F_READ, PBFT_EV_F_WRITE, PBFT_EV_F_CAS };

/*
 * One commit, execute, checkpoint or state-transfer line. commit/execute: view, seq, the
 * BATCH digest, index in the batch, client (-1 for the null batch, whose ts is 0) and ts;
 * execute also f, key (-1 when null) and a/b. checkpoint/state-transfer: seq and the STATE
 * digest only (view 0, client -1).
 */
struct pbft_ev {
	uint64_t view;
	uint64_t seq;
	uint64_t ts;
	uint64_t line;                          /* 1-based line in the replica's file */
	int64_t a, b;                           /* execute values, 0 when a_null / b_null */
	int64_t key;
	int32_t client;
	uint32_t index;
	uint16_t incarnation;                   /* slot in pbft_ev_replica.incarnations */
	uint8_t kind;                           /* enum pbft_ev_kind */
	uint8_t f;                              /* enum pbft_ev_f */
	bool a_null, b_null;
	bool has_voters;                        /* commit: the line has "voters" */
	uint32_t voters;                        /* commit: bit i: replica i's commit held */
	uint8_t digest[PBFT_EV_DIGEST_BYTES];
};

struct pbft_ev_start {
	int64_t time_ns;
	uint64_t line;
	uint32_t number;                        /* "incarnation" as logged (1, 2, ...) */
	bool byzantine;                         /* started with Byzantine modes */
};

/* A change of the replica's Byzantine modes, by a start or a byzantine line. */
struct pbft_ev_switch {
	int64_t time_ns;
	uint64_t line;
	uint32_t incarnation;                   /* the incarnation number it happened in */
	char modes[PBFT_EV_MODES_BYTES_MAX];    /* joined by ","; "" = correct again */
};

/*
 * One replica's log. Invariants: events[] are in file order, each naming an incarnation
 * slot < incarnation_count (every event follows a start line); event_count <=
 * PBFT_EV_EVENTS_MAX; byzantine_ever iff some start or byzantine line had modes (then
 * switch_count > 0); kind_counts sum to event_count; executed_max is the highest execute seq
 * when executed_any.
 */
struct pbft_ev_replica {
	bool seen;
	bool byzantine_ever;
	bool executed_any;
	uint32_t id;
	uint32_t incarnation_count, switch_count;
	uint32_t event_count, event_capacity;
	uint64_t executed_max;
	uint64_t kind_counts[PBFT_EV_KIND_COUNT];
	char path[PBFT_EV_PATH_BYTES_MAX];
	struct pbft_ev *events;
	struct pbft_ev_start incarnations[PBFT_EV_INCARNATIONS_MAX];
	struct pbft_ev_switch switches[PBFT_EV_SWITCHES_MAX];
};

/*
 * The evidence of one run. replicas[id] is the replica with that id (seen or not);
 * replicas_declared and f come from the start lines, which must all agree; file_count counts
 * the logs read (one per replica: two logs naming the same id are an error).
 */
struct pbft_evidence {
	struct pbft_ev_replica replicas[PBFT_EV_REPLICAS_MAX];
	uint32_t replicas_declared, f;
	uint32_t file_count, replica_count;
	char warning[PBFT_EV_WARNING_BYTES_MAX];        /* torn last lines skipped, "" if none */
};

/**
 * pbft_evidence_new() - read every <@run_dir>/nodes/ *.data/evidence.jsonl into a new object.
 * A torn last line (no newline at the end: a replica killed mid-write) is skipped and named
 * in @out->warning. No nodes/ folder, or no logs, gives an object with file_count 0 (not an
 * error). Return: 0; -EBADMSG with "path:line: expected ..." in @eb for a bad line (or a log
 * mixing replica ids, or disagreeing on replicas/f); -E2BIG past a PBFT_EV_* bound (@eb says
 * which); -ENOMEM; -errno from the file system (@eb names the path). Blocks on file I/O.
 * *@out is NULL on failure; free it with pbft_evidence_free().
 */
int pbft_evidence_new(struct pbft_evidence **out, const char *run_dir, struct errbuf *eb);

/* pbft_evidence_free() - NULL is allowed. */
void pbft_evidence_free(struct pbft_evidence *ev);

/* pbft_ev_kind_name() - "commit", "execute", "checkpoint" or "state-transfer". */
const char *pbft_ev_kind_name(enum pbft_ev_kind kind);

/* pbft_ev_digest_prefix() - the first 8 hex digits of @digest into @buf (9 bytes). */
void pbft_ev_digest_prefix(const uint8_t digest[PBFT_EV_DIGEST_BYTES], char buf[9]);

#endif /* PBFT_EVIDENCE_H */
