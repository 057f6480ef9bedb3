/* SPDX-License-Identifier: MIT */
/* lww_check.h - the LWW-register checker, and (private to checker/) its scanned history. */
#ifndef LWW_CHECK_H
#define LWW_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "checker.h"
#include "chk_limits.h"
#include "hist.h"

struct errbuf;

/* The LWW-register checker (rules in checker/CHECKS.md), named "lww"; its model is "lww". */
extern const struct checker_ops lww_checker_ops;
extern const struct checker lww_checker;

/**
 * lww_history_detect() - whether @h looks like an LWW-register history: its first ok client
 * read or write that names a key returns a JSON object with a "ts". Reads only; never fails.
 */
bool lww_history_detect(const struct history *h);

/* ---- private to checker/: the scan shared by lww_check.c, lww_scan.c and lww_causal.c --- */

#define LWW_NONE UINT32_MAX             /* no op record */
#define LWW_NODE_NONE UINT8_MAX         /* no node slot */
enum lww_f { LWW_F_READ, LWW_F_WRITE };

STATIC_ASSERT(CHK_NODES_MAX < LWW_NODE_NONE, "node slots are uint8_t, with a none value");
STATIC_ASSERT((uint64_t)HIST_OPS_MAX < LWW_NONE, "op records are numbered by uint32_t");

/*
 * One client invocation of read or write (an "op record"). Invariants: ts and writer are
 * meaningful only when ts_known, which holds for ok ops and for info writes once some ok
 * read returned their value (the stamp is then the one that read saw); a write's value is
 * its invocation's integer; write is LWW_NONE except on an ok read matched to the write of
 * the value it returned (same key, invoked before the read completed, not failed).
 */
struct lww_op {
	uint64_t invoke_index;
	uint64_t result_index;  /* HIST_NO_PAIR while in flight */
	uint64_t ts;
	int64_t value;          /* write: the value written; ok read: the value returned */
	int64_t writer;         /* -1 on a read of a never-written register */
	uint32_t write;         /* ok read: the record of the write it observed */
	int32_t process;
	uint16_t key;           /* slot in lww_scan.keys */
	uint8_t node;           /* slot in lww_scan.nodes, LWW_NODE_NONE when named nowhere */
	uint8_t f;              /* enum lww_f */
	uint8_t outcome;        /* OP_OK, OP_FAIL or OP_INFO (in flight counts as info) */
	bool value_null;        /* ok read of a never-written register */
	bool ts_known;
	bool final;
};

/* Per key: its final reads. final_nodes has bit n for node slot n with an ok final read. */
struct lww_key {
	const char *name;
	uint64_t final_nodes;
	uint32_t final_first;   /* record of the first ok final read, LWW_NONE if none */
	uint32_t final_count;
	bool diverged;          /* some ok final read disagrees with final_first */
};

/*
 * Invariants: ops[] are the client invocations in index order (op_count of them); the
 * write table maps (key, value) to the record of the write of that value, with table_mask + 1
 * slots, a power of two at least twice the writes; key_count <= CHK_KEYS_MAX;
 * node_count <= CHK_NODES_MAX; nodes_named has a bit per node named by a client op.
 * Memory: about LWW_BYTES_PER_OP bytes per client op, checked up front against the budget.
 */
struct lww_scan {
	const struct history *h;
	uint64_t memory_bytes_max;
	struct lww_op *ops;
	uint32_t op_count, write_count, ok_count, final_count;
	uint32_t *table;
	uint32_t table_mask;
	struct lww_key *keys;           /* CHK_KEYS_MAX slots */
	uint16_t *key_table;            /* 2 * CHK_KEYS_MAX slots: key slot + 1, 0 when empty */
	uint32_t key_count;
	const char *nodes[CHK_NODES_MAX];
	uint32_t node_count;
	uint64_t nodes_named;
};

/* Records, the write table, the edges and the search: a generous bound per client op. */
enum { LWW_BYTES_PER_OP = 192 };

/* lww_op_node() - the node name of record @op, "(no node)" when it named none. */
const char *lww_op_node(const struct lww_scan *s, const struct lww_op *op);

/**
 * lww_scan_init() - classify, parse and validate the client ops of @h, and match every ok
 * read to the write of its value. Malformed input is not an error: it makes @result UNKNOWN,
 * naming the op and what was expected, and returns 1 (check nothing further).
 * Return: 0 scanned; 1 input judged unknown; -ENOMEM over budget or out of memory; -E2BIG
 * past CHK_KEYS_MAX keys or CHK_NODES_MAX nodes (@eb says which). lww_scan_fini() always.
 */
int lww_scan_init(struct lww_scan *s, const struct history *h, const struct check_opts *opts,
		  struct check_result *result, struct errbuf *eb);
void lww_scan_fini(struct lww_scan *s);

/* lww_write_find() - the record of the write of @value to key slot @key, or LWW_NONE. */
uint32_t lww_write_find(const struct lww_scan *s, uint16_t key, int64_t value);

/* lww_stamp_after() - whether (@ts, @writer) is after (@ts_prev, @writer_prev), LWW order. */
static inline bool lww_stamp_after(uint64_t ts, int64_t writer, uint64_t ts_prev,
				   int64_t writer_prev)
{
	return ts > ts_prev || (ts == ts_prev && writer > writer_prev);
}

/**
 * lww_causal_check() - build the per-key causal edges, report causality-violation on each
 * write not stamped after its direct predecessors, and lost-update on each key whose final
 * value has a write causally after it. Needs the finals (lww_check.c) already collected.
 * Return: 0 or -ENOMEM.
 */
int lww_causal_check(const struct lww_scan *s, struct check_result *result, struct errbuf *eb);

#endif /* LWW_CHECK_H */
