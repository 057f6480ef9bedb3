/* SPDX-License-Identifier: MIT */
/* mapreduce_check.c - the mapreduce checker: a run of job after job (workloads/mapreduce_*),
 * judged from its history, its output directories and the coordinator's evidence
 * (nodes/mapreduce/PROTOCOL.md) against a sequential run of the same application over the same
 * input (mapreduce_oracle.h). Anomalies: the output's own (mapreduce_output.h), early-done,
 * double-commit, spurious-reexec, no-parallelism, counters and stalled (checker/CHECKS.md). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "checker_table.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "mapreduce_oracle.h"
#include "mapreduce_output.h"
#include "mr_coord.h"
#include "mr_file.h"
#include "mr_job.h"

enum { PATH_BYTES = 4096, JOBS_MAX = 1u << 16 };

/* What the run says about itself (config.json "mapreduce" and the history). */
struct mr_run {
	const char *dir;
	struct mr_app app;
	uint32_t reduces, workers, maps;
	bool faults;                    /* any nemesis op, or crashes inside tasks */
	char input[PATH_BYTES];
	struct mr_oracle *oracle;
	uint64_t output_bytes;          /* the oracle's lines' bytes */
	uint8_t *judged;                /* jobs whose output was judged: JOBS_MAX bits */
};

