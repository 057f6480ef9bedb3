/* SPDX-License-Identifier: MIT */
/* campaign_run.h - run the faultline binary as a user would and read what it wrote. */
#ifndef CAMPAIGN_RUN_H
#define CAMPAIGN_RUN_H

#include <stdbool.h>
#include <sys/types.h>

struct campaign_outcome {
	int exit_code;                  /* of `faultline run` */
	char verdict[16];               /* from results.json, "" if none */
	char kinds[512];                /* anomaly kinds, space-separated */
	int final_reads;
	char store[256];                /* temporary store root */
	char log_path[300];             /* stdout and stderr of the run */
};

/* campaign_outcome_run() - faultline run crdt --model M --seed S [--bug B] --time T ... */
void campaign_outcome_run(struct campaign_outcome *out, const char *model, const char *seed,
			  const char *bug, const char *time_s, const char *interval_s);

/*
 * campaign_outcome_run_cut() - as campaign_outcome_run(), with partitions drawn only from
 * the clean cuts (halves, isolate, random): no node relays state across them.
 */
void campaign_outcome_run_cut(struct campaign_outcome *out, const char *model, const char *seed,
			      const char *bug, const char *time_s, const char *interval_s);

/* campaign_outcome_run_nemesis() - the same with --nemesis @nemesis instead of partitions. */
void campaign_outcome_run_nemesis(struct campaign_outcome *out, const char *model,
				  const char *seed, const char *bug, const char *time_s,
				  const char *nemesis);

/* campaign_outcome_run_lww() - faultline run lww --seed S [--bug B] --time T --nemesis N. */
void campaign_outcome_run_lww(struct campaign_outcome *out, const char *seed, const char *bug,
			      const char *time_s, const char *nemesis);

/*
 * campaign_outcome_run_pbft() - faultline run pbft --nodes N --seed S [--bug B]
 * [--byzantine MODES] --time T --nemesis NEMESIS, eight client threads.
 */
void campaign_outcome_run_pbft(struct campaign_outcome *out, const char *nodes,
			       const char *seed, const char *bug, const char *byzantine,
			       const char *time_s, const char *nemesis);

/* campaign_outcome_run_pbft_fast() - the same with --fast and no bug. */
void campaign_outcome_run_pbft_fast(struct campaign_outcome *out, const char *nodes,
				    const char *seed, const char *byzantine, const char *time_s,
				    const char *nemesis);

/* campaign_outcome_run_pbft_at() - the same at --rate @rate. */
void campaign_outcome_run_pbft_at(struct campaign_outcome *out, const char *nodes,
				  const char *seed, const char *bug, const char *byzantine,
				  const char *time_s, const char *nemesis, const char *rate);

/*
 * campaign_outcome_run_system() - faultline run @system [--nodes N] --time T --rate 100
 * --seed S [--bug B] and @extra (NULL-ended, at most 12 arguments).
 */
void campaign_outcome_run_system(struct campaign_outcome *out, const char *system,
				 const char *nodes, const char *seed, const char *bug,
				 const char *time_s, const char *const *extra);

bool campaign_outcome_has_kind(const struct campaign_outcome *out, const char *kind);

/* campaign_outcome_fini() - remove the temporary store, unless the run was not as expected. */
void campaign_outcome_fini(struct campaign_outcome *out, bool as_expected);

/* faultline_spawn() - start the faultline binary with @argv (argv[0] ignored), output to @log. */
pid_t faultline_spawn(char *const argv[], const char *log);

/* faultline_wait() - wait for @pid; its exit code, or 128 + signal. */
int faultline_wait(pid_t pid);

#endif /* CAMPAIGN_RUN_H */
