/* SPDX-License-Identifier: MIT */
/* gen.c - what the generators share: the names of the key-value workloads' keys. */
#include "gen.h"

#include "fl_assert.h"

static const char *const key_names[GEN_KEYS_MAX] = {
	"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7",
};

const char *gen_key_name(uint32_t i)
{
	ASSERT(i < GEN_KEYS_MAX);
	return key_names[i];
}
