/* SPDX-License-Identifier: MIT */
/* test_pbft.c - PBFT campaigns in namespaces: the correct build is valid under network
 * faults, crashes and up to f Byzantine replicas; each seeded bug is caught by name. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "campaign_run.h"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for namespaces and eBPF");
}

TestSuite(pbft, .init = require_root, .timeout = 900);

/* Three keys: three final reads (each retried until ok). */
enum { FINAL_READS = 3 };

/* Does the first line of the run's history contain @text? */
static bool history_starts_with(const struct campaign_outcome *out, const char *text)
{
	char path[320], line[512] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/latest/history.jsonl", out->store);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, text) != NULL;
}

static void expect_valid(struct campaign_outcome *out, const char *what)
{
	cr_expect_eq(out->exit_code, 0, "%s: exit %d, verdict %s, kinds %s (%s)", what,
		     out->exit_code, out->verdict, out->kinds, out->log_path);
	cr_expect_str_eq(out->verdict, "valid", "%s (%s)", what, out->log_path);
	campaign_outcome_fini(out, out->exit_code == 0);
}

static void expect_invalid(struct campaign_outcome *out, const char *what, const char *kind)
{
	bool named = campaign_outcome_has_kind(out, kind);

	cr_expect_eq(out->exit_code, 1, "%s: exit %d, verdict %s, kinds %s (%s)", what,
		     out->exit_code, out->verdict, out->kinds, out->log_path);
	cr_expect(named, "%s: no %s among: %s (%s)", what, kind, out->kinds, out->log_path);
	campaign_outcome_fini(out, out->exit_code == 1 && named);
}

Test(pbft, four_replicas_are_valid_under_partitions_and_delays)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "4", "41", NULL, NULL, "10", "partition:2,delay:3");
	cr_expect_eq(out.final_reads, FINAL_READS, "%d final reads", out.final_reads);
	expect_valid(&out, "n=4 partition,delay");
}

Test(pbft, four_replicas_are_valid_under_crashes_and_pauses)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "4", "42", NULL, NULL, "10", "kill:2,pause:3:0.5");
	expect_valid(&out, "n=4 kill,pause");
}

Test(pbft, seven_replicas_are_valid_under_partitions_and_crashes)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "7", "43", NULL, NULL, "10", "partition:2,kill:3");
	expect_valid(&out, "n=7 partition,kill");
}

/* One Byzantine replica of four, in each mode, with partitions: still valid. */
Test(pbft, one_byzantine_replica_of_four_in_every_mode_is_valid)
{
	static const char *const modes[] = { "silent", "equivocate", "corrupt-digest",
					     "conflicting-votes", "wrong-results", "replay",
					     "forge-sender", "fake-certificates" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct campaign_outcome out;
		char what[64], start[128];

		snprintf(what, sizeof(what), "n=4 --byzantine %s", modes[i]);
		campaign_outcome_run_pbft(&out, "4", "44", NULL, modes[i], "6", "partition:2");
		snprintf(start, sizeof(start), "\"start-byzantine\",\"value\":{\"byzantine\":"
			 "{\"n1\":\"%s\"}}", modes[i]);
		cr_expect(history_starts_with(&out, start), "%s: the history opens with %s",
			  what, start);
		expect_valid(&out, what);
	}
}

Test(pbft, two_byzantine_replicas_of_seven_are_valid)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "7", "45", NULL, "equivocate,conflicting-votes", "8",
				  "partition:2");
	expect_valid(&out, "n=7 equivocate,conflicting-votes");
	campaign_outcome_run_pbft(&out, "7", "46", NULL, "corrupt-digest,wrong-results", "8",
				  "delay:2");
	expect_valid(&out, "n=7 corrupt-digest,wrong-results");
}

/* The nemesis turns up to f replicas Byzantine at run time and back. */
Test(pbft, byzantine_nemesis_at_run_time_is_valid)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "7", "47", NULL, NULL, "10", "byzantine:1.5,partition:2");
	expect_valid(&out, "n=7 --nemesis byzantine,partition");
}

/* The fast path: tentative execution, READ-ONLY reads, 2f+1 matching replies. (Before
 * READ-ONLY reads waited for what was prepared, the n=7 run here was not linearizable.) */
Test(pbft, the_fast_path_is_valid_under_faults_and_byzantine_replicas)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft_fast(&out, "4", "81", NULL, "10", "partition:2,kill:3,delay:4");
	cr_expect_eq(out.final_reads, FINAL_READS, "%d final reads", out.final_reads);
	expect_valid(&out, "fast n=4 partition,kill,delay");
	campaign_outcome_run_pbft_fast(&out, "7", "82", "equivocate,corrupt-digest", "8",
				       "partition:2,pause:3:0.5");
	expect_valid(&out, "fast n=7 partition,pause, equivocate+corrupt-digest");
}

