/* SPDX-License-Identifier: MIT */
/* compose.h - one nemesis made of several, each request routed by its f (Jepsen compose). */
#ifndef COMPOSE_H
#define COMPOSE_H

#include <stdint.h>

#include "nemesis.h"

struct errbuf;

enum { NEM_COMPOSE_MEMBERS_MAX = 8 };

/**
 * nem_f_of() - the fault an op's f belongs to: NEM_F_PARTITION for "start-partition" and
 * "stop-partition", NEM_F_KILL for "kill" and "start", NEM_F_PAUSE for "pause" and "resume",
 * and so on (nemesis/FAULTS.md). Return: one NEM_F_* bit, or 0 for an unknown f.
 */
uint32_t nem_f_of(const char *f);

/**
 * nem_compose_new() - a nemesis that sets up @members in order, tears them down in reverse,
 * and hands each request to the first member whose ops->fs has nem_f_of(f). Takes ownership
 * of nothing: the members must outlive the composition and are freed by the caller.
 * Return: 0; -E2BIG past NEM_COMPOSE_MEMBERS_MAX; -EINVAL if two members claim one fault;
 * -ENOMEM.
 */
int nem_compose_new(struct nemesis **out, struct nemesis *const *members, uint32_t count,
		    struct errbuf *eb);

#endif /* COMPOSE_H */
