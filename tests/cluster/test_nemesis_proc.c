/* SPDX-License-Identifier: MIT */
/* test_nemesis_proc.c - the proc nemesis on a real cluster: kill, start, pause, resume. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "errbuf.h"
#include "nemesis.h"
#include "netns_probe.h"
#include "prng.h"
#include "proc.h"
#include "proc_support.h"

enum { ANSWER_MS = 1500, SILENT_MS = 300, NODES = 3 };

static struct cluster *cl;
static struct nemesis *nem;
static char run_id[16];
static uint32_t restarts;

/* The restart callback a campaign would give: start the node the way it was started. */
static int restart_cb(void *ctx, uint32_t node, struct errbuf *eb)
{
	char *argv[] = { FL_UDP_ECHO_PATH, NULL };

	cr_assert_eq(ctx, &restarts);
	restarts++;
	return cluster_node_start(cl, node, argv, NULL, eb);
}

static void nemesis_fini(void)
{
	nem_free(nem);
	nem = NULL;
	if (cl) {
		cluster_teardown(cl, NULL);
		cr_expect_not(cgroup_left(run_id), "no cgroup fl-%s-* left", run_id);
	}
	cl = NULL;
}

static void nemesis_up(const char *tag)
{
	struct cluster_opts opts = { .node_count = NODES, .run_id = run_id };
	const char *why = netns_skip_reason();
	struct errbuf eb = { "" };
	uint32_t i;

	if (why)
		cr_skip_test("%s", why);
	if (!cgroup_v2_root())
		cr_skip_test("no cgroup v2 mount");
	snprintf(run_id, sizeof(run_id), "%s%x", tag, (unsigned)getpid() & 0xfffff);
	cr_assert_eq(cluster_setup(&cl, &opts, &eb), 0, "setup: %s", eb.msg);
	for (i = 0; i < NODES; i++)
		cr_assert_eq(restart_cb(&restarts, i, &eb), 0, "%s", eb.msg);
	restarts = 0;
	cr_assert_eq(nem_proc_new(&nem, restart_cb, &restarts, &eb), 0);
	cr_assert_eq(nem_setup(nem, cl, &eb), 0, "%s", eb.msg);
	for (i = 0; i < NODES; i++)
		cr_assert(echo_answers(cl, i, ANSWER_MS), "n%u echoes", i + 1);
}

/* Invokes @f on @nodes and checks the completion value is exactly @want. */
static void invoke_expect(const char *f, uint64_t nodes, struct prng *prng, const char *want)
{
	struct nem_params params = { .nodes = nodes };
	struct nem_request req = { .f = f, .params = &params };
	struct nem_completion done;
	struct errbuf eb = { "" };

	cr_assert_eq(nem_invoke(nem, &req, prng, &done, &eb), 0, "%s: %s", f, eb.msg);
	cr_assert_str_eq(done.value, want, "%s", f);
}

TestSuite(nemesis_proc, .fini = nemesis_fini);

Test(nemesis_proc, kill_then_start_runs_a_new_process)
{
	struct prng prng;
	pid_t old;

	nemesis_up("nk");
	prng_init(&prng, 1);
	cr_assert_str_eq(nem->ops->name, "proc");
	cr_assert_eq(nem->ops->fs, NEM_F_KILL | NEM_F_PAUSE);
	old = cluster_node_pid(cl, 1);
	invoke_expect("kill", 1u << 1, &prng, "{\"killed\":[\"n2\"]}");
	cr_assert_not(cluster_node_alive(cl, 1));
	cr_assert_not(pid_running(old));
	cr_assert_not(echo_answers(cl, 1, SILENT_MS));
	invoke_expect("kill", 1u << 1, &prng, "{\"killed\":[],\"noop\":[\"n2\"]}");
	invoke_expect("start", 0, &prng, "{\"started\":[\"n2\"]}");
	cr_assert_eq(restarts, 1);
	cr_assert(cluster_node_alive(cl, 1));
	cr_assert_neq(cluster_node_pid(cl, 1), old, "a new pid runs");
	cr_assert(echo_answers(cl, 1, ANSWER_MS), "n2 is back");
	invoke_expect("start", 0, &prng, "{\"started\":[]}");
	invoke_expect("start", 1u << 1, &prng, "{\"started\":[],\"noop\":[\"n2\"]}");
	cr_assert_eq(restarts, 1, "start of a running node restarts nothing");
}

