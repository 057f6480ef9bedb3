/* SPDX-License-Identifier: MIT */
/* linear_core.h - private to checker/: what linear.c, linear_model.c, linear_txn.c,
 * linear_search.c and linear_report.c share (interned values, calls, models, the report). */
#ifndef LINEAR_CORE_H
#define LINEAR_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "linear.h"

struct linear_outcome;         /* linear_search.h */
struct op;
struct op_value;

/*
 * Interned values: each distinct byte string gets a dense id; id 0 is null (no bytes). A
 * value is a text (bytes[offsets[id] .. + sizes[id])) or, made by linear_values_append(),
 * an append node: parents[id]'s content then suffixes[id]'s text (offsets[id] is
 * LINEAR_NO_BYTES). Invariants: distinct ids have distinct contents (null aside), so equal
 * ids mean equal values; hashes[id] is the polynomial hash of the content and powers[id]
 * HASH_BASE^sizes[id] (mod 2^64); table (by content) has table_mask + 1 slots, pairs (by
 * (parent, suffix), id 0 free) pair_mask + 1, each at most half full; memory_bytes counts
 * what is allocated here.
 */
struct linear_pair {
	uint32_t parent, suffix, id;
};

struct linear_values {
	char *bytes;
	uint64_t bytes_used, bytes_size;
	uint64_t *offsets, *hashes, *powers;
	uint32_t *sizes, *parents, *suffixes;
	uint32_t count, capacity;
	uint32_t *table;
	uint32_t table_mask;
	struct linear_pair *pairs;
	uint32_t pair_count, pair_mask;
	uint64_t memory_bytes;
};

enum { LINEAR_VALUE_NULL = 0 };
#define LINEAR_NO_BYTES UINT64_MAX

void linear_values_init(struct linear_values *v);
void linear_values_fini(struct linear_values *v);

/* linear_values_intern() - the id of @size bytes at @text. Return: id (> 0) or -ENOMEM. */
int64_t linear_values_intern(struct linear_values *v, const char *text, size_t size);

/* linear_values_append() - the id of @parent's content then @suffix's (a text id): O(1)
 * once seen. Return: id (> 0) or -ENOMEM. */
int64_t linear_values_append(struct linear_values *v, uint32_t parent, uint32_t suffix);

/* linear_values_text() - the bytes of text @id (not NUL-terminated); *@size their count. */
const char *linear_values_text(const struct linear_values *v, uint32_t id, uint32_t *size);

/* linear_values_prefix() - the first (up to) @cap bytes of any @id into @buf. Return: the
 * content's full size. */
uint32_t linear_values_prefix(const struct linear_values *v, uint32_t id, char *buf,
			      uint32_t cap);

enum linear_kind {
	LINEAR_READ, LINEAR_WRITE, LINEAR_CAS, LINEAR_APPEND,
	LINEAR_ACQUIRE, LINEAR_RELEASE, /* mutex: the state is null (free) or ms->held */
	LINEAR_TXN,                     /* multi-register: arg is the txn's JSON text */
	LINEAR_SET_ADD, LINEAR_SET_READ, LINEAR_ENQUEUE, LINEAR_DEQUEUE, /* linear_collection.c */
	LINEAR_KIND_COUNT
};

/* One client operation that did not fail, as the model sees it. */
struct linear_call {
	uint64_t invoke_index;
	uint64_t result_index;  /* HIST_NO_PAIR for info or in flight (returns "at infinity") */
	uint32_t arg, arg2;     /* write/append: arg; cas: arg -> arg2 (value ids) */
	uint32_t ret;           /* ok read: the value returned */
	uint32_t key;           /* key id (0 for ops without a key) */
	uint8_t kind;           /* enum linear_kind */
	bool info;              /* may or may not take effect, at any time after invoke */
	bool read_any;          /* a null read under null_read_any: constrains nothing */
};

/* The model as the search sees it: values, rules and the initial state. */
struct linear_model_state {
	enum linear_model model;
	struct linear_values values;
	uint32_t initial;       /* value id of every key's initial state */
	uint32_t held;          /* mutex: the value id of a held lock */
};

/**
 * linear_model_init() - values and the initial state for @model; @initial is JSON text, ""
 * for the default (null for the registers, "" for kv, the empty map for multi-register,
 * free for mutex, empty for set and queues). Return: 0; -EINVAL (@initial is no state of
 * the model: mutex, set and queues take only null, multi-register a map); -ENOMEM.
 * linear_model_fini() - free it all; a zeroed state is allowed.
 */
int linear_model_init(struct linear_model_state *ms, enum linear_model model,
		      const char *initial);
