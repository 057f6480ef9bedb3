/* SPDX-License-Identifier: MIT */
/* test_qdisc_build.c - netem and tbf qdisc objects as libnl builds them, without sending. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/pkt_sched.h>
#include <netlink/msg.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "errbuf.h"
#include "qdisc.h"

/* libnl's own validation runs when it builds the request message. */
static int build(struct rtnl_qdisc *q)
{
	struct nl_msg *msg = NULL;
	int err;

	err = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &msg);
	nlmsg_free(msg);
	return err;
}

Test(qdisc_build, netem_holds_with_the_faults_probability)
{
	struct qdisc_netem_config config = {
		.delay_ns = 20000000, .jitter_ns = 5000000, .hold_p = 0.25,
	};
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct errbuf eb = { "" };
	double passes;

	cr_assert_not_null(q);
	cr_assert_eq(qdisc_netem_fill(q, 7, &config, &eb), 0, "%s", eb.msg);
	cr_assert_str_eq(rtnl_tc_get_kind(TC_CAST(q)), "netem");
	cr_assert_eq(rtnl_tc_get_ifindex(TC_CAST(q)), 7);
	cr_assert_eq(rtnl_tc_get_parent(TC_CAST(q)), TC_H_ROOT);
	cr_assert_eq(rtnl_tc_get_handle(TC_CAST(q)), TC_HANDLE(QDISC_HANDLE_NETEM, 0));
	cr_assert_eq(rtnl_netem_get_delay(q), 20000);
	cr_assert_eq(rtnl_netem_get_jitter(q), 5000);
	cr_assert_eq(rtnl_netem_get_gap(q), 1);
	cr_assert_eq(rtnl_netem_get_limit(q), QDISC_NETEM_LIMIT_PACKETS);
	/* netem's reorder is "pass at once": 1 - 0.25 of 2^32-1. */
	passes = (double)(uint32_t)rtnl_netem_get_reorder_probability(q) / 4294967295.0;
	cr_assert(passes > 0.7499 && passes < 0.7501, "%f", passes);
	cr_assert_eq(build(q), 0);
	rtnl_qdisc_put(q);
}

Test(qdisc_build, netem_object_reused_for_plain_delay_carries_no_reorder)
{
	struct qdisc_netem_config reorder = { .delay_ns = 1000000, .hold_p = 1.0 };
	struct qdisc_netem_config delay = { .delay_ns = 50000000, .jitter_ns = 0 };
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	cr_assert_eq(qdisc_netem_fill(q, 3, &reorder, NULL), 0);
	cr_assert_eq(rtnl_netem_get_reorder_probability(q), 0, "hold always: never pass early");
	cr_assert_eq(qdisc_netem_fill(q, 3, &delay, NULL), 0);
	cr_assert_eq(rtnl_netem_get_delay(q), 50000);
	cr_assert_eq(rtnl_netem_get_jitter(q), 0);
	cr_assert_eq(rtnl_netem_get_gap(q), 0);
	cr_assert_eq(rtnl_netem_get_reorder_probability(q), 0);
	cr_assert_eq(build(q), 0);
	rtnl_qdisc_put(q);
}

Test(qdisc_build, netem_rejects_out_of_range_fields)
{
	struct qdisc_netem_config bad[] = {
		{ .delay_ns = 0 },
		{ .delay_ns = QDISC_NETEM_TIME_NS_MAX + 1 },
		{ .delay_ns = 1000000, .jitter_ns = -1 },
		{ .delay_ns = 1000000, .hold_p = 1.5 },
		{ .delay_ns = 1000000, .hold_p = -0.1 },
	};
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct errbuf eb = { "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(qdisc_netem_fill(q, 3, &bad[i], &eb), -EINVAL, "case %zu", i);
		cr_assert(strstr(eb.msg, "netem"), "%s", eb.msg);
	}
	rtnl_qdisc_put(q);
}

/* Why qdisc_netem_fill() always sets a delay with reorder: libnl refuses it otherwise. */
Test(qdisc_build, libnl_refuses_reorder_without_delay)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	rtnl_tc_set_ifindex(TC_CAST(q), 3);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	cr_assert_eq(rtnl_tc_set_kind(TC_CAST(q), "netem"), 0);
	rtnl_netem_set_reorder_probability(q, (int)(0.25 * 4294967295.0));
	cr_assert_lt(build(q), 0);
	rtnl_qdisc_put(q);
}

Test(qdisc_build, tbf_bucket_and_queue_follow_the_rate)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct errbuf eb = { "" };

	cr_assert_eq(qdisc_tbf_fill(q, 4, 100000, &eb), 0, "%s", eb.msg);
	cr_assert_str_eq(rtnl_tc_get_kind(TC_CAST(q)), "tbf");
	cr_assert_eq(rtnl_tc_get_handle(TC_CAST(q)), TC_HANDLE(QDISC_HANDLE_TBF, 0));
	cr_assert_eq(rtnl_qdisc_tbf_get_rate(q), 100000);
	cr_assert_eq(rtnl_qdisc_tbf_get_rate_bucket(q), QDISC_TBF_BURST_BYTES_MIN);
	cr_assert_eq(rtnl_qdisc_tbf_get_limit(q),
		     QDISC_TBF_BURST_BYTES_MIN + QDISC_TBF_QUEUE_BYTES_MIN);
	cr_assert_eq(build(q), 0);
	cr_assert_eq(qdisc_tbf_fill(q, 4, 100000000, &eb), 0, "%s", eb.msg);
	cr_assert_eq(rtnl_qdisc_tbf_get_rate_bucket(q), 2000000);
	cr_assert_eq(rtnl_qdisc_tbf_get_limit(q), 2000000 + 20000000);
	cr_assert_eq(build(q), 0);
	cr_assert_eq(qdisc_tbf_fill(q, 4, QDISC_TBF_RATE_BYTES_PER_S_MIN - 1, &eb), -EINVAL);
	cr_assert_eq(qdisc_tbf_fill(q, 4, QDISC_TBF_RATE_BYTES_PER_S_MAX + 1, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "rate_bytes_per_s"), "%s", eb.msg);
	rtnl_qdisc_put(q);
}
