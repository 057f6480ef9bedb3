/* SPDX-License-Identifier: MIT */
/* hist_build.h - test support: build a struct history in memory, op by op, with its pairs. */
#ifndef HIST_BUILD_H
#define HIST_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

enum { HB_OPS_MAX = 4096, HB_PROCESSES_MAX = 64 };

/* A value to put in an op; HB_SET and HB_JSON copy nothing until hb_invoke()/hb_complete()
 * do. */
struct hb_val {
	enum op_value_kind kind;
	int64_t integer;
	const int64_t *ints;
	uint32_t count;
	const char *json;
};

#define HB_NULL ((struct hb_val){ .kind = OP_VALUE_NULL })
#define HB_INT(x) ((struct hb_val){ .kind = OP_VALUE_INT, .integer = (x) })
#define HB_SET(...)                                                                    \
	((struct hb_val){ .kind = OP_VALUE_INTS, .ints = (const int64_t[]){ __VA_ARGS__ }, \
			  .count = sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t) })
#define HB_EMPTY ((struct hb_val){ .kind = OP_VALUE_INTS, .count = 0 })
#define HB_JSON(text) ((struct hb_val){ .kind = OP_VALUE_JSON, .json = (text) })

/* Invariants: h.ops[0 .. h.count-1] are built; pair[] is kept up to date; open[p] is the
 * in-flight invocation of process p (slot HB_PROCESSES_MAX - 1 is the nemesis); the next op
 * gets time time_ns_next (1000 ns after the last unless hb_time() says otherwise), and
 * invocations get @key (completions their invocation's). */
struct hist_build {
	struct history h;
	uint64_t open[HB_PROCESSES_MAX];
	int64_t time_ns_next;
	const char *key;
	char **json;                    /* json[i]: op i's JSON text, owned; NULL if none */
	struct op_note *notes;          /* notes[i]: op i's node (no errors here) */
};

void hb_init(struct hist_build *b);
void hb_fini(struct hist_build *b);

/* hb_invoke() - append an invocation; returns its index. */
uint64_t hb_invoke(struct hist_build *b, int32_t process, const char *f, const char *node,
		   struct hb_val v, bool final);

/* hb_complete() - complete @process's open invocation with @type; returns the index. */
uint64_t hb_complete(struct hist_build *b, int32_t process, enum op_type type, struct hb_val v);

/* hb_op() - invoke then complete at once; returns the invocation's index. */
uint64_t hb_op(struct hist_build *b, int32_t process, const char *f, const char *node,
	       struct hb_val invoke, enum op_type type, struct hb_val result, bool final);

/* hb_node() - set op @i's node (borrowed; NULL: none). */
void hb_node(struct hist_build *b, uint64_t i, const char *node);

/* hb_key() - the key of the invocations from now on (borrowed; NULL: none, the default). */
void hb_key(struct hist_build *b, const char *key);

/* hb_time() - the time of the next op, >= the last op's; later ops follow 1000 ns apart. */
void hb_time(struct hist_build *b, int64_t time_ns);

/* hb_nemesis() - a nemesis invoke + info pair with @f; returns the invocation's index. */
uint64_t hb_nemesis(struct hist_build *b, const char *f);

#endif /* HIST_BUILD_H */
