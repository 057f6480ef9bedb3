/* SPDX-License-Identifier: MIT */
/* crdt_gen.h - random CRDT client ops: adds, removes and reads against random nodes. */
#ifndef CRDT_GEN_H
#define CRDT_GEN_H

#include <stdint.h>

#include "crdt_model.h"
#include "gen.h"

enum {
	CRDT_GEN_DELTA_MAX = 5,            /* G-Counter deltas are 1..5 */
	CRDT_GEN_ORSET_ELEMENTS = 12,      /* OR-Set elements are 0..11: small, so adds and
					    * removes of one element meet often */
};

/*
 * Op mix per model (percent): gcounter add 70 / read 30; gset add 70 / read 30 (each add a
 * fresh element, its op number, so a lost add names one op); orset add 45 / remove 30 /
 * read 25. Every choice comes from the context's prng and op number: no state.
 */
struct crdt_gen {
	struct gen base;
	enum crdt_model model;
};

void crdt_gen_init(struct crdt_gen *g, enum crdt_model model);

#endif /* CRDT_GEN_H */
