/* SPDX-License-Identifier: MIT */
/* campaign_nemesis.c - builds the nemesis for the enabled faults, runs the schedule, heals. */
#include "campaign_nemesis.h"

#include "campaign_internal.h"
#include "campaign_clients.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "compose.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "nemesis.h"
#include "system.h"

enum {
	SNAPSHOT_MARGIN_NS = 500 * 1000000,     /* a snapshot ends this long before the next op */
};

/* The proc nemesis restarts a killed node the way the campaign first started it. */
static int restart_node(void *ctx, uint32_t node, struct errbuf *eb)
{
	return campaign_start_node(ctx, node, eb);
}

/*
 * One member nemesis per distinct maker among the faults the schedule uses (partitions,
 * loss, dup and msgdrop share one eBPF program, kill and pause one process nemesis), in the
 * fault table's order.
 */
static int make_members(struct campaign *cp, struct errbuf *eb)
{
	struct fault_env env = { .seed = cp->opts->seed, .faults = cp->schedule.faults,
				 .cluster = cp->cluster, .restart = restart_node,
				 .restart_ctx = cp, .system_opts = cp->opts->system_opts,
				 .node_count = cp->opts->node_count };
	fault_nemesis_new_fn *made[CAMPAIGN_NEMESIS_MEMBERS_MAX];

	const struct fault_kind *k;

	for (size_t f = 0; (k = fault_at(cp->opts->system, f)); f++) {
		bool seen = false;
		int err;

		for (uint32_t i = 0; i < cp->member_count; i++)
			seen |= made[i] == k->nemesis_new;
		if (!(cp->schedule.faults & k->bit) || seen)
			continue;
		ASSERT(cp->member_count < CAMPAIGN_NEMESIS_MEMBERS_MAX);
		err = k->nemesis_new(&env, &cp->members[cp->member_count], eb);
		if (err < 0)
			return err;
		if (cp->members[cp->member_count]->ops->fs & NEM_F_CLOCK)
			cp->clock = cp->members[cp->member_count];
		made[cp->member_count++] = k->nemesis_new;
	}
	cp->delay_backend = env.delay_backend;
	return 0;
}

/* Records one nemesis op: invoke (with the schedule's value), the fault, the info completion. */
static int nemesis_op(struct campaign *cp, const struct schedule_event *ev, struct errbuf *eb)
{
	struct nem_request req = { .f = ev->f, .arg = ev->arg[0] ? ev->arg : NULL,
				   .params = &ev->params };
	struct op inv = { .type = OP_INVOKE, .process = OP_PROCESS_NEMESIS, .f = ev->f };
	struct nem_completion done;
	struct op_note note = { 0 };
	struct prng prng;
	struct op info;
	int err;

	inv.value = strcmp(ev->value, "null") == 0
		? (struct op_value){ .kind = OP_VALUE_NULL }
		: (struct op_value){ .kind = OP_VALUE_JSON, .json = ev->value };
	err = campaign_record(cp, &inv, eb);
	if (err < 0)
		return err;
	prng_init(&prng, cp->opts->seed ^ (ev->substream + 1) * 0x94d049bb133111ebull);
	err = nem_invoke(cp->nemesis, &req, &prng, &done, eb);
	info = inv;
	info.type = OP_INFO;
	info.note = &note;
	if (err < 0)
		note.error = eb ? eb->msg : "nemesis failed";
	else if (done.value[0])
		info.value = (struct op_value){ .kind = OP_VALUE_JSON, .json = done.value };
	atomic_fetch_add(&cp->nemesis_ops, 1);
	if (err == 0)
		atomic_fetch_xor(&cp->active_faults, nem_f_of(ev->f));
	if (campaign_record(cp, &info, NULL) < 0)
		return -EIO;
	/* A fault that could not be applied is recorded and the campaign goes on. */
	if (err < 0)
		log_warn("nemesis %s failed: %s", ev->f, eb ? eb->msg : "");
	return 0;
}

