/* SPDX-License-Identifier: MIT */
/* mr_wire.h - the text lines between workers (and the workload's client) and the coordinator,
 * and between a reduce and the worker holding a map's file. One request line, one reply line;
 * every field is decimal but the output digest (hex). */
#ifndef MR_WIRE_H
#define MR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "mr_coord.h"

struct errbuf;

/* A reduce assignment names every map's holder and size: about 25 bytes a map. */
enum { MR_WIRE_LINE_BYTES_MAX = 32 * 1024 };

/* Jobs run one after another, numbered by the client from 1; every task message names its. */
enum mr_wire_kind {
	MR_WIRE_HEARTBEAT,              /* "hb W INC" -> "ok" */
	MR_WIRE_REQUEST,                /* "req W INC" -> an assignment */
	MR_WIRE_MAP_DONE,               /* "mapdone W INC J M A S0,..,S(R-1) C0,C1,C2,C3" -> "ok" */
	MR_WIRE_REDUCE_DONE,            /* "reducedone W INC J R A C0,C1,C2,C3 DIGEST" -> "ok" */
	MR_WIRE_FETCH_FAILED,           /* "fetchfail W INC J R A M H" -> "ok" */
	MR_WIRE_SUBMIT,                 /* "submit J" (the client) -> "ok", or "busy J'" while
					 * job J' runs */
	MR_WIRE_STATUS,                 /* "status J" (the client) -> "running", "done" or
					 * "none" (not the current job) */
	MR_WIRE_LAST,                   /* "last" (the client) -> "J running", "J done" or
					 * "none": the current job */
};

struct mr_wire_msg {
	enum mr_wire_kind kind;
	uint32_t worker;
	uint64_t incarnation;
	uint64_t job;                   /* all but HEARTBEAT and REQUEST */
	uint32_t index, attempt;        /* the task */
	uint32_t map, holder;           /* FETCH_FAILED */
	uint64_t counters[MR_COUNTERS]; /* MAP_DONE, REDUCE_DONE */
	uint64_t digest;                /* REDUCE_DONE: the committed file's trailer digest */
	uint32_t size_count;            /* MAP_DONE: R */
	uint64_t sizes[MR_REDUCES_MAX]; /* MAP_DONE */
};

/* mr_wire_parse() - one request line (without its '\n'). Return: 0; -EINVAL (@eb says what
 * was expected where). */
int mr_wire_parse(const char *line, size_t size, struct mr_wire_msg *msg, struct errbuf *eb);
/* mr_wire_format() - @msg as a line with its '\n'. Return: its size; -EMSGSIZE. */
int mr_wire_format(const struct mr_wire_msg *msg, char *buf, size_t size);

/* What a requesting worker is told: "wait", "exit", "map J M A B" or
 * "reduce J R A B H:S,H:S,..." (per map its holder's worker id and its file's size, or "-"
 * for a map without output yet, which only the early-reduce bug hands out). */
struct mr_wire_assignment {
	struct mr_assignment a;
	uint64_t job;                   /* TASK */
	uint32_t maps;                  /* REDUCE: how many holders follow */
	uint32_t holders[MR_MAPS_MAX];  /* MR_WORKER_NONE: "-" */
	uint64_t sizes[MR_MAPS_MAX];
};

int mr_wire_assignment_parse(const char *line, size_t size, struct mr_wire_assignment *out,
			     struct errbuf *eb);
int mr_wire_assignment_format(const struct mr_wire_assignment *in, char *buf, size_t size);

/* A reduce asks a holder for a map's file: "get J M R" -> "file SIZE\n" then SIZE bytes, or
 * "none\n" (not held by this process). */
int mr_wire_get_parse(const char *line, size_t size, uint64_t *job, uint32_t *map,
		      uint32_t *reduce, struct errbuf *eb);

#endif /* MR_WIRE_H */