Test(pbft, client_first_reply_is_caught_as_not_linearizable)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "4", "51", "client-first-reply", "wrong-results", "6",
				  "none");
	expect_invalid(&out, "client-first-reply", "not-linearizable");
}

/* A corrupt-digest primary sends the null batch under the real batch's digest to odd
 * backups; with no-digest-check they execute it, and their state digests part. */
Test(pbft, no_digest_check_is_caught_as_checkpoint_divergence)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "4", "61", NULL, "corrupt-digest", "6", "none");
	expect_valid(&out, "corrupt-digest, correct build");
	campaign_outcome_run_pbft(&out, "4", "61", "no-digest-check", "corrupt-digest", "6",
				  "none");
	expect_invalid(&out, "no-digest-check", "checkpoint-divergence");
}

/*
 * n = 7, f = 2: an equivocating primary splits the backups, and a conflicting voter answers
 * every backup twice with its own digest. Counted per sender neither side reaches 2f
 * prepares; counted per message both do, and both commit.
 */
Test(pbft, count_messages_not_senders_is_caught_as_an_agreement_violation)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "7", "62", NULL, "equivocate,conflicting-votes", "6",
				  "none");
	expect_valid(&out, "n=7 equivocate,conflicting-votes, correct build");
	campaign_outcome_run_pbft(&out, "7", "62", "count-messages-not-senders",
				  "equivocate,conflicting-votes", "6", "none");
	expect_invalid(&out, "count-messages-not-senders", "agreement");
}

/*
 * f + 1 = 2 Byzantine replicas of 4: the primary equivocates and the other votes for
 * whatever each backup holds, so both halves gather 2f+1 commits for different batches.
 */
Test(pbft, f_plus_one_equivocators_break_agreement)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "4", "64", NULL, "equivocate,conflicting-votes", "6",
				  "none");
	expect_invalid(&out, "f+1 equivocators", "agreement");
}

/*
 * Some bugs need a view change at a moment when a seq is committed at some replicas and not
 * at others; crashes, partitions and loss make that likely in a short run but not certain.
 * Runs one seed after another (at most @count): each must be valid or name @kind, and one
 * must name it. Returns how many runs it took.
 */
static int caught_within(const char *const *seeds, int count, const char *nodes,
			 const char *bug, const char *byzantine, const char *nemesis,
			 const char *kind)
{
	for (int i = 0; i < count; i++) {
		struct campaign_outcome out;
		bool named;

		campaign_outcome_run_pbft_at(&out, nodes, seeds[i], bug, byzantine, "12", nemesis,
					     "200");
		named = campaign_outcome_has_kind(&out, kind);
		cr_expect(out.exit_code == 0 || (out.exit_code == 1 && named),
			  "%s seed %s: exit %d, kinds %s (%s)", bug, seeds[i], out.exit_code,
			  out.kinds, out.log_path);
		campaign_outcome_fini(&out, out.exit_code == 0 || named);
		if (named)
			return i + 1;
	}
	cr_expect_fail("%s: no %s in %d runs", bug, kind, count);
	return count;
}

static const char *const bug_seeds[] = { "95", "96", "91", "92" };

Test(pbft, view_change_drops_prepared_is_caught_as_an_agreement_violation)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft_at(&out, "4", "95", NULL, NULL, "12",
				     "kill:2,partition:1.5,loss:1", "200");
	expect_valid(&out, "kill,partition,loss, correct build");
	caught_within(bug_seeds, 4, "4", "view-change-drops-prepared", NULL,
		      "kill:2,partition:1.5,loss:1", "agreement");
}

/*
 * quorum-2f commits on 2f commits: each commit line names the replicas whose commits made
 * the certificate, and a certificate below 2f+1 is a commit-quorum violation from the
 * evidence alone, with or without a view change that would turn it into disagreement.
 */
Test(pbft, quorum_2f_is_caught_as_a_commit_quorum_violation)
{
	struct campaign_outcome out;

	campaign_outcome_run_pbft(&out, "4", "71", "quorum-2f", NULL, "6", "partition:2");
	expect_invalid(&out, "quorum-2f", "commit-quorum");
	campaign_outcome_run_pbft(&out, "7", "72", "quorum-2f", NULL, "6", "delay:2");
	expect_invalid(&out, "quorum-2f n=7", "commit-quorum");
}
