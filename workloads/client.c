/* SPDX-License-Identifier: MIT */
/* client.c - what every client shares: filling a result, one request line and its reply. */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "line_conn.h"

void client_result_reset(struct client_result *result)
{
	result->value = (struct op_value){ .kind = OP_VALUE_NULL };
	result->value_set = false;
	result->error[0] = '\0';
}

void client_result_fail(struct client_result *result, enum op_type type, int err)
{
	result->type = type;
	snprintf(result->error, sizeof(result->error), "%s",
		 err == -ETIMEDOUT ? "timeout" : strerror(-err));
}

ssize_t client_line_exchange(struct line_conn *conn, const char *request, size_t size,
			     int64_t deadline_ns, struct client_result *result)
{
	ssize_t n;
	int err;

	if (conn->fd < 0) {
		client_result_fail(result, OP_FAIL, -ENOTCONN);
		return -ENOTCONN;
	}
	err = line_conn_send(conn, request, size, deadline_ns);
	if (err < 0) {
		/* A partial send may still reach the node: unknown outcome. */
		client_result_fail(result, OP_INFO, err);
		return err;
	}
	n = line_conn_recv(conn, deadline_ns);
	if (n < 0)
		client_result_fail(result, OP_INFO, (int)n);
	return n;
}
