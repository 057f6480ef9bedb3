/* SPDX-License-Identifier: MIT */
/* test_schedule.c - the fault schedule is a pure function of the seed, and well formed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byzantine.h"
#include "cluster.h"
#include "compose.h"
#include "errbuf.h"
#include "fault.h"
#include "fl_assert.h"
#include "prng.h"
#include "schedule.h"
#include "system.h"

/* pbft-node's Byzantine modes, "none" included (pbft_system.c). */
enum { PBFT_MODES = 9 };

static struct schedule_opts every_fault(uint64_t seed, double probability)
{
	static const uint32_t faults[] = { NEM_F_PARTITION, NEM_F_LOSS, NEM_F_DUP, NEM_F_DELAY,
					   NEM_F_REORDER, NEM_F_BANDWIDTH, NEM_F_KILL,
					   NEM_F_PAUSE, NEM_F_CLOCK };
	struct schedule_opts o = { .seed = seed, .time_s = 60, .node_count = 5,
				   .shapes = { "halves", "isolate", NULL } };

	for (uint32_t i = 0; i < 9; i++)
		o.faults[o.fault_count++] = (struct schedule_fault){ faults[i], 1.0 + i * 0.5,
								     probability };
	return o;
}

Test(schedule, the_same_seed_gives_the_same_schedule)
{
	struct schedule_opts o = every_fault(42, 0.5);
	struct schedule a, b;

	cr_assert_eq(schedule_build(&a, &o, NULL), 0);
	cr_assert_eq(schedule_build(&b, &o, NULL), 0);
	cr_assert_gt(a.count, 20);
	cr_assert_eq(a.count, b.count);
	for (uint32_t i = 0; i < a.count; i++) {
		cr_assert_eq(a.events[i].at_ns, b.events[i].at_ns);
		cr_assert_str_eq(a.events[i].f, b.events[i].f);
		cr_assert_str_eq(a.events[i].value, b.events[i].value);
		cr_assert_eq(memcmp(&a.events[i].params, &b.events[i].params,
				    sizeof(a.events[i].params)), 0);
		cr_assert_eq(a.events[i].substream, b.events[i].substream);
	}
	schedule_fini(&a);
	schedule_fini(&b);
}

Test(schedule, another_seed_gives_another_schedule)
{
	struct schedule_opts o1 = every_fault(1, 0.5), o2 = every_fault(2, 0.5);
	struct schedule a, b;
	bool differ = false;

	cr_assert_eq(schedule_build(&a, &o1, NULL), 0);
	cr_assert_eq(schedule_build(&b, &o2, NULL), 0);
	for (uint32_t i = 0; i < a.count && i < b.count && !differ; i++)
		differ = a.events[i].at_ns != b.events[i].at_ns ||
			 strcmp(a.events[i].value, b.events[i].value) != 0;
	cr_assert(differ || a.count != b.count);
	schedule_fini(&a);
	schedule_fini(&b);
}

/* Per fault, starts and stops alternate, beginning with a start; times are in range. */
Test(schedule, events_are_sorted_and_alternate_per_fault)
{
	struct schedule_opts o = every_fault(7, 0.6);
	bool active[9] = { false };
	struct schedule s;

	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	for (uint32_t i = 0; i < s.count; i++) {
		const struct schedule_event *ev = &s.events[i];
		uint32_t fault = nem_f_of(ev->f), bit = (uint32_t)__builtin_ctz(fault);
		bool start = strncmp(ev->f, "start-", 6) == 0 || !strcmp(ev->f, "kill") ||
			     !strcmp(ev->f, "pause") || (fault == NEM_F_CLOCK &&
							  strcmp(ev->f, "reset") != 0);

		cr_assert(fault, "unknown f %s", ev->f);
		cr_assert(ev->at_ns >= 1000000000 && ev->at_ns < 60000000000ll);
		if (i > 0)
			cr_assert_leq(s.events[i - 1].at_ns, ev->at_ns);
		cr_assert_eq(start, !active[bit], "%s at %lld out of turn", ev->f,
			     (long long)ev->at_ns);
		active[bit] = !active[bit];
	}
	schedule_fini(&s);
}

