/* SPDX-License-Identifier: MIT */
/* lww.c - the node: stamping writes, serving requests, merging gossip, state files. */
#include "lww.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "lww_store.h"
#include "lww_wire.h"

/* --- the node --- */

int lww_node_init(struct lww_node *n, const struct lww_config *config, struct errbuf *eb)
{
	ASSERT(n);
	ASSERT(config);
	if (config->replicas < 1 || config->replicas > LWW_REPLICAS_MAX ||
	    config->id >= config->replicas)
		return errbuf_set(eb, -EINVAL, "node id %u of %u replicas (max %d)", config->id,
				  config->replicas, LWW_REPLICAS_MAX);
	if (config->max_offset_ns < 0 ||
	    config->max_offset_ns > (int64_t)LWW_MAX_OFFSET_MS_MAX * 1000000)
		return errbuf_set(eb, -EINVAL, "max offset %" PRId64 " ns out of range",
				  config->max_offset_ns);
	if (config->bugs & ~(uint32_t)LWW_BUG_WALLCLOCK)
		return errbuf_set(eb, -EINVAL, "unknown bug flags 0x%x", config->bugs);
	memset(n, 0, sizeof(*n));
	n->config = *config;
	hlc_init(&n->hlc, config->max_offset_ns);
	lww_store_init(&n->store);
	return 0;
}

int lww_bug_parse(const char *name, uint32_t *bug)
{
	if (strcmp(name, "wallclock-lww") != 0)
		return -EINVAL;
	*bug = LWW_BUG_WALLCLOCK;
	return 0;
}

static uint64_t hlc_packed(const struct lww_node *n)
{
	return hlc_pack(&n->hlc.last);
}

static const char *clock_reason(int err)
{
	switch (err) {
	case -ERANGE:
		return "after too far ahead";
	case -EOVERFLOW:
		return "clock overflow";
	default:
		ASSERT(err == -EINVAL);
		return "clock before epoch";
	}
}

/*
 * stamp() - the timestamp of a write at @pt_ns. HLC: past AFTER (hlc_recv) or a local event
 * (hlc_now). wallclock-lww: the raw physical time, AFTER ignored, the HLC only ticks.
 * Return: 0; -ERANGE, -EOVERFLOW or -EINVAL from the clock, which is then unchanged.
 */
static int stamp(struct lww_node *n, uint64_t after, int64_t pt_ns, uint64_t *ts)
{
	struct hlc_ts remote, out;
	int err;

	if (n->config.bugs & LWW_BUG_WALLCLOCK) {
		if (pt_ns <= 0)
			return -EINVAL;
		(void)hlc_now(&n->hlc, pt_ns, &out);    /* reported only: errors do not matter */
		*ts = (uint64_t)pt_ns;
		return 0;
	}
	if (after > 0) {
		err = hlc_unpack(after, &remote);
		ASSERT(err == 0);                       /* the parser bounds AFTER */
		err = hlc_recv(&n->hlc, pt_ns, &remote, &out);
	} else {
		err = hlc_now(&n->hlc, pt_ns, &out);
	}
	if (err < 0)
		return err;
	*ts = hlc_pack(&out);
	ASSERT(*ts > after);
	ASSERT(*ts > 0);
	return 0;
}

static void serve_write(struct lww_node *n, const struct lww_request *req, int64_t pt_ns,
			struct lww_reply *out)
{
	const struct lww_register *held = lww_store_find(&n->store, req->key, req->key_size);
	struct lww_register reg = { .value = req->value, .writer = n->config.id };
	int err;

	if (!held && n->store.count == LWW_KEYS_MAX) {
		out->error = "too many keys";
		return;
	}
	err = stamp(n, req->after, pt_ns, &reg.ts);
	if (err < 0) {
		out->error = clock_reason(err);
		return;
	}
	/* The HLC is past every ts held, so its stamp wins; a wall-clock stamp may lose. */
	if (!(n->config.bugs & LWW_BUG_WALLCLOCK) && held)
		ASSERT(lww_register_compare(&reg, held) > 0);
	err = lww_store_merge_one(&n->store, req->key, req->key_size, &reg);
	ASSERT(err >= 0);
	out->reg = reg;
	out->persist = true;
}

void lww_node_serve(struct lww_node *n, const struct lww_request *req, int64_t pt_ns,
		    struct lww_reply *out)
{
	const struct lww_register *held;
	struct hlc_ts tick;

