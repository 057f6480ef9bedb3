/* SPDX-License-Identifier: MIT */
/* test_faults.c - campaigns under every fault stay valid; schedules repeat; capture works. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign_run.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for namespaces and eBPF");
}

TestSuite(faults, .init = require_root, .timeout = 600);

enum { SEQ_BYTES_MAX = 1 << 20 };

/*
 * Appends "f value node" of every invocation (client ops in @clients, nemesis ops in
 * @nemesis) of @store's latest history, one per line; final reads are left out.
 */
static void invocations(const char *store, char *clients, char *nemesis)
{
	char path[300], line[1 << 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/latest/history.jsonl", store);
	f = fopen(path, "r");
	cr_assert(f, "no history in %s", store);
	clients[0] = nemesis[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		json_t *op = json_loads(line, 0, NULL);
		char *value;
		char *target;

		cr_assert(op, "bad line in %s", path);
		if (strcmp(json_string_value(json_object_get(op, "type")), "invoke") != 0 ||
		    json_is_true(json_object_get(op, "final"))) {
			json_decref(op);
			continue;
		}
		target = json_is_string(json_object_get(op, "process")) ? nemesis : clients;
		value = json_dumps(json_object_get(op, "value"), JSON_ENCODE_ANY | JSON_COMPACT);
		snprintf(target + strlen(target), SEQ_BYTES_MAX - strlen(target), "%s %s %s\n",
			 json_string_value(json_object_get(op, "f")), value,
			 json_string_value(json_object_get(op, "node")) ?: "-");
		free(value);
		json_decref(op);
	}
	fclose(f);
}

Test(faults, the_same_seed_records_the_same_schedule_and_op_sequence)
{
	static char clients[2][SEQ_BYTES_MAX], nemesis[2][SEQ_BYTES_MAX];
	struct campaign_outcome out[2];

	for (int i = 0; i < 2; i++) {
		campaign_outcome_run_nemesis(&out[i], "orset", "31", NULL, "4",
					     "partition:0.7,loss:0.5:0.5,dup:0.9:0.5");
		cr_assert_eq(out[i].exit_code, 0, "run %d: exit %d (%s)", i, out[i].exit_code,
			     out[i].log_path);
		invocations(out[i].store, clients[i], nemesis[i]);
	}
	cr_assert_gt(strlen(nemesis[0]), 0, "the schedule made no fault");
	cr_assert_gt(strlen(clients[0]), 1000);
	cr_assert_str_eq(nemesis[0], nemesis[1], "nemesis ops differ between runs");
	cr_assert_str_eq(clients[0], clients[1], "client op sequences differ between runs");
	for (int i = 0; i < 2; i++)
		campaign_outcome_fini(&out[i], true);
}

static bool tcpdump_available(void)
{
	return access("/usr/bin/tcpdump", X_OK) == 0 || access("/usr/sbin/tcpdump", X_OK) == 0;
}

Test(faults, the_capture_opens_with_tcpdump_and_holds_every_pair)
{
	struct campaign_outcome out;
	char cmd[400], line[512];
	bool seen[5][5] = { { false } };
	FILE *p;

	if (!tcpdump_available())
		cr_skip_test("tcpdump is not installed (.ci/deps installs it)");
	campaign_outcome_run_nemesis(&out, "gset", "41", NULL, "3", "partition:1");
	cr_assert_eq(out.exit_code, 0, "exit %d (%s)", out.exit_code, out.log_path);
	snprintf(cmd, sizeof(cmd), "tcpdump -nn -r %s/latest/capture.pcapng 2>/dev/null; "
		 "echo exit=$?", out.store);
	p = popen(cmd, "r");
	cr_assert(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned a, b;
		char *ip = strstr(line, " IP 10.77.0.");

		if (ip && sscanf(ip, " IP 10.77.0.%u.%*u > 10.77.0.%u.", &a, &b) == 2 &&
		    a >= 1 && a <= 5 && b >= 1 && b <= 5)
			seen[a - 1][b - 1] = true;
		if (strncmp(line, "exit=", 5) == 0)
			cr_assert_str_eq(line, "exit=0\n", "tcpdump -r failed");
	}
	pclose(p);
	for (int a = 0; a < 5; a++) {
		for (int b = 0; b < 5; b++)
			cr_expect(a == b || seen[a][b], "no packet n%d -> n%d in the capture",
				  a + 1, b + 1);
	}
	campaign_outcome_fini(&out, true);
}

/* Each fault alone, every model in turn: a correct node stays valid. */
Test(faults, every_fault_alone_keeps_correct_nodes_valid)
{
	static const char *const faults[] = { "partition:0.8", "loss:0.8", "dup:0.8",
					      "delay:0.8", "reorder:0.8", "bandwidth:0.8",
					      "kill:0.8", "pause:0.8" };
	static const char *const models[] = { "gcounter", "gset", "orset" };

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct campaign_outcome out;
		const char *model = models[i % 3];

		campaign_outcome_run_nemesis(&out, model, "51", NULL, "4", faults[i]);
		cr_expect_eq(out.exit_code, 0,
			     "%s under %s: exit %d, verdict %s, anomalies %s (%s)", model,
			     faults[i], out.exit_code, out.verdict, out.kinds, out.log_path);
		campaign_outcome_fini(&out, out.exit_code == 0);
	}
}

