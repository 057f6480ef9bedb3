/* SPDX-License-Identifier: MIT */
/* client.h - the Client seam: one logical client talking to one node at a time (Jepsen Client). */
#ifndef CLIENT_H
#define CLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "op.h"

struct errbuf;

enum {
	CLIENT_ERROR_BYTES_MAX = 128,
	CLIENT_VALUE_INTS_MAX = 8192,   /* elements a read may return */
	CLIENT_VALUE_JSON_BYTES_MAX = 8192, /* a completion value as JSON text (a chord state
					     * dump with its keys) */
};

/*
 * The outcome of one invocation. @type is OP_OK (it happened), OP_FAIL (it certainly did
 * not happen) or OP_INFO (unknown: timed out or the connection broke after sending).
 * @value borrows @ints or @json until the next invoke on the same client. An ok completion
 * records @value when @value_set (or when f is "read"), else the invocation's value.
 */
struct client_result {
	enum op_type type;
	struct op_value value;
	bool value_set;
	char error[CLIENT_ERROR_BYTES_MAX];     /* "" when none */
	char json[CLIENT_VALUE_JSON_BYTES_MAX];
	int64_t ints[CLIENT_VALUE_INTS_MAX];
};

struct client;

struct client_ops {
	const char *name;
	/* Connect to the node at @addr; must not block longer than the client's timeout. */
	int (*open)(struct client *client, struct in_addr addr, struct errbuf *eb);
	/* Perform @invocation (f, value, key); always fills @result, returns 0; -errno only for
	 * programmer errors such as an f the client does not know. */
	int (*invoke)(struct client *client, const struct op *invocation,
		      struct client_result *result, struct errbuf *eb);
	void (*close)(struct client *client);
	/* True between a successful open and the next close. */
	bool (*connected)(const struct client *client);
};

struct client {
	const struct client_ops *ops;
};

static inline int client_open(struct client *c, struct in_addr addr, struct errbuf *eb)
{
	return c->ops->open(c, addr, eb);
}

static inline int client_invoke(struct client *c, const struct op *invocation,
				struct client_result *result, struct errbuf *eb)
{
	return c->ops->invoke(c, invocation, result, eb);
}

/*
 * client_result_reset() - before an invoke: no value of its own, no error. client_result_fail()
 * - the op ended with @type (OP_FAIL: nothing was sent; OP_INFO: it may have reached the node)
 * because of -errno @err, said in @error ("timeout" for -ETIMEDOUT).
 */
void client_result_reset(struct client_result *result);
void client_result_fail(struct client_result *result, enum op_type type, int err);

struct line_conn;

/**
 * client_line_exchange() - send @request on @conn and receive one reply line before
 * @deadline_ns; on failure fill @result: OP_FAIL when not connected (nothing sent), OP_INFO
 * once anything may have been sent. Return: the reply's length (the line is in the conn's
 * buffer), or -errno with @result filled.
 */
ssize_t client_line_exchange(struct line_conn *conn, const char *request, size_t size,
			     int64_t deadline_ns, struct client_result *result);

static inline bool client_connected(const struct client *c)
{
	return c->ops->connected(c);
}

static inline void client_close(struct client *c)
{
	if (c && c->ops->close)
		c->ops->close(c);
}

#endif /* CLIENT_H */
