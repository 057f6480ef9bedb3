/* SPDX-License-Identifier: MIT */
/* loopback_ports.c - probe ports on 127.0.0.1 by binding them. */
#include "loopback_ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"

/* Can @port be bound on 127.0.0.1 (TCP with SO_REUSEADDR, as the nodes bind it; UDP)? */
static bool port_free(int type, uint32_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
	bool ok;

	if (fd < 0)
		return false;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

int loopback_ports_find(uint32_t count, uint32_t from, uint32_t last, uint32_t *first_out,
			struct errbuf *eb)
{
	uint32_t width = 2 * count;

	for (uint32_t first = from; first + width - 1 <= last; first += width) {
		bool ok = true;

		for (uint32_t k = 0; k < width && ok; k++)
			ok = port_free(k % 2 ? SOCK_DGRAM : SOCK_STREAM, first + k);
		if (ok) {
			*first_out = first;
			return 0;
		}
	}
	return errbuf_set(eb, -EADDRINUSE, "no %" PRIu32 " free ports in %" PRIu32 "..%" PRIu32,
			  width, from, last);
}