/* All faults at once, each model: still valid. */
Test(faults, all_faults_together_keep_correct_nodes_valid)
{
	static const char *const models[] = { "gcounter", "gset", "orset" };
	static const char *const all = "partition:1.1,loss:0.9:0.5,dup:1.3:0.5,delay:0.7:0.5,"
				       "reorder:1.5:0.5,bandwidth:1.7:0.5,kill:1.2:0.6,"
				       "pause:1.9:0.6";

	for (size_t m = 0; m < 3; m++) {
		struct campaign_outcome out;

		campaign_outcome_run_nemesis(&out, models[m], "61", NULL, "6", all);
		cr_expect_eq(out.exit_code, 0, "%s under every fault: exit %d, verdict %s, "
			     "anomalies %s (%s)", models[m], out.exit_code, out.verdict, out.kinds,
			     out.log_path);
		campaign_outcome_fini(&out, out.exit_code == 0);
	}
}

/*
 * A replica that restarts empty under its old id loses the increments it acknowledges before
 * gossip brings back its old count; partitions stretch that window, so every seed shows it.
 */
Test(faults, restart_empty_is_flagged_as_lost_add)
{
	static const char *const seeds[] = { "71", "72", "73" };

	for (size_t s = 0; s < 3; s++) {
		struct campaign_outcome out;

		campaign_outcome_run_nemesis(&out, "gcounter", seeds[s], "restart-empty", "8",
					     "kill:0.3,partition:0.6");
		cr_expect_eq(out.exit_code, 1, "seed %s: exit %d, verdict %s (%s)", seeds[s],
			     out.exit_code, out.verdict, out.log_path);
		cr_expect(campaign_outcome_has_kind(&out, "lost-add"),
			  "seed %s: no lost-add among: %s (%s)", seeds[s], out.kinds, out.log_path);
		campaign_outcome_fini(&out, out.exit_code == 1 &&
					   campaign_outcome_has_kind(&out, "lost-add"));
	}
}

/*
 * Every pair of faults together at least once: six campaigns of four faults each form a
 * covering of the 28 pairs (checked below), rotating the model. With the singles and the
 * all-eight campaigns above, every fault meets every other under load.
 */
Test(faults, every_pair_of_faults_together_keeps_correct_nodes_valid)
{
	static const char *const blocks[] = {
		"partition:0.9,loss:1.1:0.6,dup:1.3:0.6,delay:0.7:0.6",
		"partition:0.9,loss:1.1:0.6,reorder:0.7:0.6,bandwidth:1.3:0.6",
		"partition:0.9,loss:1.1:0.6,kill:0.7:0.6,pause:1.3:0.6",
		"dup:0.9,delay:1.1:0.6,reorder:1.3:0.6,bandwidth:0.7:0.6",
		"dup:0.9,delay:1.1:0.6,kill:0.7:0.6,pause:1.3:0.6",
		"reorder:0.9,bandwidth:1.1:0.6,kill:0.7:0.6,pause:1.3:0.6",
	};
	static const char *const names[] = { "partition", "loss", "dup", "delay", "reorder",
					     "bandwidth", "kill", "pause" };
	static const char *const models[] = { "gcounter", "gset", "orset" };

	for (int a = 0; a < 8; a++) {
		for (int b = a + 1; b < 8; b++) {
			bool together = false;

			for (size_t i = 0; i < 6 && !together; i++)
				together = strstr(blocks[i], names[a]) &&
					   strstr(blocks[i], names[b]);
			cr_assert(together, "%s and %s never meet", names[a], names[b]);
		}
	}
	for (size_t i = 0; i < 6; i++) {
		struct campaign_outcome out;

		campaign_outcome_run_nemesis(&out, models[i % 3], "81", NULL, "5", blocks[i]);
		cr_expect_eq(out.exit_code, 0,
			     "%s under %s: exit %d, verdict %s, anomalies %s (%s)", models[i % 3],
			     blocks[i], out.exit_code, out.verdict, out.kinds, out.log_path);
		campaign_outcome_fini(&out, out.exit_code == 0);
	}
}
