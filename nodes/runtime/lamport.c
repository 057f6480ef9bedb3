/* SPDX-License-Identifier: MIT */
/* lamport.c - Lamport's logical clock, saturating instead of wrapping. */
#include "lamport.h"

#include <errno.h>

#include "fl_assert.h"

void lamport_init(struct lamport *l)
{
	ASSERT(l);
	l->time = 0;
}

int64_t lamport_tick(struct lamport *l)
{
	ASSERT(l);
	ASSERT(l->time <= LAMPORT_TIME_MAX);
	if (l->time == LAMPORT_TIME_MAX)
		return -EOVERFLOW;
	l->time++;
	ASSERT(l->time >= 1);
	return (int64_t)l->time;
}

int64_t lamport_recv(struct lamport *l, uint64_t remote)
{
	uint64_t base;

	ASSERT(l);
	ASSERT(l->time <= LAMPORT_TIME_MAX);
	base = l->time > remote ? l->time : remote;
	if (base >= LAMPORT_TIME_MAX) {
		l->time = LAMPORT_TIME_MAX;
		return -EOVERFLOW;
	}
	l->time = base + 1;
	ASSERT(l->time > remote);
	ASSERT(l->time <= LAMPORT_TIME_MAX);
	return (int64_t)l->time;
}
