/* SPDX-License-Identifier: MIT */
/* mr_worker_net.h - a worker's network (internal to the daemon): its line link to the
 * coordinator, its file server for reduces, and the fetch of a map's file from a holder. */
#ifndef MR_WORKER_NET_H
#define MR_WORKER_NET_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "line_conn.h"
#include "mr_wire.h"

struct errbuf;

/* One connection to the coordinator, reopened on the next call after any failure. */
struct mr_link {
	struct line_conn conn;
	struct in_addr addr;
	char buf[MR_WIRE_LINE_BYTES_MAX];       /* the reply line, NUL-terminated */
};

void mr_link_init(struct mr_link *link, const struct sockaddr_in *to);
void mr_link_close(struct mr_link *link);

/* mr_link_call() - @line out, one reply line back into link->buf, within @timeout_ms.
 * Return: the reply's length; -errno (the link is closed, @eb says why). */
ssize_t mr_link_call(struct mr_link *link, const char *line, size_t size, int64_t timeout_ms,
		     struct errbuf *eb);

/* The files a worker serves: DIR/jJ-mM-rR, read whole for each "get J M R". */
struct mr_file_server {
	int listen_fd;
	char dir[256];
	pthread_t thread;
};

/* mr_file_server_start() - listen on @addr (TCP) and serve @dir from a thread, one request
 * at a time, each within MR_NODE_IO_MS. Return: 0; -errno with @eb set. */
int mr_file_server_start(struct mr_file_server *server, const struct sockaddr_in *addr,
			 const char *dir, struct errbuf *eb);

/* mr_map_file_name() - "jJ-mM-rR" (job J's map M's file for reduce R), into @buf. */
void mr_map_file_name(char *buf, size_t size, uint64_t job, uint32_t map, uint32_t reduce);

/**
 * mr_fetch() - job @job's map @map's file for @reduce from the worker at @from, which must be @size
 * bytes, into a new buffer (*@out, freed by the caller), within MR_NODE_IO_MS.
 * Return: 0; -ENOENT if the holder does not have it; -EBADMSG for a reply that is not the
 *         file of that size; -ETIMEDOUT; -errno of the connection. @eb says which.
 */
int mr_fetch(const struct sockaddr_in *from, uint64_t job, uint32_t map, uint32_t reduce,
	     uint64_t size, char **out, struct errbuf *eb);

#endif /* MR_WORKER_NET_H */