Test(schedule, probability_zero_means_no_fault_and_one_means_every_interval)
{
	struct schedule_opts o = { .seed = 3, .time_s = 10.5, .node_count = 3,
				   .faults = { { NEM_F_LOSS, 1, 0 }, { NEM_F_KILL, 2, 1 } },
				   .fault_count = 2 };
	struct schedule s;
	uint32_t kills = 0, starts = 0;

	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	for (uint32_t i = 0; i < s.count; i++) {
		cr_assert_neq(nem_f_of(s.events[i].f), NEM_F_LOSS, "loss with probability 0");
		kills += !strcmp(s.events[i].f, "kill");
		starts += !strcmp(s.events[i].f, "start");
	}
	cr_assert_eq(kills, 3, "kill at 2, 6, 10 s");
	cr_assert_eq(starts, 2, "start at 4, 8 s");
	schedule_fini(&s);
}

/* A clock start names one node and exactly the offsets, rate or strobe the nemesis gets. */
static void check_clock_event(const struct schedule_event *ev, json_t *v)
{
	cr_assert_eq(json_array_size(json_object_get(v, "nodes")), 1, "%s", ev->value);
	cr_assert_eq(__builtin_popcountll(ev->params.nodes), 1);
	if (!strcmp(ev->f, "bump")) {
		int64_t d = ev->params.delay_ns;

		cr_assert_eq(json_integer_value(json_object_get(v, "delta_ns")), d);
		cr_assert(llabs(d) >= 4000000 && llabs(d) <= 4096000000ll, "bump %lld",
			  (long long)d);
	} else if (!strcmp(ev->f, "strobe")) {
		cr_assert_eq(json_integer_value(json_object_get(v, "period_ns")),
			     ev->params.jitter_ns);
		cr_assert_eq(json_integer_value(json_object_get(v, "duration_ns")),
			     ev->params.duration_ns);
		cr_assert_gt(ev->params.duration_ns, 0);
	} else if (!strcmp(ev->f, "drift")) {
		cr_assert_float_eq(json_number_value(json_object_get(v, "rate")), ev->params.rate,
				   1e-9);
		cr_assert(ev->params.rate >= 0.5 && ev->params.rate <= 2.0);
	} else {
		cr_assert_str_eq(ev->f, "reset");
	}
}

Test(schedule, clock_faults_draw_bump_strobe_and_drift_and_reset_the_same_node)
{
	struct schedule_opts o = { .seed = 5, .time_s = 120, .node_count = 5,
				   .faults = { { NEM_F_CLOCK, 1, 1 } }, .fault_count = 1 };
	uint32_t seen[3] = { 0 }, starts = 0, resets = 0;
	uint64_t last_nodes = 0;
	struct schedule s;

	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	for (uint32_t i = 0; i < s.count; i++) {
		const struct schedule_event *ev = &s.events[i];

		cr_assert_eq(nem_f_of(ev->f), NEM_F_CLOCK, "%s routes to the clock nemesis", ev->f);
		if (!strcmp(ev->f, "reset")) {
			cr_assert_eq(ev->params.nodes, last_nodes, "reset the node it skewed");
			resets++;
			continue;
		}
		starts++;
		last_nodes = ev->params.nodes;
		seen[0] += !strcmp(ev->f, "bump");
		seen[1] += !strcmp(ev->f, "strobe");
		seen[2] += !strcmp(ev->f, "drift");
	}
	cr_assert(seen[0] > 0 && seen[1] > 0 && seen[2] > 0, "bump %u strobe %u drift %u",
		  seen[0], seen[1], seen[2]);
	cr_assert(starts == resets || starts == resets + 1);
	schedule_fini(&s);
}

