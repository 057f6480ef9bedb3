/* SPDX-License-Identifier: MIT */
/* crdt_db.h - how the harness starts crdt-node replicas in the cluster. */
#ifndef CRDT_DB_H
#define CRDT_DB_H

#include <stdint.h>

#include "db.h"

enum { CRDT_DB_PATH_BYTES_MAX = 512 };

struct crdt_db {
	struct db base;
	char exe[CRDT_DB_PATH_BYTES_MAX];       /* crdt-node binary */
	const char *bug;                        /* --bug NAME or NULL; borrowed */
	uint64_t seed;                          /* node i gets seed + i */
	char data_root[CRDT_DB_PATH_BYTES_MAX]; /* node state in <data_root>/<name>.data */
};

/*
 * crdt_db_init() - @exe and @data_root are copied, @bug borrowed. Every replica runs durable
 * (--data-dir), so a restart after a kill finds what it acknowledged. Return: 0 or
 * -ENAMETOOLONG.
 */
int crdt_db_init(struct crdt_db *db, const char *exe, const char *data_root, const char *bug,
		 uint64_t seed);

#endif /* CRDT_DB_H */
