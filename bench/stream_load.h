/* SPDX-License-Identifier: MIT */
/* stream_load.h - bench-stream-nodes' clients: events at a fixed rate over pipelined TCP
 * connections to the sources (`send ID KEY T V`), event time taken from the schedule on the
 * bench's clock, acks tallied per window; then `read` to end the input. */
#ifndef STREAM_LOAD_H
#define STREAM_LOAD_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "prng.h"
#include "stream_job.h"
#include "stream_tail.h"

struct errbuf;

enum {
	SLOAD_CONNS_MAX = 16,                   /* per source */
	SLOAD_IN_FLIGHT_MAX = 256,              /* requests a connection has not had replies to */
	SLOAD_LINE_BYTES_MAX = 80,              /* "send ID KEY T V\n" */
	SLOAD_OUT_BYTES = SLOAD_IN_FLIGHT_MAX * SLOAD_LINE_BYTES_MAX,
	SLOAD_IN_BYTES = 4096,
	SLOAD_FDS_MAX = STREAM_JOB_SOURCES_MAX * SLOAD_CONNS_MAX,
	SLOAD_ERROR_BYTES = 128,
};

struct sload_opts {
	uint32_t sources;
	struct in_addr addrs[STREAM_JOB_SOURCES_MAX];   /* source i's client socket */
	uint16_t ports[STREAM_JOB_SOURCES_MAX];
	uint32_t conns;                 /* per source, 1 .. SLOAD_CONNS_MAX */
	uint32_t in_flight;             /* per connection, 1 .. SLOAD_IN_FLIGHT_MAX */
	double rate;                    /* events/s offered, over all sources */
	int64_t duration_ms;            /* the schedule: events at k / rate, k / rate < this */
	int64_t jitter_ms;              /* event time = schedule - uniform [0, jitter] */
	uint32_t keys;                  /* uniform over 0 .. keys - 1 */
	struct stail_grid grid;         /* the windows acks are tallied in */
};

/* Per window of the grid: events sent, acked ("ok"), refused ("error") or unanswered. */
struct sload_window {
	uint64_t sent, acked, failed;
};

/* A slot of a connection's FIFO of requests in flight: a window slot, or one of these. */
enum { SLOAD_SLOT_OFF_GRID = -1, SLOAD_SLOT_READ = -2 };

struct sload_conn {
	int fd;
	uint32_t source;
	uint32_t out_used, out_sent, in_used;
	uint32_t head, count;           /* the FIFO: slots[head .. head + count) */
	int32_t slots[SLOAD_IN_FLIGHT_MAX];
	char out[SLOAD_OUT_BYTES], in[SLOAD_IN_BYTES];
};

struct sload {
	struct sload_opts o;
	struct prng prng;
	int64_t zero_ns;                /* event time 0 on the bench's clock */
	uint64_t planned, sent, acked, failed, off_grid_acked;
	uint64_t reads_ok;              /* sources whose `read` was answered ok */
	int64_t lag_max_ns;             /* the most an event was sent behind its schedule */
	uint32_t count;                 /* connections */
	struct sload_conn *conns;       /* [count] */
	struct sload_window *windows;   /* [grid.count] */
	char error[SLOAD_ERROR_BYTES];  /* the first refusal or broken connection */
};

/* sload_open() - connect every connection (blocking, bounded by 5 s). Return: 0; -errno. */
int sload_open(struct sload *l, const struct sload_opts *o, const struct prng *prng,
	       struct errbuf *eb);

/* sload_start() - the schedule's time 0 is @zero_ns. */
void sload_start(struct sload *l, int64_t zero_ns);

/* sload_send_due() - queue every event due by @now_ns that a connection has room for. */
void sload_send_due(struct sload *l, int64_t now_ns);

/* sload_next_due_ns() - when the next event is due; INT64_MAX once every one is sent. */
int64_t sload_next_due_ns(const struct sload *l);

/* sload_end_input() - `read` to each source, on its first connection, after what is queued. */
void sload_end_input(struct sload *l);

/* sload_pollfds() - the connections' fds and the events to wait for into @fds. */
uint32_t sload_pollfds(const struct sload *l, struct pollfd *fds);

/* sload_io() - flush and read what @fds say is ready. Return: 0; -ECONNRESET (@eb says
 * which); -errno. */
int sload_io(struct sload *l, const struct pollfd *fds, struct errbuf *eb);

/* sload_in_flight() - requests not yet answered. */
uint64_t sload_in_flight(const struct sload *l);

/* sload_close() - close and free; idempotent. */
void sload_close(struct sload *l);

#endif /* STREAM_LOAD_H */