Test(schedule, values_are_json_and_say_what_params_hold)
{
	struct schedule_opts o = every_fault(11, 0.7);
	struct schedule s;

	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	for (uint32_t i = 0; i < s.count; i++) {
		const struct schedule_event *ev = &s.events[i];
		json_t *v = json_loads(ev->value, JSON_DECODE_ANY, NULL);
		uint32_t fault = nem_f_of(ev->f);

		cr_assert(v, "event %u: %s is not JSON", i, ev->value);
		if (!strcmp(ev->f, "kill") || !strcmp(ev->f, "pause")) {
			size_t n = json_array_size(json_object_get(v, "nodes"));

			cr_assert(n >= 1 && n <= 2, "a minority of 5, got %zu", n);
			cr_assert_eq((size_t)__builtin_popcountll(ev->params.nodes), n);
		} else if (!strcmp(ev->f, "start-delay")) {
			cr_assert_eq(json_integer_value(json_object_get(v, "delay_ms")) * 1000000,
				     ev->params.delay_ns);
		} else if (fault == NEM_F_LOSS && !strcmp(ev->f, "start-loss")) {
			double p = json_real_value(json_object_get(v, "p"));

			cr_assert(p >= 0.05 && p <= 0.3 && p - ev->params.probability < 0.001);
		} else if (!strcmp(ev->f, "start-bandwidth")) {
			cr_assert_gt(ev->params.rate_bytes_per_s, 0);
			cr_assert(ev->params.nodes > 0 && ev->params.nodes < 32);
		} else if (!strcmp(ev->f, "start-partition")) {
			cr_assert_str_eq(ev->arg, ev->value);
		} else if (fault == NEM_F_CLOCK) {
			check_clock_event(ev, v);
		}
		json_decref(v);
	}
	schedule_fini(&s);
}

Test(schedule, the_final_generator_brings_processes_back_before_healing_the_network)
{
	struct schedule_event ev[9];
	uint32_t faults = NEM_F_PARTITION | NEM_F_KILL | NEM_F_PAUSE | NEM_F_DELAY | NEM_F_CLOCK;
	uint32_t n = schedule_final(NULL, faults, ev, 9);

	cr_assert_eq(n, 5);
	cr_assert_str_eq(ev[0].f, "resume");
	cr_assert_str_eq(ev[1].f, "start");
	cr_assert_str_eq(ev[2].f, "stop-partition");
	cr_assert_str_eq(ev[3].f, "stop-delay");
	cr_assert_str_eq(ev[4].f, "reset");
	cr_assert_eq(schedule_final(NULL, 0, ev, 8), 0);
}

Test(schedule, rejects_bad_options_with_a_message)
{
	struct schedule_opts o = every_fault(1, 0.5);
	struct errbuf eb = { "" };
	struct schedule s;

	o.faults[1].fault = NEM_F_PARTITION;
	cr_assert_eq(schedule_build(&s, &o, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "twice"), "%s", eb.msg);
	o = every_fault(1, 0.5);
	o.faults[0].interval_s = 0;
	cr_assert_eq(schedule_build(&s, &o, &eb), -EINVAL);
	o = every_fault(1, 0.5);
	o.shapes[0] = NULL;
	cr_assert_eq(schedule_build(&s, &o, &eb), -EINVAL);
	o = every_fault(1, 0.5);
	o.time_s = 1e6;
	o.faults[0].interval_s = 0.05;
	cr_assert_eq(schedule_build(&s, &o, &eb), -E2BIG);
	o = every_fault(1, 1.5);
	cr_assert_eq(schedule_build(&s, &o, &eb), -EINVAL);
}

Test(schedule, every_fault_is_found_by_its_name_and_its_bit)
{
	static const char *const names[] = { "partition", "loss", "dup", "delay", "reorder",
					     "bandwidth", "kill", "pause", "clock", "msgdrop" };
	const struct system_desc *pbft = system_desc_find("pbft");
	const struct fault_kind *k;
	uint32_t bits = 0;

	for (size_t i = 0; i < 10; i++) {
		k = fault_find(NULL, names[i]);
		cr_assert(k, "%s", names[i]);
		cr_assert_eq(fault_of(NULL, k->bit), k);
		cr_assert_eq(bits & k->bit, 0, "%s: one bit per fault", names[i]);
		bits |= k->bit;
	}
	cr_assert_null(fault_find(NULL, "chaos"));
	/* A system's own fault is found only through it. */
	cr_assert_null(fault_find(NULL, "byzantine"));
	k = fault_find(pbft, "byzantine");
	cr_assert(k && k->bit == NEM_F_BYZANTINE && !(bits & k->bit));
	cr_assert_null(fault_find(system_desc_find("crdt"), "byzantine"));
}

