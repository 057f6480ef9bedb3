/* SPDX-License-Identifier: MIT */
/* pbft_line.c - pbft-node's TCP line protocol: "status" and "byzantine MODE[,MODE...]",
 * one line in, one JSON line out (PROTOCOL.md, Line protocol). */
#include "pbft_net_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "pbft_net.h"

/* The core's counters, or unreplicated: executed is the count of requests executed. */
static void shell_status(const struct pbft_shell *sh, struct pbft_status *st)
{
	const struct pbft_unrep *u = &sh->unrep;

	if (sh->r) {
		pbft_replica_status(sh->r, st);
		return;
	}
	*st = (struct pbft_status){ .executed_seq = u->executed_count,
				    .forged_count = u->forged_count,
				    .malformed_count = u->malformed_count,
				    .refused_count = u->refused_count };
}

static ssize_t reply_status(const struct pbft_shell *sh, char *reply, size_t size)
{
	char names[PBFT_EVLOG_NAMES_BYTES_MAX];
	struct pbft_status st;

	shell_status(sh, &st);
	pbft_evlog_names(sh->byzantine, false, names, sizeof(names));
	return snprintf(reply, size,
			"{\"id\":%" PRIu32 ",\"view\":%" PRIu64 ",\"view_changing\":%s,"
			"\"stable\":%" PRIu64 ",\"executed\":%" PRIu64 ",\"pending\":%" PRIu32
			",\"forged\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"refused\":%" PRIu64
			",\"bad_digest\":%" PRIu64 ",\"overflow\":%" PRIu64
			",\"read_only\":%" PRIu64 ",\"rollbacks\":%" PRIu64 ",\"lagged\":%" PRIu64
			",\"undecided\":%" PRIu64 ",\"bundles\":%" PRIu64
			",\"bad_bundles\":%" PRIu64 ",\"byzantine\":%s}\n",
			sh->config->id, st.view, st.view_changing ? "true" : "false",
			st.stable_seq, st.executed_seq, st.pending_count, st.forged_count,
			st.malformed_count, st.refused_count, st.bad_digest_count,
			st.overflow_count, st.read_only_count, st.rollback_count, st.lag_count,
			st.undecided_count, sh->bundle_count, sh->bad_bundle_count, names);
}

static ssize_t reply_byzantine(struct replica_server *s, struct pbft_shell *sh, const char *list,
			       char *reply, size_t size)
{
	char bad[PBFT_NET_MODE_BYTES_MAX], names[PBFT_EVLOG_NAMES_BYTES_MAX];
	uint32_t flags;
	int err;

	if (pbft_net_modes_parse(list, &flags, bad, sizeof(bad)) < 0)
		return snprintf(reply, size, "{\"error\":\"unknown mode '%s'\"}\n", bad);
	if (!sh->r)
		return snprintf(reply, size, "{\"error\":\"no byzantine modes when "
				"unreplicated\"}\n");
	err = pbft_replica_set_byzantine(sh->r, flags);
	ASSERT(err == 0);
	sh->byzantine = flags;
	pbft_evlog_names(flags, false, names, sizeof(names));
	log_info("byzantine modes now %s", names);
	err = pbft_evlog_byzantine(&sh->evidence, flags, realtime_ns());
	if (err < 0 && replica_server_log_allowed(s))
		log_error("evidence log: %s", strerror(-err));
	return snprintf(reply, size, "{\"ok\":true,\"byzantine\":%s}\n", names);
}

ssize_t pbft_line_request(struct replica_server *s, void *ctx, const char *line, size_t size,
			  char *reply, size_t reply_size)
{
	struct pbft_shell *sh = ctx;
	char text[PBFT_LINE_REQUEST_BYTES_MAX];
	ssize_t n;

	ASSERT(size >= 1 && size <= sizeof(text) && line[size - 1] == '\n');
	size--;
	if (size > 0 && line[size - 1] == '\r')
		size--;
	memcpy(text, line, size);
	text[size] = '\0';
	if (strcmp(text, "status") == 0)
		n = reply_status(sh, reply, reply_size);
	else if (strncmp(text, "byzantine ", 10) == 0)
		n = reply_byzantine(s, sh, text + 10, reply, reply_size);
	else
		n = snprintf(reply, reply_size, "{\"error\":\"unknown command: try 'status' or "
			     "'byzantine MODE[,MODE...]' or 'byzantine none'\"}\n");
	ASSERT(n > 0 && (size_t)n < reply_size);
	return n;
}
