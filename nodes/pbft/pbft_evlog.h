/* SPDX-License-Identifier: MIT */
/* pbft_evlog.h - pbft-node's evidence log: DIR/evidence.jsonl, one JSON object a line,
 * each step's lines written whole by one write(2) on an O_APPEND descriptor. */
#ifndef PBFT_EVLOG_H
#define PBFT_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct errbuf;
struct pbft_config;
struct pbft_event;

#define PBFT_EVLOG_NAME "evidence.jsonl"

enum {
	PBFT_EVLOG_LINE_BYTES_MAX = 512,     /* one line with its '\n' (the longest ~340) */
	PBFT_EVLOG_NAMES_BYTES_MAX = 160,    /* a JSON list of every mode or bug name */
};

/* An open log, or none (fd -1: every call is a no-op that succeeds). */
struct pbft_evlog {
	int fd;                         /* O_WRONLY | O_APPEND; -1: no log */
	uint32_t replica;
	char *buf;                      /* [size]: one step's lines */
	size_t size;                    /* PBFT_OUT_EVENTS_MAX lines */
	uint64_t line_count;            /* written since open */
	uint64_t write_error_count;     /* steps whose lines were lost (or cut short) */
};

/**
 * pbft_evlog_open() - open (creating it 0600) @dir/evidence.jsonl for appending, or
 * no log at all if @dir is NULL; never truncates: a restarted replica appends.
 * Return: 0; -ENAMETOOLONG, -ENOMEM or -errno from open(2), with @eb naming the file.
 */
int pbft_evlog_open(struct pbft_evlog *e, const char *dir, uint32_t replica,
		       struct errbuf *eb);

/* pbft_evlog_close() - close and free; after a failed open, twice, or never opened
 * (zeroed with fd = -1) is fine. */
void pbft_evlog_close(struct pbft_evlog *e);

/**
 * pbft_evlog_start() - the "start" line: @config's replica count, f, Byzantine modes
 * and bugs, the @incarnation (>= 1) and @time_ns (CLOCK_REALTIME).
 * Return: 0; -errno from write(2) (counted).
 */
int pbft_evlog_start(struct pbft_evlog *e, const struct pbft_config *config,
			uint64_t incarnation, int64_t time_ns);

/* pbft_evlog_byzantine() - the "byzantine" line: modes switched to @flags. As above. */
int pbft_evlog_byzantine(struct pbft_evlog *e, uint32_t flags, int64_t time_ns);

/**
 * pbft_evlog_events() - one line per event of a step (commit, execute, checkpoint,
 * state-transfer), all in one write(2). @count <= PBFT_OUT_EVENTS_MAX; 0 writes nothing.
 * Return: 0; -errno from write(2) (counted).
 */
int pbft_evlog_events(struct pbft_evlog *e, const struct pbft_event *events,
			 uint32_t count);

/**
 * pbft_evlog_names() - a JSON list of the names of @flags into @buf: Byzantine modes
 * (pbft_byzantine_name()) or, with @bugs, bug names. Unnamed flags are left out.
 * PBFT_EVLOG_NAMES_BYTES_MAX always fits. Return: its length, without the NUL.
 */
size_t pbft_evlog_names(uint32_t flags, bool bugs, char *buf, size_t size);

#endif /* PBFT_EVLOG_H */