static int config_load(struct mr_run *run, struct errbuf *eb)
{
	char path[PATH_BYTES];
	json_t *root, *mr;
	json_error_t jerr;
	const char *app, *input;
	struct mr_job job;
	int err = 0;

	hist_run_file(path, sizeof(path), run->dir, HIST_RUN_CONFIG);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return errbuf_set(eb, -EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	mr = json_object_get(root, "mapreduce");
	app = json_string_value(json_object_get(mr, "app"));
	input = json_string_value(json_object_get(mr, "input"));
	run->reduces = (uint32_t)json_integer_value(json_object_get(mr, "reduces"));
	run->workers = (uint32_t)json_integer_value(json_object_get(root, "nodes_count")) - 1;
	run->faults = json_number_value(json_object_get(mr, "crash_in_task")) > 0;
	if (!app || !input || run->reduces < 1 || run->reduces > MR_REDUCES_MAX)
		err = errbuf_set(eb, -EINVAL, "%s: expected \"mapreduce\": {\"app\", \"input\", "
				 "\"reduces\" 1..%d}", path, MR_REDUCES_MAX);
	if (!err) {
		mr_job_defaults(&job);
		snprintf(job.app, sizeof(job.app), "%s", app);
		err = mr_job_app(&job, &run->app, eb);
	}
	if (!err && input[0] == '/')
		snprintf(run->input, sizeof(run->input), "%s", input);
	else if (!err)
		snprintf(run->input, sizeof(run->input), "%s/%s", run->dir, input);
	json_decref(root);
	return err;
}

static int name_compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* The oracle over the input's files, as the workers list them. */
static int oracle_load(struct mr_run *run, struct errbuf *eb)
{
	struct dirent **list = NULL;
	int n = scandir(run->input, &list, visible, name_compare), err = 0;

	if (n < 0)
		return errbuf_set(eb, -errno, "input %s: %s", run->input, strerror(errno));
	err = mr_oracle_new(&run->app, &run->oracle, eb);
	for (int i = 0; i < n; i++) {
		char path[PATH_BYTES + 256];

		snprintf(path, sizeof(path), "%s/%s", run->input, list[i]->d_name);
		if (!err)
			err = mr_oracle_add_file(run->oracle, path, eb);
		free(list[i]);
	}
	free(list);
	run->maps = (uint32_t)n;
	if (!err)
		err = mr_oracle_run(run->oracle, eb);
	for (size_t i = 0; !err && i < mr_oracle_count(run->oracle); i++) {
		struct mr_oracle_row row = mr_oracle_row(run->oracle, i);

		run->output_bytes += row.key.size + 1 + row.output.size + 1;
	}
	return err;
}

/* An ok job op's (or final read's) value: {"job", "digest", "files", "whole"}. */
struct job_seen {
	uint64_t job, digest;
	uint32_t files, whole;
};

static bool job_seen_parse(const struct op *op, struct job_seen *out)
{
	json_t *v;
	const char *digest;
	bool ok;

	if (op->value.kind != OP_VALUE_JSON)
		return false;
	v = json_loads(op->value.json, 0, NULL);
	digest = json_string_value(json_object_get(v, "digest"));
	out->job = (uint64_t)json_integer_value(json_object_get(v, "job"));
	out->files = (uint32_t)json_integer_value(json_object_get(v, "files"));
	out->whole = (uint32_t)json_integer_value(json_object_get(v, "whole"));
	ok = digest && sscanf(digest, "%16" SCNx64, &out->digest) == 1;
	json_decref(v);
	return ok;
}

/* Job @job's output against the oracle, once per job; anomalies name op @index. */
static int output_judge(struct mr_run *run, uint64_t job, uint64_t index,
			struct check_result *result, struct errbuf *eb)
{
	static struct mr_output_report report; /* 3 KiB; one check at a time */
	char dir[PATH_BYTES + 32];
	int err;

	if (job >= JOBS_MAX || (run->judged[job / 8] & (1u << (job % 8))))
		return 0;
	run->judged[job / 8] |= (uint8_t)(1u << (job % 8));
	snprintf(dir, sizeof(dir), "%s/output/job-%" PRIu64, run->dir, job);
	err = mr_output_check(dir, run->reduces, run->oracle, &report, eb);
	if (err)
		return err;
	for (uint32_t i = 0; i < report.finding_count; i++)
		check_result_add_anomaly(result, mr_output_anomaly_name(report.findings[i].anomaly),
					 &index, 1, "job %" PRIu64 ": %s", job,
					 report.findings[i].text);
	for (int a = 0; a < MR_OUTPUT_ANOMALIES; a++)
		if (report.counts[a] > MR_OUTPUT_FINDINGS_MAX)
			check_result_add_figures(result, "job %" PRIu64 ": %" PRIu64 " %s findings "
						 "in all\n", job, report.counts[a],
						 mr_output_anomaly_name((enum mr_output_anomaly)a));
	return 0;
}

/* The lab's early-exit test, from the job's own word: when the coordinator said done, every
 * output file was there and whole, and nothing changed after. */
static int early_done_judge(struct mr_run *run, const struct job_seen *seen, uint64_t index,
			    struct check_result *result, struct errbuf *eb)
{
	struct mr_output_snapshot now;
	char dir[PATH_BYTES + 32];
	int err;

	snprintf(dir, sizeof(dir), "%s/output/job-%" PRIu64, run->dir, seen->job);
	err = mr_output_snapshot_take(dir, run->reduces, &now, eb);
	if (err)
		return err;
	if (seen->whole < run->reduces)
		check_result_add_anomaly(result, "early-done", &index, 1, "job %" PRIu64 " was "
					 "reported done when %" PRIu32 " of its %" PRIu32 " output "
					 "files were there and %" PRIu32 " whole", seen->job,
					 seen->files, run->reduces, seen->whole);
	else if (seen->digest != now.digest)
		check_result_add_anomaly(result, "early-done", &index, 1, "job %" PRIu64 "'s "
					 "output changed after it was reported done (digest %016"
					 PRIx64 " then, %016" PRIx64 " now)", seen->job,
					 seen->digest, now.digest);
	return 0;
}

/* What the history showed, for the figures. */
struct history_seen {
	uint64_t jobs_ok, jobs_info, final_ok;
	bool final_seen;
};

/* Every ok job op and final read: output and early-done; the final read must be ok (the
 * current job finished after the final heal) or the job stalled. */
static int history_judge(struct mr_run *run, const struct history *h,
			 struct check_result *result, struct history_seen *seen,
			 struct errbuf *eb)
{
	int err = 0;

	for (uint64_t i = 0; i < h->count && !err; i++) {
		const struct op *op = &h->ops[i];
		struct job_seen job;

		if (op->process == OP_PROCESS_NEMESIS) {
			run->faults = true;
			continue;
		}
		if (op->type == OP_INVOKE)
			continue;
		seen->final_seen |= op->final;
		if (op->type != OP_OK) {
			seen->jobs_info += !op->final && strcmp(op->f, "job") == 0;
			continue;
		}
		seen->jobs_ok += !op->final;
		seen->final_ok += op->final;
		if (!job_seen_parse(op, &job)) {
			check_result_set_unknown(result, "op %" PRIu64 ": a job's value without "
						 "\"job\" and \"digest\"", i);
			continue;
		}
		if (job.job == 0)
			continue; /* a final read before any job */
		err = output_judge(run, job.job, i, result, eb);
		if (!err)
			err = early_done_judge(run, &job, i, result, eb);
	}
	if (!err && seen->final_seen && seen->final_ok == 0)
		check_result_add_anomaly(result, "stalled", NULL, 0, "the final read never saw the "
					 "current job done: no job finishes after the final heal");
	if (!err && !seen->final_seen)
		check_result_set_unknown(result, "no final read: whether the last job finished is "
					 "not known");
	return err;
}

/* --- the coordinator's evidence --- */

enum { EXEC_SLOTS = 1u << 14 };        /* executions of one job in flight, at most half */

/* One job's executions in flight (an open-addressing set of kind, index and attempt; 0 is
 * empty), and its reduces' commits, from its evidence lines. */
struct job_evidence {
	uint64_t job;
	uint64_t slots[EXEC_SLOTS];
	uint32_t live;
	uint32_t in_flight[2], most_in_flight[2];       /* maps, reduces */
	uint64_t reexecs, backups;
	bool have_commit[MR_REDUCES_MAX];
	uint64_t commit[MR_REDUCES_MAX];
	uint64_t commit_line[MR_REDUCES_MAX];
};

/* What the evidence showed over every job. */
struct evidence_seen {
	uint32_t most_in_flight[2];
	uint64_t reexecs, backups, jobs_done;
};

static void job_close(const struct job_evidence *j, struct evidence_seen *seen)
{
	for (int k = 0; k < 2; k++)
		if (j->most_in_flight[k] > seen->most_in_flight[k])
			seen->most_in_flight[k] = j->most_in_flight[k];
	seen->reexecs += j->reexecs;
	seen->backups += j->backups;
}

/* A reduce's commit digest: two different ones for a partition are a double commit. */
static void commit_judge(struct job_evidence *j, uint32_t reduce, uint64_t digest,
			 uint64_t line, const char *path, struct check_result *result)
{
	if (reduce >= MR_REDUCES_MAX)
		return;
	if (j->have_commit[reduce] && j->commit[reduce] != digest)
		check_result_add_anomaly(result, "double-commit", NULL, 0,
					 "job %" PRIu64 ": reduce %" PRIu32 " committed twice "
					 "with different content (%s:%" PRIu64 " digest %016"
					 PRIx64 ", line %" PRIu64 " %016" PRIx64 ")", j->job,
					 reduce, path, j->commit_line[reduce], j->commit[reduce],
					 line, digest);
	if (!j->have_commit[reduce]) {
		j->have_commit[reduce] = true;
		j->commit[reduce] = digest;
		j->commit_line[reduce] = line;
	}
}

static uint64_t exec_key(bool reduce, uint64_t index, uint64_t attempt)
{
	return (uint64_t)reduce << 63 | (index & 0x7fffffffu) << 32 | (attempt & 0xffffffffu) |
	       1ull << 62; /* never 0 */
}

/* Add (@add) or remove an execution; false when the set is full (add) or it was absent. */
static bool exec_set(struct job_evidence *j, uint64_t key, bool add)
{
	uint32_t mask = EXEC_SLOTS - 1, slot = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 50) & mask;

	for (uint32_t probe = 0; probe < EXEC_SLOTS; probe++, slot = (slot + 1) & mask) {
		if (j->slots[slot] == key && !add) {
			/* Remove by re-inserting the rest of the cluster (linear probing). */
			j->slots[slot] = 0;
			j->live--;
			for (uint32_t n = (slot + 1) & mask; j->slots[n]; n = (n + 1) & mask) {
				uint64_t moved = j->slots[n];

				j->slots[n] = 0;
				j->live--;
				exec_set(j, moved, true);
			}
			return true;
		}
		if (j->slots[slot] == 0) {
			if (!add || 2 * (j->live + 1) > EXEC_SLOTS)
				return false;
			j->slots[slot] = key;
			j->live++;
			return true;
		}
	}
	return false;
}