Test(schedule, byzantine_faults_turn_at_most_f_replicas_and_name_their_modes)
{
	struct schedule_opts o = { .system = system_desc_find("pbft"), .seed = 9, .time_s = 120,
				   .node_count = 7,
				   .faults = { { NEM_F_BYZANTINE, 1, 1 } }, .fault_count = 1 };
	uint32_t sizes[3] = { 0 }, modes_seen = 0;
	uint64_t last_nodes = 0;
	struct schedule s;

	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	cr_assert_gt(s.count, 100);
	for (uint32_t i = 0; i < s.count; i++) {
		const struct schedule_event *ev = &s.events[i];
		json_t *v = json_loads(ev->value, 0, NULL), *map;
		uint32_t n = (uint32_t)__builtin_popcountll(ev->params.nodes);

		cr_assert(v, "%s", ev->value);
		cr_assert_eq(nem_f_of(ev->f), NEM_F_BYZANTINE);
		if (!strcmp(ev->f, "stop-byzantine")) {
			cr_assert_eq(ev->params.nodes, last_nodes, "the stop names who turned");
			cr_assert_eq(json_array_size(json_object_get(v, "nodes")), n);
			json_decref(v);
			continue;
		}
		cr_assert_str_eq(ev->f, "start-byzantine");
		cr_assert(n >= 1 && n <= 2, "at most f = 2 of 7, got %u", n);
		sizes[n]++;
		map = json_object_get(v, "byzantine");
		cr_assert_eq(json_object_size(map), n, "%s", ev->value);
		for (uint32_t node = 0; node < 7; node++) {
			char name[8];
			uint8_t mode = ev->params.modes[node];

			snprintf(name, sizeof(name), "n%u", node + 1);
			if (!(ev->params.nodes & (1ull << node))) {
				cr_assert_eq(mode, 0);
				continue;
			}
			cr_assert(mode >= 1 && mode < PBFT_MODES);
			cr_assert(json_string_value(json_object_get(map, name)), "%s", ev->value);
			cr_assert_str_neq(json_string_value(json_object_get(map, name)), "none");
			modes_seen |= 1u << mode;
		}
		last_nodes = ev->params.nodes;
		json_decref(v);
	}
	cr_assert(sizes[1] > 0 && sizes[2] > 0);
	cr_assert_eq(modes_seen, (1u << PBFT_MODES) - 2, "every mode is drawn: %#x",
		     modes_seen);
	schedule_fini(&s);
}

Test(schedule, byzantine_replicas_turn_correct_last_in_the_final_heal)
{
	struct schedule_event ev[4];
	uint32_t n = schedule_final(system_desc_find("pbft"),
				    NEM_F_PARTITION | NEM_F_BYZANTINE | NEM_F_KILL, ev, 4);

	cr_assert_eq(n, 3);
	cr_assert_str_eq(ev[0].f, "start");
	cr_assert_str_eq(ev[1].f, "stop-partition");
	cr_assert_str_eq(ev[2].f, "stop-byzantine");
}

Test(schedule, msgdrop_drops_one_type_from_senders_to_receivers)
{
	struct schedule_opts o = { .system = system_desc_find("pbft"), .seed = 3, .time_s = 60,
				   .node_count = 4, .faults = { { NEM_F_MSGDROP, 1, 1 } },
				   .fault_count = 1 };
	uint32_t types_seen = 0, one_hears = 0, random_sets = 0;
	struct schedule s;

	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	for (uint32_t i = 0; i < s.count; i++) {
		const struct schedule_event *ev = &s.events[i];
		json_t *v = json_loads(ev->value, JSON_DECODE_ANY, NULL), *from, *to;
		uint32_t pairs = 0, deaf = 0;

		cr_assert(v, "%s", ev->value);
		cr_assert_eq(nem_f_of(ev->f), NEM_F_MSGDROP);
		if (!strcmp(ev->f, "stop-msgdrop")) {
			json_decref(v);
			continue;
		}
		cr_assert_eq(__builtin_popcount(ev->params.msg_types), 1);
		types_seen |= ev->params.msg_types;
		cr_assert_eq(json_integer_value(json_array_get(json_object_get(v, "types"), 0)),
			     __builtin_ctz(ev->params.msg_types));
		from = json_object_get(v, "from");
		to = json_object_get(v, "to");
		for (uint32_t r = 0; r < 4; r++) {
			cr_assert_eq((ev->params.pairs[r] >> r) & 1, 0, "never to itself");
			pairs += (uint32_t)__builtin_popcountll(ev->params.pairs[r]);
			/* pairs[r]: the senders whose messages receiver r loses */
			deaf += ev->params.pairs[r] == (0xfull & ~(1ull << r));
		}
		cr_assert(pairs >= 1 && json_array_size(from) >= 1 && json_array_size(to) >= 1);
		if (json_array_size(from) == 4 && json_array_size(to) == 3) {
			cr_assert_eq(deaf, 3, "all but one hear nothing: %s", ev->value);
			one_hears++;
		} else {
			random_sets++;
		}
		json_decref(v);
	}
	cr_assert_eq(types_seen, 0x7cu, "types 2..6 are drawn: %#x", types_seen);
	cr_assert_gt(one_hears, 5, "the all-but-one shape is drawn");
	cr_assert_gt(random_sets, 5, "random sets are drawn");
	schedule_fini(&s);
}

