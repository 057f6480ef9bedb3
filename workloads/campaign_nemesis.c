/* SPDX-License-Identifier: MIT */
/* campaign_nemesis.c - builds the nemesis for the enabled faults, runs the schedule, heals. */
#include "campaign_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byzantine.h"
#include "clock.h"
#include "cluster.h"
#include "compose.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "nemesis.h"
#include "nfqueue.h"
#include "partition.h"
#include "proc.h"
#include "qdisc.h"
#include "system.h"
#include "textbuf.h"

/* One kind of member nemesis and the faults it serves. */
struct member_kind {
	uint32_t faults;
	int (*make)(struct campaign *cp, struct nemesis **out, struct errbuf *eb);
	void (*free)(struct nemesis *nem);
};

static int make_partition(struct campaign *cp, struct nemesis **out, struct errbuf *eb)
{
	(void)cp;
	return nem_partition_new(out, eb);
}

/*
 * Delay and reorder: netem where the kernel has it, else the NFQUEUE delayer. netem and tbf
 * both want the switch ports' root qdisc, so a campaign with bandwidth limits uses NFQUEUE.
 */
static int make_delay(struct campaign *cp, struct nemesis **out, struct errbuf *eb)
{
	struct errbuf probe = { "" };
	int err;

	if (cp->schedule.faults & NEM_F_BANDWIDTH) {
		cp->delay_backend = "nfqueue (bandwidth limits need the ports' root qdisc)";
	} else if ((err = nem_netem_probe(cp->cluster, &probe)) == 0) {
		cp->delay_backend = "netem";
		return nem_qdisc_netem_new(out, eb);
	} else {
		cp->delay_backend = err == -EOPNOTSUPP ? "nfqueue (kernel has no sch_netem)"
						       : "nfqueue (netem probe failed)";
	}
	return nem_nfqueue_new(out, cp->opts->seed, eb);
}

static void free_delay(struct nemesis *nem)
{
	if (nem && strcmp(nem->ops->name, "netem") == 0)
		nem_qdisc_netem_free(nem);
	else
		nem_nfqueue_free(nem);
}

static int make_bandwidth(struct campaign *cp, struct nemesis **out, struct errbuf *eb)
{
	(void)cp;
	return nem_qdisc_bandwidth_new(out, eb);
}

/* The proc nemesis restarts a killed node the way the campaign first started it. */
static int restart_node(void *ctx, uint32_t node, struct errbuf *eb)
{
	return campaign_start_node(ctx, node, eb);
}

static int make_proc(struct campaign *cp, struct nemesis **out, struct errbuf *eb)
{
	return nem_proc_new(out, restart_node, cp, eb);
}

static int make_clock(struct campaign *cp, struct nemesis **out, struct errbuf *eb)
{
	int err = nem_clock_new(out, eb);

	if (err == 0)
		cp->clock = *out;
	return err;
}

static int make_byzantine(struct campaign *cp, struct nemesis **out, struct errbuf *eb)
{
	(void)cp;
	return nem_byzantine_new(out, eb);
}

static const struct member_kind member_kinds[] = {
	{ NEM_F_PARTITION | NEM_F_LOSS | NEM_F_DUP | NEM_F_MSGDROP, make_partition,
	  nem_partition_free },
	{ NEM_F_DELAY | NEM_F_REORDER, make_delay, free_delay },
	{ NEM_F_BANDWIDTH, make_bandwidth, nem_qdisc_bandwidth_free },
	{ NEM_F_KILL | NEM_F_PAUSE, make_proc, nem_proc_free },
	{ NEM_F_CLOCK, make_clock, nem_clock_free },
	{ NEM_F_BYZANTINE, make_byzantine, nem_byzantine_free },
};

