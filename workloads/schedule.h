/* SPDX-License-Identifier: MIT */
/* schedule.h - the fault schedule of a campaign: a pure function of the seed and options. */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <stdint.h>

#include "nemesis.h"

struct errbuf;
struct system_desc;

enum {
	SCHEDULE_FAULTS_MAX = 16,       /* kinds of fault in one campaign */
	SCHEDULE_SHAPES_MAX = 8,        /* partition shapes to draw from */
	SCHEDULE_EVENTS_MAX = 100000,   /* events in one schedule */
	SCHEDULE_ARG_BYTES_MAX = 32,    /* partition shape as JSON text */
	SCHEDULE_VALUE_BYTES_MAX = 1024, /* the invoke's value as JSON text */
	SCHEDULE_HEAL_RANKS_MAX = 32,   /* fault_kind.heal_rank is below this */
};

/* One kind of fault, e.g. kill every 5 s with probability 0.5. */
struct schedule_fault {
	uint32_t fault;                 /* one NEM_F_* bit */
	double interval_s;              /* between two decisions about this fault */
	double probability;             /* chance that a decision starts the fault */
};

struct schedule_opts {
	const struct system_desc *system; /* its own faults and message types; NULL: none */
	uint64_t seed;
	double time_s;                  /* events fall in [interval, time_s) */
	uint32_t node_count;
	struct schedule_fault faults[SCHEDULE_FAULTS_MAX];
	uint32_t fault_count;
	const char *shapes[SCHEDULE_SHAPES_MAX]; /* partition shapes; NULL-ended */
	const uint8_t *msg_types;       /* msgdrop draws from these (0-ended); NULL: all the
					 * system declares */
};

/*
 * One step of the schedule. @f starts or stops a fault ("start-delay", "kill", "start", ...).
 * @value is the JSON text recorded as the invoke's value; @params and @arg are what the
 * nemesis reads. @substream seeds the prng handed to the nemesis for this event, so its own
 * random choices (which node a partition isolates) repeat with the seed too.
 */
struct schedule_event {
	int64_t at_ns;
	const char *f;
	char arg[SCHEDULE_ARG_BYTES_MAX];       /* "" when the fault takes no arg */
	char value[SCHEDULE_VALUE_BYTES_MAX];
	struct nem_params params;
	uint64_t substream;
};

/* Invariants: events sorted by at_ns; for each fault, starts and stops alternate. */
struct schedule {
	struct schedule_event *events;
	uint32_t count;
	uint32_t faults;                /* NEM_F_* bits of every fault that can occur */
};

/**
 * schedule_build() - every fault decides at each multiple of its interval: a healthy fault
 * starts with its probability (parameters drawn from the seed), an active one stops. The same
 * options always give the same schedule. Return: 0; -EINVAL for a bad option (named in @eb);
 * -E2BIG past SCHEDULE_EVENTS_MAX; -ENOMEM.
 */
int schedule_build(struct schedule *s, const struct schedule_opts *o, struct errbuf *eb);

/**
 * schedule_final() - the final generator: the ops that heal every fault in @faults (generic
 * or @system's), in rising heal rank (processes back first, then the network). Fills up to
 * @size events (at_ns 0). Return: how many.
 */
uint32_t schedule_final(const struct system_desc *system, uint32_t faults,
			struct schedule_event *out, uint32_t size);

void schedule_fini(struct schedule *s);

#endif /* SCHEDULE_H */