Test(schedule, msgdrop_draws_only_the_types_a_system_narrows_it_to)
{
	static const uint8_t commits_only[] = { 4, 0 };
	struct schedule_opts o = { .system = system_desc_find("pbft"), .seed = 5, .time_s = 60,
				   .node_count = 4, .faults = { { NEM_F_MSGDROP, 1, 1 } },
				   .fault_count = 1, .msg_types = commits_only };
	uint32_t starts = 0;
	struct schedule s;

	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	for (uint32_t i = 0; i < s.count; i++) {
		if (strcmp(s.events[i].f, "start-msgdrop") != 0)
			continue;
		cr_expect_eq(s.events[i].params.msg_types, 1u << 4, "%s", s.events[i].value);
		starts++;
	}
	cr_expect_gt(starts, 20);
	schedule_fini(&s);
}

/* fault_draw_set() over the smallest and the largest clusters: never empty, never a node
 * past the cluster, and the last node drawn too (64 nodes: every bit of the set). */
Test(schedule, node_sets_are_drawn_over_every_node_up_to_64)
{
	static const uint32_t sizes[] = { 1, 2, 63, 64 };
	struct prng prng;

	prng_init(&prng, 9);
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		uint32_t n = sizes[k];
		uint64_t seen = 0;

		for (uint32_t i = 0; i < 2000; i++) {
			uint64_t set = fault_draw_set(&prng, n);

			cr_assert_neq(set, 0, "n=%u", n);
			cr_assert_eq(set & ~nem_nodes_all(n), 0, "n=%u: %#llx", n,
				     (unsigned long long)set);
			seen |= set;
		}
		cr_assert_eq(seen, nem_nodes_all(n), "n=%u: every node is drawn", n);
	}
}

/* Every generic fault, and msgdrop, drawn for a 64-node cluster: values are whole JSON
 * naming only nodes of the cluster, minorities stay minorities. */
Test(schedule, a_64_node_schedule_names_only_its_nodes_in_whole_values)
{
	struct schedule_opts o = every_fault(13, 0.7);
	struct schedule s;
	uint32_t msgdrops = 0;

	o.node_count = CLUSTER_NODES_MAX;
	o.system = system_desc_find("pbft");    /* declares message types */
	o.faults[o.fault_count++] = (struct schedule_fault){ NEM_F_MSGDROP, 0.5, 1 };
	cr_assert_eq(schedule_build(&s, &o, NULL), 0);
	for (uint32_t i = 0; i < s.count; i++) {
		const struct schedule_event *ev = &s.events[i];
		json_t *v = json_loads(ev->value, JSON_DECODE_ANY, NULL);

		cr_assert(v, "event %u (%s): %s is not JSON", i, ev->f, ev->value);
		cr_assert_eq(ev->params.nodes & ~nem_nodes_all(o.node_count), 0);
		if (!strcmp(ev->f, "kill") || !strcmp(ev->f, "pause"))
			cr_assert_leq(__builtin_popcountll(ev->params.nodes), 31, "%s", ev->value);
		if (!strcmp(ev->f, "start-bandwidth"))
			cr_assert_neq(ev->params.nodes, 0);
		if (!strcmp(ev->f, "start-msgdrop")) {
			msgdrops++;
			cr_assert_leq(json_array_size(json_object_get(v, "from")), 64);
			for (uint32_t r = 0; r < NEM_NODES_MAX; r++)
				cr_assert_eq((ev->params.pairs[r] >> r) & 1, 0, "never to itself");
		}
		json_decref(v);
	}
	cr_assert_gt(msgdrops, 5);
	schedule_fini(&s);
}