/* Records one nemesis op: invoke (with the schedule's value), the fault, the info completion. */
static int nemesis_op(struct campaign *cp, const struct schedule_event *ev, struct errbuf *eb)
{
	struct nem_request req = { .f = ev->f, .arg = ev->arg[0] ? ev->arg : NULL,
				   .params = &ev->params };
	struct op inv = { .type = OP_INVOKE, .process = OP_PROCESS_NEMESIS, .f = ev->f };
	struct nem_completion done;
	struct prng prng;
	struct op info;
	int err;

	inv.value = strcmp(ev->value, "null") == 0
		? (struct op_value){ .kind = OP_VALUE_NULL }
		: (struct op_value){ .kind = OP_VALUE_JSON, .json = ev->value };
	err = campaign_record(cp, &inv, eb);
	if (err < 0)
		return err;
	prng_init(&prng, cp->opts->seed ^ (ev->stream + 1) * 0x94d049bb133111ebull);
	err = nem_invoke(cp->nemesis, &req, &prng, &done, eb);
	info = inv;
	info.type = OP_INFO;
	if (err < 0)
		info.error = eb ? eb->msg : "nemesis failed";
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
	struct schedule_opts so = { .seed = o->seed, .time_s = o->time_s,
				    .node_count = o->node_count, .fault_count = o->fault_count };
	int err;

	memcpy(so.faults, o->faults, sizeof(so.faults));
	memcpy(so.shapes, o->shapes, sizeof(so.shapes));
	err = schedule_build(&cp->schedule, &so, eb);
	if (err < 0 || o->fault_count == 0)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(member_kinds); i++) {
		const struct member_kind *k = &member_kinds[i];

		if (!(cp->schedule.faults & k->faults))
			continue;
		ASSERT(cp->member_count < CAMPAIGN_NEMESIS_MEMBERS_MAX);
		err = k->make(cp, &cp->members[cp->member_count], eb);
		if (err < 0)
			return err;
		cp->member_free[cp->member_count++] = k->free;
	}
	if (cp->delay_backend)
		printf("delay backend: %s\n", cp->delay_backend);
	err = nem_compose_new(&cp->nemesis, cp->members, cp->member_count, eb);
	if (err < 0)
		return err;
	return nem_setup(cp->nemesis, cp->cluster, eb);
}

int campaign_schedule_run(struct campaign *cp, struct errbuf *eb)
{
	int64_t end = cp->start_ns + (int64_t)(cp->opts->time_s * 1e9);

	for (uint32_t i = 0; i < cp->schedule.count && !campaign_stopping(); i++) {
		const struct schedule_event *ev = &cp->schedule.events[i];
		int err;

		campaign_sleep_until(cp->start_ns + ev->at_ns);
		if (campaign_stopping())
			break;
		err = nemesis_op(cp, ev, eb);
		if (err < 0)
			return err;
		campaign_crash_point(ev->f);
	}
	campaign_sleep_until(end);
	return 0;
}

/* The final generator: heal every fault that can occur, whether active or not. */
int campaign_final_heal(struct campaign *cp, struct errbuf *eb)
{
	struct schedule_event heals[SCHEDULE_FAULTS_MAX];
	uint32_t n;

	if (!cp->nemesis)
		return 0;
	n = schedule_final(cp->schedule.faults, heals, SCHEDULE_FAULTS_MAX);
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
	nem_compose_free(cp->nemesis);
	cp->nemesis = NULL;
	cp->clock = NULL;
	while (cp->member_count > 0) {
		cp->member_count--;
		cp->member_free[cp->member_count](cp->members[cp->member_count]);
	}
	schedule_fini(&cp->schedule);
}

int campaign_record_start_modes(struct campaign *cp, struct errbuf *eb)
{
	char modes[CLUSTER_NODES_MAX][SYSTEM_MODE_BYTES_MAX];
	char value[SCHEDULE_VALUE_BYTES_MAX];
	struct op inv = { .type = OP_INVOKE, .process = OP_PROCESS_NEMESIS,
			  .f = "start-byzantine" };
	const char *sep = "";
	struct textbuf t;
	uint32_t count;
	int err;

	if (!cp->opts->byzantine)
		return 0;
	/* The same parse that gave each replica its mode (cmd_run checked the list). */
	err = pbft_system_modes(cp->opts->byzantine, modes, cp->opts->node_count, &count, eb);
	if (err < 0)
		return err;
	textbuf_init(&t, value, sizeof(value));
	textbuf_put(&t, "{\"byzantine\":{");
	for (uint32_t node = 0; node < count; node++) {
		if (strcmp(modes[node], "none") != 0) {
			textbuf_put(&t, "%s\"%s\":\"%s\"", sep,
				    cluster_node_name(cp->cluster, node), modes[node]);
			sep = ",";
		}
	}
	textbuf_put(&t, "}}");
	if (t.full)
		return errbuf_set(eb, -E2BIG, "--byzantine list too long to record");
	inv.value = (struct op_value){ .kind = OP_VALUE_JSON, .json = value };
	err = campaign_record(cp, &inv, eb);
	if (err < 0)
		return err;
	inv.type = OP_INFO;
	return campaign_record(cp, &inv, eb);
}