int campaign_nemesis_setup(struct campaign *cp, struct errbuf *eb)
{
	const struct campaign_opts *o = cp->opts;
	struct schedule_opts so = { .system = o->system, .seed = o->seed, .time_s = o->time_s,
				    .node_count = o->node_count, .fault_count = o->fault_count };
	int err;

	memcpy(so.faults, o->faults, sizeof(so.faults));
	memcpy(so.shapes, o->shapes, sizeof(so.shapes));
	if (o->system->msgdrop_types)
		so.msg_types = o->system->msgdrop_types(o->system_opts);
	err = schedule_build(&cp->schedule, &so, eb);
	if (err < 0 || o->fault_count == 0)
		return err;
	err = make_members(cp, eb);
	if (err < 0)
		return err;
	if (cp->delay_backend)
		printf("delay backend: %s\n", cp->delay_backend);
	err = nem_compose_new(&cp->nemesis, cp->members, cp->member_count, eb);
	if (err < 0)
		return err;
	return nem_setup(cp->nemesis, cp->cluster, eb);
}

/*
 * A snapshot (campaign_snapshot()) in the quiet spell before @next, if the system takes
 * them: no fault in force now, and S from now still leaves SNAPSHOT_MARGIN_NS before @next.
 */
static int quiet_snapshot(struct campaign *cp, int64_t next, struct errbuf *eb)
{
	int64_t at = monotime_ns() + cp->sys->settle_ns;

	if (!cp->sys->quiet_snapshots || atomic_load(&cp->active_faults) != 0 ||
	    at + SNAPSHOT_MARGIN_NS > next)
		return 0;
	campaign_sleep_until(at);
	return campaign_stopping() ? 0 : campaign_snapshot(cp, eb);
}

int campaign_schedule_run(struct campaign *cp, struct errbuf *eb)
{
	int64_t end = cp->start_ns + (int64_t)(cp->opts->time_s * 1e9);
	int err = 0;

	for (uint32_t i = 0; i < cp->schedule.count && !campaign_stopping(); i++) {
		const struct schedule_event *ev = &cp->schedule.events[i];

		err = quiet_snapshot(cp, cp->start_ns + ev->at_ns, eb);
		if (err < 0)
			return err;
		campaign_sleep_until(cp->start_ns + ev->at_ns);
		if (campaign_stopping())
			break;
		err = nemesis_op(cp, ev, eb);
		if (err < 0)
			return err;
		campaign_crash_point(ev->f);
	}
	if (!campaign_stopping())
		err = quiet_snapshot(cp, end, eb);
	campaign_sleep_until(end);
	return err;
}

/* The final generator: heal every fault that can occur, whether active or not. */
int campaign_final_heal(struct campaign *cp, struct errbuf *eb)
{
	struct schedule_event heals[SCHEDULE_FAULTS_MAX];
	uint32_t n;

	if (!cp->nemesis)
		return 0;
	n = schedule_final(cp->opts->system, cp->schedule.faults, heals, SCHEDULE_FAULTS_MAX);
	for (uint32_t i = 0; i < n; i++) {
		int err = nemesis_op(cp, &heals[i], eb);

		if (err < 0)
			return err;
		campaign_crash_point(heals[i].f);
	}
	atomic_store(&cp->active_faults, 0);
	return 0;
}

void campaign_nemesis_teardown(struct campaign *cp)
{
	struct errbuf eb = { "" };

	if (cp->nemesis && nem_teardown(cp->nemesis, &eb) < 0)
		log_warn("nemesis teardown: %s", eb.msg);
	nem_free(cp->nemesis);
	cp->nemesis = NULL;
	cp->clock = NULL;
	while (cp->member_count > 0)
		nem_free(cp->members[--cp->member_count]);
	schedule_fini(&cp->schedule);
}

int campaign_record_start_faults(struct campaign *cp, struct errbuf *eb)
{
	char value[SYSTEM_START_VALUE_BYTES_MAX];
	struct op inv = { .type = OP_INVOKE, .process = OP_PROCESS_NEMESIS };
	int err;

	if (!cp->sys->ops->start_faults)
		return 0;
	err = cp->sys->ops->start_faults(cp->sys, cp->cluster, &inv.f, value, sizeof(value), eb);
	if (err <= 0)
		return err;
	inv.value = (struct op_value){ .kind = OP_VALUE_JSON, .json = value };
	err = campaign_record(cp, &inv, eb);
	if (err < 0)
		return err;
	inv.type = OP_INFO;
	return campaign_record(cp, &inv, eb);
}
