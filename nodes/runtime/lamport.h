/* SPDX-License-Identifier: MIT */
/* lamport.h - Lamport's logical clock (CACM 1978): if a -> b then L(a) < L(b). */
#ifndef LAMPORT_H
#define LAMPORT_H

#include <stdint.h>

/*
 * The largest time a clock ever holds. It is INT64_MAX, not UINT64_MAX, so that a tick can
 * return the new time or a negative errno in one int64_t. Reaching it is -EOVERFLOW; the
 * clock saturates there and never wraps, since a wrapped clock would order effects before
 * their causes.
 */
#define LAMPORT_TIME_MAX ((uint64_t)INT64_MAX)

/* Invariant: time <= LAMPORT_TIME_MAX; time is 0 before the first event. */
struct lamport {
	uint64_t time;          /* the time of this process's last event */
};

/* lamport_init() - a clock that has seen no event; caller-owned storage. */
void lamport_init(struct lamport *l);

/**
 * lamport_tick() - a local event or a send: advance the clock by one.
 * Return: the new time (>= 1), the value to stamp on the event or message;
 *         -EOVERFLOW if the clock is at LAMPORT_TIME_MAX (it stays there).
 */
int64_t lamport_tick(struct lamport *l);

/**
 * lamport_recv() - a receive of a message stamped @remote: time = max(time, @remote) + 1.
 * @remote: from the wire; any value is accepted.
 * Return: the new time, which is > @remote and > the old time; -EOVERFLOW if
 *         max(time, @remote) >= LAMPORT_TIME_MAX, and then the clock saturates at
 *         LAMPORT_TIME_MAX, so every later tick fails too rather than reuse a time.
 */
int64_t lamport_recv(struct lamport *l, uint64_t remote);

#endif /* LAMPORT_H */