Test(nemesis_proc, pause_then_resume)
{
	struct prng prng;

	nemesis_up("np");
	prng_init(&prng, 2);
	invoke_expect("pause", 1u << 2, &prng, "{\"paused\":[\"n3\"]}");
	cr_assert(cluster_node_frozen(cl, 2));
	cr_assert_not(echo_answers(cl, 2, SILENT_MS), "paused node is silent");
	cr_assert(echo_answers(cl, 0, ANSWER_MS));
	invoke_expect("pause", 1u << 2, &prng, "{\"paused\":[],\"noop\":[\"n3\"]}");
	invoke_expect("resume", 0, &prng, "{\"resumed\":[\"n3\"]}");
	cr_assert_not(cluster_node_frozen(cl, 2));
	cr_assert(echo_answers(cl, 2, ANSWER_MS), "resumed node answers");
	invoke_expect("resume", 0, &prng, "{\"resumed\":[]}");
	invoke_expect("resume", 1u << 2, &prng, "{\"resumed\":[],\"noop\":[\"n3\"]}");
}

Test(nemesis_proc, nodes_zero_picks_one_running_node_and_start_brings_it_back)
{
	struct nem_request req = { .f = "kill" };      /* NULL params: the nemesis picks */
	struct nem_completion done;
	struct errbuf eb = { "" };
	uint32_t i, down = 0, victim = 0;
	struct prng prng;
	char want[64];

	nemesis_up("nr");
	prng_init(&prng, 3);
	cr_assert_eq(nem_invoke(nem, &req, &prng, &done, &eb), 0, "%s", eb.msg);
	for (i = 0; i < NODES; i++) {
		if (!cluster_node_alive(cl, i)) {
			down++;
			victim = i;
		}
	}
	cr_assert_eq(down, 1, "exactly one node killed: %s", done.value);
	snprintf(want, sizeof(want), "{\"killed\":[\"n%u\"]}", victim + 1);
	cr_assert_str_eq(done.value, want);
	req.f = "start";
	cr_assert_eq(nem_invoke(nem, &req, &prng, &done, &eb), 0, "%s", eb.msg);
	snprintf(want, sizeof(want), "{\"started\":[\"n%u\"]}", victim + 1);
	cr_assert_str_eq(done.value, want);
	for (i = 0; i < NODES; i++)
		cr_assert(cluster_node_alive(cl, i));
}

Test(nemesis_proc, kill_of_a_paused_node_then_start_and_resume_heal_everything)
{
	struct prng prng;

	nemesis_up("nb");
	prng_init(&prng, 4);
	invoke_expect("pause", (1u << 0) | (1u << 1), &prng, "{\"paused\":[\"n1\",\"n2\"]}");
	invoke_expect("kill", 1u << 1, &prng, "{\"killed\":[\"n2\"]}");
	cr_assert_not(cluster_node_frozen(cl, 1));
	invoke_expect("start", 0, &prng, "{\"started\":[\"n2\"]}");
	invoke_expect("resume", 0, &prng, "{\"resumed\":[\"n1\"]}");
	cr_assert(echo_answers(cl, 0, ANSWER_MS));
	cr_assert(echo_answers(cl, 1, ANSWER_MS));
}

Test(nemesis_proc, teardown_resumes_paused_nodes)
{
	struct errbuf eb = { "" };
	struct prng prng;

	nemesis_up("nt");
	prng_init(&prng, 5);
	invoke_expect("pause", 1u << 0, &prng, "{\"paused\":[\"n1\"]}");
	cr_assert_eq(nem_teardown(nem, &eb), 0, "%s", eb.msg);
	cr_assert_not(cluster_node_frozen(cl, 0));
	cr_assert(echo_answers(cl, 0, ANSWER_MS), "teardown thawed n1");
	cr_assert_eq(nem_teardown(nem, &eb), 0, "teardown twice is fine");
}

Test(nemesis_proc, rejects_unknown_f_and_nodes_past_the_cluster)
{
	struct nem_params params = { .nodes = 1u << NODES };
	struct nem_request req = { .f = "kill", .params = &params };
	struct nem_completion done;
	struct errbuf eb = { "" };
	struct prng prng;

	nemesis_up("ne");
	prng_init(&prng, 6);
	cr_assert_eq(nem_invoke(nem, &req, &prng, &done, &eb), -EINVAL);
	req.f = "start-partition";
	params.nodes = 1;
	cr_assert_eq(nem_invoke(nem, &req, &prng, &done, &eb), -EINVAL);
	cr_assert(cluster_node_alive(cl, 0), "nothing happened");
}
