/* SPDX-License-Identifier: MIT */
/* pbft_kv.c - cas-registers: read, write, compare-and-set. */
#include "pbft_kv.h"

#include <string.h>

#include "fl_assert.h"

void pbft_kv_init(struct pbft_kv *kv)
{
	ASSERT(kv);
	memset(kv, 0, sizeof(*kv));
	ASSERT(!kv->values[0].present);
}

bool pbft_value_equal(const struct pbft_value *a, const struct pbft_value *b)
{
	if (a->present != b->present)
		return false;
	return !a->present || a->v == b->v;
}

void pbft_kv_apply(struct pbft_kv *kv, const struct pbft_op *op, struct pbft_result *result)
{
	struct pbft_value *reg;

	ASSERT(op->key < PBFT_KEYS_MAX);
	ASSERT(op->verb >= PBFT_VERB_READ && op->verb < PBFT_VERB_END);
	reg = &kv->values[op->key];
	result->ok = true;
	switch (op->verb) {
	case PBFT_VERB_READ:
		result->value = *reg;
		break;
	case PBFT_VERB_WRITE:
		*reg = op->a;
		result->value = op->a;
		break;
	default:
		result->ok = pbft_value_equal(reg, &op->a);
		if (result->ok)
			*reg = op->b;
		result->value = *reg;
		break;
	}
	ASSERT(reg->present || reg->v == 0);
}
