/* SPDX-License-Identifier: MIT */
/* partition_lossy.c - random loss, duplication and typed drops per directed pair (the `lossy`
 * map). */
#include "partition_internal.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "partition.skel.h"

STATIC_ASSERT(FL_PARTITION_LOSSY_MAX >= CLUSTER_NODES_MAX * CLUSTER_NODES_MAX,
	      "the lossy map holds every directed pair");
STATIC_ASSERT((int)NEM_NODES_MAX >= (int)CLUSTER_NODES_MAX, "params rows cover every node");

/* Which part of a lossy entry a request changes. */
enum lossy_field { LOSSY_DROP, LOSSY_DUP, LOSSY_TYPES };

/* Defaults for a request without params (nemesis.h: "NULL for the nemesis's defaults");
 * msgdrop has none: it needs its types. */
static const double default_p[] = { [LOSSY_DROP] = 0.2, [LOSSY_DUP] = 0.1 };
static const char *const fault_name[] = { [LOSSY_DROP] = "loss", [LOSSY_DUP] = "dup",
					  [LOSSY_TYPES] = "msgdrop" };

bool partition_lossy_handles(const char *f)
{
	return !strcmp(f, "start-loss") || !strcmp(f, "stop-loss") ||
	       !strcmp(f, "start-dup") || !strcmp(f, "stop-dup") ||
	       !strcmp(f, "start-msgdrop") || !strcmp(f, "stop-msgdrop");
}

static enum lossy_field field_of(const char *f)
{
	return strstr(f, "-loss") ? LOSSY_DROP : strstr(f, "-dup") ? LOSSY_DUP : LOSSY_TYPES;
}

/* 0 < p <= 1 scaled to 1 .. 2^32-1: a tiny p still means "sometimes". */
static uint32_t p_scaled(double p)
{
	double scaled = p * (double)FL_PARTITION_P_ALWAYS;

	ASSERT(p > 0.0 && p <= 1.0);
	if (scaled >= (double)FL_PARTITION_P_ALWAYS)
		return FL_PARTITION_P_ALWAYS;
	return scaled < 1.0 ? 1 : (uint32_t)scaled;
}

/* Makes the map entry (sender -> receiver) equal @want, deleting it when both are 0. */
static int pair_put(struct nem_partition *p, uint32_t receiver, uint32_t sender,
		    struct fl_partition_lossy want, struct errbuf *eb)
{
	struct fl_partition_lossy *have = &p->lossy[receiver][sender];
	struct fl_partition_key key = partition_pair_key(p, receiver, sender);
	int map_fd = bpf_map__fd(p->skel->maps.lossy);
	int err;

	ASSERT(receiver != sender);
	if (!memcmp(have, &want, sizeof(want)))
		return 0;
	if (!want.drop_p && !want.dup_p && !want.drop_types) {
		err = bpf_map_delete_elem(map_fd, &key);
		if (err == -ENOENT)
			err = 0;
	} else {
		err = bpf_map_update_elem(map_fd, &key, &want, BPF_ANY);
	}
	if (err)
		return errbuf_set(eb, err, "set lossy %s -> %s to {%u, %u, %#x}", p->names[sender],
				  p->names[receiver], want.drop_p, want.dup_p, want.drop_types);
	*have = want;
	return 0;
}