	ASSERT(lww_key_valid(req->key, req->key_size));
	ASSERT(req->after <= (uint64_t)INT64_MAX);
	memset(out, 0, sizeof(*out));
	out->verb = req->verb;
	out->wall_ns = pt_ns;
	if (req->verb == LWW_VERB_WRITE) {
		serve_write(n, req, pt_ns, out);
	} else {
		ASSERT(req->verb == LWW_VERB_READ);
		/* wallclock-lww ticks on every event; the HLC node only on writes and gossip. */
		if (n->config.bugs & LWW_BUG_WALLCLOCK)
			(void)hlc_now(&n->hlc, pt_ns, &tick);
		held = lww_store_find(&n->store, req->key, req->key_size);
		if (held)
			out->reg = *held;
	}
	out->hlc = hlc_packed(n);
	if (out->error)
		ASSERT(!out->persist);
}

/* --- gossip --- */

ssize_t lww_node_gossip(const struct lww_node *n, void *buf, size_t size)
{
	return lww_wire_encode(&n->store, n->config.id, n->config.replicas, buf, size);
}

/*
 * receive_clock() - move the HLC past @reg before it is merged, unless it is already past.
 * Return: 0; -ERANGE (too far ahead of @pt_ns) or -EOVERFLOW: do not merge @reg.
 */
static int receive_clock(struct lww_node *n, const struct lww_register *reg, int64_t pt_ns)
{
	struct hlc_ts remote, out;
	int err = hlc_unpack(reg->ts, &remote);

	ASSERT(err == 0);               /* decoding bounds ts by INT64_MAX */
	if (hlc_compare(&remote, &n->hlc.last) < 0)
		return 0;
	err = hlc_recv(&n->hlc, pt_ns, &remote, &out);
	if (err == 0)
		ASSERT(hlc_pack(&out) > reg->ts);
	return err;
}

/* merge_entry() - one decoded register. Return: 0 or the error that kept it out. */
static int merge_entry(struct lww_node *n, const struct lww_entry *e, int64_t pt_ns,
		       bool *changed, struct errbuf *eb)
{
	const struct lww_register *held = lww_store_find(&n->store, e->key, e->key_size);
	int err;

	if (held && lww_register_compare(held, &e->reg) >= 0)
		return 0;               /* old news: the clock is already past it */
	if (!(n->config.bugs & LWW_BUG_WALLCLOCK)) {
		err = receive_clock(n, &e->reg, pt_ns);
		if (err < 0)
			return errbuf_set(eb, err, "key '%s': ts %" PRIu64 " refused by the clock",
					  e->key, e->reg.ts);
	}
	err = lww_store_merge_one(&n->store, e->key, e->key_size, &e->reg);
	if (err < 0)
		return errbuf_set(eb, err, "key '%s': no slot (%d keys)", e->key, LWW_KEYS_MAX);
	ASSERT(err == 1);
	*changed = true;
	return 0;
}

int lww_node_receive(struct lww_node *n, const void *bytes, size_t size, int64_t pt_ns,
		     bool *changed, struct errbuf *eb)
{
	struct lww_store in;
	struct hlc_ts tick;
	uint32_t sender;
	int err, first_err = 0;

	*changed = false;
	err = lww_wire_decode(bytes, size, n->config.replicas, &sender, &in, eb);
	if (err < 0)
		return err;
	if (sender == n->config.id)
		return errbuf_set(eb, -EPROTO, "datagram claims to come from this node");
	if (n->config.bugs & LWW_BUG_WALLCLOCK)
		(void)hlc_now(&n->hlc, pt_ns, &tick);
	for (uint32_t i = 0; i < in.count; i++) {
		err = merge_entry(n, &in.entries[i], pt_ns, changed, first_err ? NULL : eb);
		if (err < 0) {
			n->refused_count++;
			first_err = first_err ? first_err : err;
		}
	}
	if (!(n->config.bugs & LWW_BUG_WALLCLOCK))
		ASSERT(lww_store_ts_max(&n->store) <= hlc_packed(n));
	return first_err;
}

/* --- the state file (the shell does the I/O) --- */

ssize_t lww_node_save(const struct lww_node *n, void *buf, size_t size)
{
	return lww_wire_save(&n->store, n->config.id, n->config.replicas, buf, size);
}

int lww_node_load(struct lww_node *n, const void *buf, size_t size, struct errbuf *eb)
{
	struct lww_store in;
	struct hlc_ts last;
	int err;

	ASSERT(n->store.count == 0);
	err = lww_wire_load(buf, size, n->config.id, n->config.replicas, &in, eb);
	if (err < 0)
		return err;
	err = hlc_unpack(lww_store_ts_max(&in), &last);
	ASSERT(err == 0);
	n->store = in;
	/* The next event, hlc_now() or hlc_recv(), is past every stored ts. */
	if (hlc_compare(&last, &n->hlc.last) > 0)
		n->hlc.last = last;
	ASSERT(lww_store_ts_max(&n->store) <= hlc_packed(n));
	return 0;
}
