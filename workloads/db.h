/* SPDX-License-Identifier: MIT */
/* db.h - the node lifecycle seam: start, kill, pause and resume one node (Jepsen DB/Kill/Pause). */
#ifndef DB_H
#define DB_H

#include <stdint.h>

struct cluster;
struct cluster_start_opts;
struct errbuf;

struct db;

struct db_ops {
	const char *name;
	/* Start node @node's process with @opts (environment, time namespace); its stdout and
	 * stderr go to @log_path (appended). */
	int (*start)(struct db *db, struct cluster *cluster, uint32_t node, const char *log_path,
		     const struct cluster_start_opts *opts, struct errbuf *eb);
	/* Optional (NULL when the system cannot do it); a nemesis needing one refuses in setup. */
	int (*kill)(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb);
	int (*pause)(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb);
	int (*resume)(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb);
};

struct db {
	const struct db_ops *ops;
};

static inline int db_start(struct db *db, struct cluster *cluster, uint32_t node,
			   const char *log_path, const struct cluster_start_opts *opts,
			   struct errbuf *eb)
{
	return db->ops->start(db, cluster, node, log_path, opts, eb);
}

/* Helpers any db can use: kill the node's cgroup, freeze and thaw it (cluster.h). */
int db_process_kill(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb);
int db_process_pause(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb);
int db_process_resume(struct db *db, struct cluster *cluster, uint32_t node, struct errbuf *eb);

#endif /* DB_H */