/* Sets @field to @scaled on the pairs in @from (row: receiver, bit: sender), 0 elsewhere. */
static int field_set(struct nem_partition *p, enum lossy_field field, uint32_t scaled,
		     const uint64_t *from, struct errbuf *eb)
{
	uint32_t n = p->current.node_count, i, j, value;
	struct fl_partition_lossy want;
	int err;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			if (i == j)
				continue;
			value = (from[i] >> j) & 1 ? scaled : 0;
			want = p->lossy[i][j];
			if (field == LOSSY_DROP)
				want.drop_p = value;
			else if (field == LOSSY_DUP)
				want.dup_p = value;
			else
				want.drop_types = value;
			err = pair_put(p, i, j, want, eb);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Copies the requested pairs into @from. All-zero rows mean every ordered pair of distinct
 * nodes; otherwise a bit for a node beyond the cluster or for a node to itself is -EINVAL.
 * *@all says whether the result is every pair.
 */
static int pairs_expand(const struct nem_partition *p, const uint64_t *rows, uint64_t *from,
			bool *all, struct errbuf *eb)
{
	uint32_t n = p->current.node_count, i;
	uint64_t mask = nem_nodes_all(n), any = 0;

	ASSERT(n >= 1 && n <= CLUSTER_NODES_MAX);
	for (i = 0; i < NEM_NODES_MAX; i++)
		any |= rows[i];
	*all = true;
	for (i = 0; i < n; i++) {
		from[i] = any ? rows[i] : mask & ~(1ull << i);
		if (from[i] & ~mask || (from[i] >> i) & 1)
			return errbuf_set(eb, -EINVAL, "pairs row %s: bad sender bits %#llx",
					  p->names[i], (unsigned long long)from[i]);
		*all = *all && from[i] == (mask & ~(1ull << i));
	}
	for (; i < NEM_NODES_MAX; i++) {
		if (rows[i])
			return errbuf_set(eb, -EINVAL, "pairs row %u: beyond the %u nodes", i, n);
	}
	return 0;
}

/* {"p":0.2,"pairs":"all"} or {"p":0.2,"pairs":[["n1","n2"],..]} (from, to); msgdrop:
 * {"types":[4],"pairs":...}. */
static int describe(const struct nem_partition *p, enum lossy_field field, double prob,
		    uint32_t types, const uint64_t *from, bool all,
		    struct nem_completion *completion, struct errbuf *eb)
{
	size_t size = sizeof(completion->value), len;
	char *buf = completion->value;
	uint32_t n = p->current.node_count, i, j;
	int w;

	if (field == LOSSY_TYPES) {
		len = (size_t)snprintf(buf, size, "{\"types\":[");
		for (uint32_t t = 0; t < FL_PARTITION_TYPES; t++) {
			if ((types >> t) & 1)
				len += (size_t)snprintf(buf + len, size - len, "%s%u",
							buf[len - 1] == '[' ? "" : ",", t);
		}
		w = snprintf(buf + len, size - len, "],\"pairs\":%s", all ? "\"all\"}" : "[");
	} else {
		len = 0;
		w = snprintf(buf, size, "{\"p\":%.6g,\"pairs\":%s", prob,
			     all ? "\"all\"}" : "[");
	}
	ASSERT(w > 0 && len + (size_t)w < size);
	len += (size_t)w;
	for (j = 0; !all && j < n; j++) {
		for (i = 0; i < n; i++) {
			if (!((from[i] >> j) & 1))
				continue;
			w = snprintf(buf + len, size - len, "%s[\"%s\",\"%s\"]",
				     buf[len - 1] == '[' ? "" : ",", p->names[j], p->names[i]);
			if (w < 0 || (size_t)w >= size - len)
				return errbuf_set(eb, -EMSGSIZE, "pair list exceeds %zu bytes",
						  size);
			len += (size_t)w;
		}
	}
	if (!all && len + 3 > size)
		return errbuf_set(eb, -EMSGSIZE, "pair list exceeds %zu bytes", size);
	if (!all)
		memcpy(buf + len, "]}", 3);
	return 0;
}

static int lossy_start(struct nem_partition *p, enum lossy_field field,
		       const struct nem_params *params, struct nem_completion *completion,
		       struct errbuf *eb)
{
	static const uint64_t every_pair[NEM_NODES_MAX];
	uint64_t from[CLUSTER_NODES_MAX];
	double prob = field == LOSSY_TYPES ? 1.0 : params ? params->probability
							  : default_p[field];
	uint32_t types = params ? params->msg_types : 0;
	bool all;
	int err;

	if (!(prob > 0.0 && prob <= 1.0))
		return errbuf_set(eb, -EINVAL, "start-%s: probability %g not in (0, 1]",
				  fault_name[field], prob);
	if (field == LOSSY_TYPES && !types)
		return errbuf_set(eb, -EINVAL, "start-msgdrop: no message types");
	err = pairs_expand(p, params ? params->pairs : every_pair, from, &all, eb);
	if (err)
		return errbuf_prefix(eb, err, "start-%s: ", fault_name[field]);
	/* Described first: fail before changing anything. */
	err = describe(p, field, prob, types, from, all, completion, eb);
	if (err)
		return errbuf_prefix(eb, err, "start-%s: ", fault_name[field]);
	return field_set(p, field, field == LOSSY_TYPES ? types : p_scaled(prob), from, eb);
}

int partition_lossy_invoke(struct nem_partition *p, const struct nem_request *request,
			   struct nem_completion *completion, struct errbuf *eb)
{
	static const uint64_t none[CLUSTER_NODES_MAX];
	enum lossy_field field;
	int w, err;

	ASSERT(p->skel);
	ASSERT(partition_lossy_handles(request->f));
	field = field_of(request->f);
	if (!strncmp(request->f, "start-", 6))
		return lossy_start(p, field, request->params, completion, eb);
	err = field_set(p, field, 0, none, eb);
	if (err)
		return err;
	w = snprintf(completion->value, sizeof(completion->value), "{\"healed\":\"%s\"}",
		     fault_name[field]);
	ASSERT(w > 0 && (size_t)w < sizeof(completion->value));
	return 0;
}

int partition_lossy_heal(struct nem_partition *p, struct errbuf *eb)
{
	static const struct fl_partition_lossy zero, zero_row[CLUSTER_NODES_MAX];
	uint32_t n = p->current.node_count, i, j;
	int err;

	ASSERT(p->skel);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			if (i == j)
				continue;
			err = pair_put(p, i, j, zero, eb);
			if (err)
				return err;
		}
	}
	for (i = 0; i < n; i++)
		ASSERT(!memcmp(p->lossy[i], zero_row, sizeof(zero_row)));
	return 0;
}
