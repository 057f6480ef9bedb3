/* SPDX-License-Identifier: MIT */
/* fault.h - the one table of fault kinds: names, ops, parameters, help, draws, nemeses. */
#ifndef FAULT_H
#define FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proc.h"

struct cluster;
struct errbuf;
struct nemesis;
struct prng;
struct schedule_event;
struct schedule_opts;
struct system_desc;
struct textbuf;

/* What a fault's nemesis is made from: the cluster's run, and what it asks back of it. */
struct fault_env {
	uint64_t seed;
	uint32_t faults;                /* NEM_F_* bits of every fault the schedule uses */
	struct cluster *cluster;        /* set up, nodes not started yet */
	nem_proc_restart_fn *restart;   /* restarts a killed node as the campaign started it */
	void *restart_ctx;
	const char *delay_backend;      /* out: static text, set when delay or reorder is made */
	const void *system_opts;        /* the system's own options, for its own faults */
	uint32_t node_count;            /* the cluster's */
};

/* Draws a start's parameters and its recorded value (and may name its own f). */
typedef void fault_draw_fn(struct prng *prng, const struct schedule_opts *o,
			   struct schedule_event *ev);

/* Makes the nemesis that serves a fault; faults with the same maker share one nemesis. */
typedef int fault_nemesis_new_fn(struct fault_env *env, struct nemesis **out,
				 struct errbuf *eb);

/*
 * One kind of fault. The schedule draws its starts with @draw and stops it with @stop; the
 * final heal runs every fault's @stop in rising @heal_rank (processes back before the
 * network). A system adds its own kinds through its descriptor (system.h).
 */
struct fault_kind {
	uint32_t bit;                   /* NEM_F_*: one bit, unique over every table */
	const char *name;               /* --nemesis NAME */
	const char *start, *stop;       /* the ops' f (a draw may name its own start f) */
	const char *params;             /* what a start draws, for help */
	const char *help;               /* one line */
	fault_draw_fn *draw;
	bool stop_lists_nodes;          /* the stop's value names the nodes the start took */
	uint32_t heal_rank;
	fault_nemesis_new_fn *nemesis_new;
	bool needs_msg_types;           /* only for systems that declare message types */
};

/* fault_at() - the @i-th fault of @desc: the generic ones it can take (all of them for
 * NULL), then @desc's own; NULL past the end. */
const struct fault_kind *fault_at(const struct system_desc *desc, size_t i);

/* fault_find() - the fault named @name among the generic ones and @desc's (NULL: generic
 * only); NULL if none. */
const struct fault_kind *fault_find(const struct system_desc *desc, const char *name);

/* fault_of() - the fault with bit @bit, generic or @desc's; NULL if none. */
const struct fault_kind *fault_of(const struct system_desc *desc, uint32_t bit);

/* fault_names() - "partition, loss, ..." for @desc (generic first), into @out. */
void fault_names(const struct system_desc *desc, char *out, size_t size);

/* fault_help_print() - one line per fault of @desc (NULL: generic), indented @indent. */
void fault_help_print(FILE *out, const struct system_desc *desc, int indent);

/* fault_nodes_list() - appends "key":["n1",...] for the bits of @set. */
void fault_nodes_list(struct textbuf *t, const char *key, uint64_t set);

/* fault_nodes_value() - writes @prefix, then "nodes":["n1",...]} for the bits of @nodes. */
void fault_nodes_value(char *out, size_t size, const char *prefix, uint64_t nodes);

/* fault_draw_set() - a random nonempty set of @node_count nodes, each in with p = 1/2. */
uint64_t fault_draw_set(struct prng *prng, uint32_t node_count);

#endif /* FAULT_H */