/* A job's counters against the oracle's (the sum over one execution of each task). */
static void counters_judge(const struct mr_run *run, uint64_t job, json_t *counters,
			   struct check_result *result)
{
	uint64_t want[MR_COUNTERS] = {
		mr_oracle_input_bytes(run->oracle), mr_oracle_emitted(run->oracle),
		mr_oracle_count(run->oracle), run->output_bytes,
	};
	static const char *const names[MR_COUNTERS] = {
		"map input bytes", "map output pairs", "reduce output keys", "reduce output bytes",
	};

	for (size_t c = 0; c < MR_COUNTERS; c++) {
		uint64_t got = (uint64_t)json_integer_value(json_array_get(counters, c));

		if (json_array_size(counters) != MR_COUNTERS || got != want[c]) {
			check_result_add_anomaly(result, "counters", NULL, 0,
						 "job %" PRIu64 ": %s %" PRIu64 ", the oracle's %"
						 PRIu64, job, names[c], got, want[c]);
			return;
		}
	}
}

/* One evidence line. */
static void line_judge(const struct mr_run *run, struct job_evidence *j, json_t *line,
		       uint64_t line_no, const char *path, struct check_result *result)
{
	const char *kind = json_string_value(json_object_get(line, "kind"));
	const char *task = json_string_value(json_object_get(line, "task"));
	const char *digest = json_string_value(json_object_get(line, "digest"));
	uint64_t index = (uint64_t)json_integer_value(json_object_get(line, "index"));
	uint64_t attempt = (uint64_t)json_integer_value(json_object_get(line, "attempt"));
	bool reduce = task && strcmp(task, "reduce") == 0;
	uint64_t d;

	if (!kind)
		return;
	if (strcmp(kind, "assign") == 0) {
		exec_set(j, exec_key(reduce, index, attempt), true);
		j->in_flight[reduce]++;
		if (j->in_flight[reduce] > j->most_in_flight[reduce])
			j->most_in_flight[reduce] = j->in_flight[reduce];
		j->backups += json_is_true(json_object_get(line, "backup"));
	} else if (strcmp(kind, "done") == 0 || strcmp(kind, "duplicate") == 0 ||
		   strcmp(kind, "reexec") == 0) {
		if (exec_set(j, exec_key(reduce, index, attempt), false))
			j->in_flight[reduce]--;
	}
	if (strcmp(kind, "reexec") == 0) {
		j->reexecs++;
		if (!run->faults)
			check_result_add_anomaly(
				result, "spurious-reexec", NULL, 0, "job %" PRIu64 ": %s %" PRIu64
				" ran again (execution %" PRIu64 " given up: %s) in a run without "
				"faults (%s:%" PRIu64 ")", j->job, task ? task : "?", index,
				attempt, json_string_value(json_object_get(line, "reason")), path,
				line_no);
	}
	if (reduce && digest && sscanf(digest, "%16" SCNx64, &d) == 1)
		commit_judge(j, (uint32_t)index, d, line_no, path, result);
	if (strcmp(kind, "job-done") == 0)
		counters_judge(run, j->job, json_object_get(line, "counters"), result);
}