void linear_model_fini(struct linear_model_state *ms);

/**
 * linear_model_call() - turn invocation @invoke (with completion @result, NULL if in flight)
 * into @call for @ms's model. Fail completions are the caller's to skip.
 * Return: 0; 1 the op is ignored (an info read); -EINVAL with "op N: expected ..." in @eb
 * (the op does not fit the model); -ENOMEM.
 */
int linear_model_call(struct linear_model_state *ms, const struct linear_opts *opts,
		      const struct op *invoke, const struct op *result,
		      struct linear_call *call, struct errbuf *eb);

/**
 * linear_model_step() - apply @call to @state. Return: 1 legal with *@next set, 0 illegal,
 * -ENOMEM (a kv append could not intern its result).
 */
int linear_model_step(struct linear_model_state *ms, uint32_t state,
		      const struct linear_call *call, uint32_t *next);

/* linear_txn.c: the multi-register's txns. linear_txn_canonical() - JSON text @json of a
 * map of registers (or null) as the id of its canonical form (keys sorted, compact), so
 * equal maps get equal ids. Return: 0, -EINVAL (not a map), -ENOMEM. */
int linear_txn_canonical(struct linear_model_state *ms, const char *json, uint32_t *out);
/* linear_txn_call() - @value (a txn: [[f k v] ...], f read or write) as the id of its
 * compact JSON text. Return: 0, -EINVAL (not a txn), -ENOMEM. */
int linear_txn_call(struct linear_model_state *ms, const struct op_value *value,
		    uint32_t *out);

/* linear_txn_step() - apply txn @txn to the map @state: a read of v legal when v is nil or
 * the register holds v (absent: nil); writes set. Return: 1 legal (*@next), 0, -ENOMEM. */
int linear_txn_step(struct linear_model_state *ms, uint32_t state, uint32_t txn,
		    uint32_t *next);
/* linear_collection.c: set, unordered-queue, fifo-queue. linear_collection_call() - @call
 * (kind, info, indexes set) gets its element or set. Return: 0; 1 dropped (an unanswered
 * read; a crashed unordered dequeue); -EINVAL (no element, or no list to read); -ENOMEM. */
int linear_collection_call(struct linear_model_state *ms, int kind, const struct op *invoke,
			   const struct op *result, struct linear_call *call);
/* linear_collection_step() - as linear_model_step(), for the kinds above. */
int linear_collection_step(struct linear_model_state *ms, uint32_t state,
			   const struct linear_call *call, uint32_t *next);

/**
 * linear_unproduced() - whether some ok call of @calls (one key's, @n) returns a value no
 * call put in (a read of a value never written, a dequeue of an element never enqueued, a
 * set read with an element never added), so no linearization exists; the first such call
 * goes to *@blocked. Models with no such rule (mutex, multi-register, kv with appends)
 * never have one. Return: 1 found, 0 none, -ENOMEM.
 */
int linear_unproduced(struct linear_model_state *ms, const struct linear_call *calls,
		      uint32_t n, uint32_t *blocked);
/* linear_stale() - registers (cas-register, register, kv without appends): whether some ok
 * read returns a value v although an ok write of another value (*@witness) began after
 * every write of v had completed and completed before the read began, with no crashed
 * write of v that could land later: no linearization exists; the read goes to *@blocked.
 * Return: 1 found, 0 none, -ENOMEM. */
int linear_stale(struct linear_model_state *ms, const struct linear_call *calls, uint32_t n,
		 uint32_t *blocked, uint32_t *witness);

/* What the check decided over all keys: keys with calls, how many were invalid or unknown,
 * and the unknown keys' reasons ("; "-separated, cut when the buffer is full). */
struct linear_tally {
	uint32_t keys, invalid, unknown;
	struct check_text reasons;
};

/**
 * linear_report() - the outcome of key @key (@calls, @count of them), counted in @tally: on
 * INVALID a "not-linearizable" anomaly in @result citing the blocked op and the end of the
 * longest linearizable prefix; on UNKNOWN the reason, into @tally. Never fails.
 * linear_report_tally() - once every key is decided: the unknown keys' reasons, and with
 * more than one key the counts, as @result's unknown reason (none when no key is unknown).
 */
void linear_report(const struct history *h, const struct linear_model_state *ms,
		   const struct linear_values *keys, uint32_t key, const struct linear_call *calls,
		   uint32_t count, const struct linear_outcome *out, struct linear_tally *tally,
		   struct check_result *result);
void linear_report_tally(const struct linear_tally *tally, struct check_result *result);

#endif /* LINEAR_CORE_H */
