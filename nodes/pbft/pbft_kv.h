/* SPDX-License-Identifier: MIT */
/* pbft_kv.h - the replicated service: one cas-register per key (Jepsen's model). */
#ifndef PBFT_KV_H
#define PBFT_KV_H

#include <stdint.h>

#include "pbft_wire.h"

/* Every key starts null. */
struct pbft_kv {
	struct pbft_value values[PBFT_KEYS_MAX];
};

/* pbft_kv_init() - every register null, in caller storage. */
void pbft_kv_init(struct pbft_kv *kv);

/**
 * pbft_kv_apply() - execute @op (valid: decoded or built by us) and fill @result's ok and
 * value: read -> ok, the value; write -> ok, the value written; cas -> ok iff the current
 * value equals a (null equals null), then the register becomes b; fail leaves it.
 */
void pbft_kv_apply(struct pbft_kv *kv, const struct pbft_op *op, struct pbft_result *result);

/* pbft_value_equal() - both null, or both the same int64. */
bool pbft_value_equal(const struct pbft_value *a, const struct pbft_value *b);

#endif /* PBFT_KV_H */