/* Every line of the coordinator's evidence (node 0: n1.data/evidence.jsonl), job by job. */
static int evidence_judge(const struct mr_run *run, struct check_result *result,
			  struct evidence_seen *seen, struct errbuf *eb)
{
	char nodes[PATH_BYTES], path[PATH_BYTES + 64], *text = NULL, *line, *next;
	struct job_evidence *j = calloc(1, sizeof(*j));
	uint64_t line_no = 0;
	size_t size;
	int err;

	hist_run_file(nodes, sizeof(nodes), run->dir, HIST_RUN_NODES);
	snprintf(path, sizeof(path), "%s/n1.data/evidence.jsonl", nodes);
	err = j ? mr_file_read(path, (size_t)1 << 30, &text, &size, eb)
		: errbuf_set(eb, -ENOMEM, "out of memory");
	for (line = text; !err && line && line < text + size; line = next) {
		json_t *v;
		uint64_t job;

		next = memchr(line, '\n', (size_t)(text + size - line));
		if (!next)
			break; /* a torn last line: the coordinator was killed writing it */
		*next++ = '\0';
		line_no++;
		v = json_loads(line, 0, NULL);
		job = (uint64_t)json_integer_value(json_object_get(v, "job"));
		if (!v) {
			check_result_add_warning(result, "%s:%" PRIu64 ": not JSON", path, line_no);
			continue;
		}
		if (job != j->job) {
			job_close(j, seen);
			memset(j, 0, sizeof(*j));
			j->job = job;
		}
		seen->jobs_done += strcmp(json_string_value(json_object_get(v, "kind")) ?: "",
					  "job-done") == 0;
		line_judge(run, j, v, line_no, path, result);
		json_decref(v);
	}
	if (j && !err)
		job_close(j, seen);
	free(j);
	free(text);
	return err;
}

/* The lab's parallelism tests, over every job: with two workers or more, two maps ran at
 * once, and two reduces, at least once. */
static void parallelism_judge(const struct mr_run *run, const struct evidence_seen *seen,
			      struct check_result *result)
{
	static const char *const what[2] = { "maps", "reduces" };
	uint32_t tasks[2] = { run->maps, run->reduces };

	if (run->workers < 2 || seen->jobs_done == 0)
		return;
	for (int k = 0; k < 2; k++)
		if (tasks[k] >= 2 && seen->most_in_flight[k] < 2)
			check_result_add_anomaly(result, "no-parallelism", NULL, 0, "%" PRIu32
						 " workers, %" PRIu32 " %s a job, %" PRIu64 " jobs "
						 "done: never two %s running at once", run->workers,
						 tasks[k], what[k], seen->jobs_done, what[k]);
}

static int mapreduce_checker_check(const struct checker *checker, const struct check_run *cr,
				   const struct check_opts *opts, struct check_result *result,
				   struct errbuf *eb)
{
	struct mr_run run = { .dir = cr->dir };
	struct history_seen hseen = { 0 };
	struct evidence_seen eseen = { 0 };
	int err;

	(void)checker;
	(void)opts;
	result->checker = "mapreduce";
	result->model = "mapreduce";
	result->op_count = cr->history->count;
	if (!cr->dir) {
		check_result_set_unknown(result, "mapreduce needs the run directory (config.json "
					 "\"mapreduce\", input/, output/, n1.data/evidence.jsonl)");
		return 0;
	}
	run.judged = calloc(JOBS_MAX / 8, 1);
	err = run.judged ? config_load(&run, eb) : errbuf_set(eb, -ENOMEM, "out of memory");
	if (!err)
		err = oracle_load(&run, eb);
	if (!err)
		err = history_judge(&run, cr->history, result, &hseen, eb);
	if (!err)
		err = evidence_judge(&run, result, &eseen, eb);
	if (!err)
		parallelism_judge(&run, &eseen, result);
	result->final_read_count = hseen.final_ok;
	check_result_add_figures(result, "jobs: %" PRIu64 " ok, %" PRIu64 " unknown; %" PRIu64
				 " done by the coordinator; re-executions %" PRIu64 ", backups %"
				 PRIu64 "; most in flight: %" PRIu32 " maps, %" PRIu32
				 " reduces\n", hseen.jobs_ok, hseen.jobs_info, eseen.jobs_done,
				 eseen.reexecs, eseen.backups, eseen.most_in_flight[0],
				 eseen.most_in_flight[1]);
	mr_oracle_free(run.oracle);
	free(run.judged);
	return err;
}

static const struct checker_ops mapreduce_checker_ops = { .name = "mapreduce",
							  .check = mapreduce_checker_check };
static const struct checker mapreduce_checker = { .ops = &mapreduce_checker_ops };

checker_make_fn mapreduce_checker_make;

int mapreduce_checker_make(const struct checker_entry *entry, const struct linear_opts *linear,
			   struct check_opts *opts, const struct checker **out, struct errbuf *eb)
{
	(void)entry;
	(void)linear;
	(void)opts;
	(void)eb;
	*out = &mapreduce_checker;
	return 0;
}
