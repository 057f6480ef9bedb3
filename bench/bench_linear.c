/* SPDX-License-Identifier: MIT */
/* bench_linear.c - time the linearizability checker on reference and generated histories. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checker.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "gen_register.h"
#include "hist.h"
#include "jepsen_import.h"
#include "linear.h"
#include "monotime.h"

#ifndef REFERENCE_DIR
#error "REFERENCE_DIR must name ../shared/reference-histories (set by meson)"
#endif

enum {
	BENCH_PATH_BYTES_MAX = 1024,
	BENCH_GROUP_FILES_MAX = 256,    /* files in one group (Knossos's good/ has 113) */
	BENCH_TEXT_BYTES_MAX = 320,     /* a reason or an error carried out of a child */
	BENCH_NAME_BYTES_MAX = 64,
	EXIT_WRONG = 1, EXIT_USAGE = 64, EXIT_INTERNAL = 70,
};

/* The check budget: the acceptance target for the generated histories (bench/README.md). */
#define BENCH_MEMORY_BYTES_MAX (1ull << 30)
#define BENCH_SECONDS_TARGET 10.0

STATIC_ASSERT((int)BENCH_TEXT_BYTES_MAX > (int)CHECK_MESSAGE_BYTES_MAX,
	      "a child carries an unknown reason whole");
STATIC_ASSERT((int)BENCH_TEXT_BYTES_MAX > (int)ERRBUF_BYTES_MAX, "and an error whole");

/* Porcupine's figures recorded on this kind of machine (reference-histories/README.md),
 * used when no figure measured in the same run is given (--porcupine-ms). */
#define PORCUPINE_ETCD_TOTAL_MS 368.0
#define PORCUPINE_KV_C50_OK_MS 112.0
#define PORCUPINE_KV_C10_MS 0.5

/* What one group's child process measured, sent to the parent through a pipe. */
struct figures {
	int err;                                /* 0, or the first -errno (text in @text) */
	uint32_t files, right, wrong, unknown;  /* verdicts against the expected ones */
	uint64_t ops, crashed;
	double load_ms, check_ms, slowest_ms;
	enum verdict verdict;                   /* of the last file or case */
	char text[BENCH_TEXT_BYTES_MAX];        /* the last unknown reason, or the error */
	char slowest[BENCH_NAME_BYTES_MAX];
};

/* A set of history files checked with one model; each has its expected verdict. */
struct group {
	char name[BENCH_NAME_BYTES_MAX];
	struct linear_opts opts;
	uint32_t count;
	char (*paths)[BENCH_PATH_BYTES_MAX];    /* BENCH_GROUP_FILES_MAX of them */
	enum verdict expected[BENCH_GROUP_FILES_MAX];
};

struct bench_opts {
	const char *dir;
	double porcupine_ms;                    /* 0: use the recorded figure */
	struct gen_register_opts gen;
	bool verbose;
};

static const struct bench_opts bench_defaults = {
	.dir = REFERENCE_DIR,
	.gen = { .ops = 100000, .processes = 10, .values = 5, .crash_permille = 15,
		 .seed = 20261206 },
};

typedef void bench_case_fn(const struct bench_opts *opts, const void *arg,
			   struct figures *out);

static double ms_since(int64_t start_ns)
{
	return (double)(monotime_ns() - start_ns) / 1e6;
}

/* Counts @got against @want in @out; unknown is never wrong, only undecided. */
static void tally(struct figures *out, enum verdict got, enum verdict want)
{
	if (got == VERDICT_UNKNOWN)
		out->unknown++;
	else if (got == want)
		out->right++;
	else
		out->wrong++;
}

/* Loads and checks @path with @opts into @out (times added). Return: 0 or -errno. */
static int time_file(const char *path, const struct linear_opts *opts, struct figures *out,
		     double *check_ms)
{
	struct check_opts co = { .memory_bytes_max = BENCH_MEMORY_BYTES_MAX };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct history h;
	int64_t start = monotime_ns();
	int err = jepsen_import_load(&h, path, NULL, NULL, &eb);

	if (err) {
		snprintf(out->text, sizeof(out->text), "%s", eb.msg);
		return err;
	}
	out->load_ms += ms_since(start);
	linear_checker_init(&c, opts);
	check_result_init(&r);
	start = monotime_ns();
	err = check_history(&c.base, &h, &co, &r, &eb);
	*check_ms = ms_since(start);
	out->check_ms += *check_ms;
	out->ops += h.count;
	out->verdict = r.verdict;
	if (err)
		snprintf(out->text, sizeof(out->text), "%s: %s", path, eb.msg);
	else if (r.verdict == VERDICT_UNKNOWN)
		snprintf(out->text, sizeof(out->text), "%s", r.unknown_reason);
	check_result_fini(&r);
	hist_fini(&h);
	return err;
}

/* Checks every file of the group @arg; runs in a child (bench_case_fn). */
static void check_group(const struct bench_opts *opts, const void *arg, struct figures *out)
{
	const struct group *g = arg;

	for (uint32_t k = 0; k < g->count; k++) {
		const char *name = strrchr(g->paths[k], '/') + 1;
		double check_ms = 0;
		int err = time_file(g->paths[k], &g->opts, out, &check_ms);

		if (err) {
			out->err = out->err ? out->err : err;
			continue;
		}
		out->files++;
		tally(out, out->verdict, g->expected[k]);
		if (check_ms >= out->slowest_ms) {
			out->slowest_ms = check_ms;
			snprintf(out->slowest, sizeof(out->slowest), "%s", name);
		}
		if (opts->verbose || out->verdict != g->expected[k])
			printf("  %-40s check %9.3f ms  %s (expected %s)\n", name, check_ms,
			       verdict_name(out->verdict), verdict_name(g->expected[k]));
	}
	fflush(stdout);
}

/* Builds the generated history @arg asks for and checks it; runs in a child. */
static void check_generated(const struct bench_opts *opts, const void *arg,
			    struct figures *out)
{
	const struct gen_register_opts *gen = arg;
	struct linear_opts lo = { .model = LINEAR_MODEL_CAS_REGISTER, .initial = "0" };
	struct check_opts co = { .memory_bytes_max = BENCH_MEMORY_BYTES_MAX };
	struct gen_register_stats stats;
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct history h;
	int64_t start = monotime_ns();

	(void)opts;
	out->err = gen_register_build(&h, gen, &stats, &eb);
	if (out->err) {
		snprintf(out->text, sizeof(out->text), "generating: %s", eb.msg);
		return;
	}
	out->load_ms = ms_since(start);
	out->ops = h.count;
	out->crashed = stats.crashed;
	linear_checker_init(&c, &lo);
	check_result_init(&r);
	start = monotime_ns();
	out->err = check_history(&c.base, &h, &co, &r, &eb);
	out->check_ms = ms_since(start);
	out->files = 1;
	out->verdict = r.verdict;
	tally(out, r.verdict, gen->impossible_tail ? VERDICT_INVALID : VERDICT_VALID);
	snprintf(out->text, sizeof(out->text), "%s", out->err ? eb.msg : r.unknown_reason);
	check_result_fini(&r);
	hist_fini(&h);
}

/* Reads exactly @size bytes from @fd. Return: 0, or -EIO on a short read. */
static int read_whole(int fd, void *buf, size_t size)
{
	size_t got = 0;

	/* Bounded: each turn reads at least one byte or ends. */
	while (got < size) {
		ssize_t n = read(fd, (char *)buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		got += (size_t)n;
	}
	return 0;
}

/* Runs @fn in a forked child, so each case's peak memory is its own (ru_maxrss of the
 * child, from wait4) and no case inherits another's heap. Return: 0 or -errno. */
static int run_in_child(bench_case_fn *fn, const struct bench_opts *opts, const void *arg,
			struct figures *out, long *peak_kb)
{
	struct rusage ru;
	int fds[2], status, err;
	pid_t pid;

	*out = (struct figures){ 0 };
	fflush(stdout);
	if (pipe(fds) != 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		fn(opts, arg, out);
		fflush(stdout);
		_exit(write(fds[1], out, sizeof(*out)) == (ssize_t)sizeof(*out) ? 0 : 1);
	}
	close(fds[1]);
	err = read_whole(fds[0], out, sizeof(*out));
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) != pid)
		return -errno;
	*peak_kb = ru.ru_maxrss;
	if (!err && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		err = -ECHILD;
	return err;
}

static void print_header(void)
{
	printf("%-24s %5s %8s %9s %10s %5s %5s %7s %8s\n", "group", "files", "ops", "load ms",
	       "check ms", "right", "wrong", "unknown", "peak MB");
}

static void print_row(const char *name, const struct figures *f, long peak_kb)
{
	printf("%-24s %5u %8" PRIu64 " %9.1f %10.1f %5u %5u %7u %8.1f\n", name, f->files,
	       f->ops, f->load_ms, f->check_ms, f->right, f->wrong, f->unknown,
	       (double)peak_kb / 1024.0);
}

/* Runs group @g in a child and prints its row. Return: 0 all right, EXIT_WRONG if some
 * verdict was wrong, EXIT_INTERNAL on an error. */
static int bench_group(const struct bench_opts *opts, const struct group *g,
		       struct figures *out)
{
	long peak_kb = 0;
	int err = run_in_child(check_group, opts, g, out, &peak_kb);

	if (err || out->err) {
		fprintf(stderr, "bench-linear: %s: %s (%s)\n", g->name, out->text,
			strerror(-(err ? err : out->err)));
		return EXIT_INTERNAL;
	}
	print_row(g->name, out, peak_kb);
	if (out->unknown)
		printf("  unknown: %s\n", out->text);
	return out->wrong ? EXIT_WRONG : 0;
}

static int group_add(struct group *g, const char *dir, const char *name, enum verdict want)
{
	if (g->count == BENCH_GROUP_FILES_MAX)
		return -E2BIG;
	if ((size_t)snprintf(g->paths[g->count], BENCH_PATH_BYTES_MAX, "%s/%s", dir, name) >=
	    BENCH_PATH_BYTES_MAX)
		return -ENAMETOOLONG;
	g->expected[g->count++] = want;
	return 0;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every .edn file of @dir, sorted, each expected to get @want. Return: 0 or -errno. */
static int group_add_folder(struct group *g, const char *dir, enum verdict want)
{
	uint32_t first = g->count;
	struct dirent *e;
	int err = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	/* Bounded by the folder's entries, and by BENCH_GROUP_FILES_MAX. */
	while (!err && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n >= 4 && strcmp(e->d_name + n - 4, ".edn") == 0)
			err = group_add(g, dir, e->d_name, want);
	}
	closedir(d);
	qsort(g->paths + first, g->count - first, sizeof(g->paths[0]), compare_paths);
	return err;
}

/* Porcupine's etcd logs with their verdicts from expected-etcd.tsv (etcd_095.log, empty,
 * has none and is left out). Return: 0 or -errno. */
static int group_add_etcd(struct group *g, const char *dir)
{
	char path[BENCH_PATH_BYTES_MAX], line[BENCH_PATH_BYTES_MAX], name[256], relative[300];
	char verdict[32];
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/porcupine/expected-etcd.tsv", dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	/* Bounded by the file's lines and by BENCH_GROUP_FILES_MAX. */
	while (!err && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %31s", name, verdict) != 2 || strcmp(name, "file") == 0)
			continue;
		snprintf(relative, sizeof(relative), "porcupine/%s", name);
		err = group_add(g, dir, relative, strcmp(verdict, "linearizable") == 0 ?
				VERDICT_VALID : VERDICT_INVALID);
	}
	fclose(f);
	return err;
}

/* One row of the reference table: a folder's .edn files, one file, or etcd's list. */
struct group_spec {
	const char *name;
	const char *folder;             /* under the reference dir; NULL: expected-etcd.tsv */
	const char *file;               /* one file of @folder; NULL: its every .edn file */
	struct linear_opts opts;
	enum verdict want;
};

#define KNOSSOS_CAS_REGISTER_0 { .model = LINEAR_MODEL_CAS_REGISTER, .initial = "0", \
				 .null_read_any = true }
#define PORCUPINE_KV { .model = LINEAR_MODEL_KV }

enum { SPEC_ETCD = 0, SPEC_KV_C10_OK = 3, SPEC_KV_C50_OK = 5 };

static const struct group_spec group_specs[] = {
	{ "porcupine etcd", NULL, NULL, { .model = LINEAR_MODEL_CAS_REGISTER }, 0 },
	{ "porcupine kv c01-ok", "porcupine/kv", "c01-ok.txt", PORCUPINE_KV, VERDICT_VALID },
	{ "porcupine kv c01-bad", "porcupine/kv", "c01-bad.txt", PORCUPINE_KV, VERDICT_INVALID },
	{ "porcupine kv c10-ok", "porcupine/kv", "c10-ok.txt", PORCUPINE_KV, VERDICT_VALID },
	{ "porcupine kv c10-bad", "porcupine/kv", "c10-bad.txt", PORCUPINE_KV, VERDICT_INVALID },
	{ "porcupine kv c50-ok", "porcupine/kv", "c50-ok.txt", PORCUPINE_KV, VERDICT_VALID },
	{ "porcupine kv c50-bad", "porcupine/kv", "c50-bad.txt", PORCUPINE_KV, VERDICT_INVALID },
	{ "knossos cas good", "knossos/data/cas-register/good", NULL, KNOSSOS_CAS_REGISTER_0,
	  VERDICT_VALID },
	{ "knossos cas bad", "knossos/data/cas-register/bad", NULL, KNOSSOS_CAS_REGISTER_0,
	  VERDICT_INVALID },
	{ "knossos mutex bad", "knossos/data/mutex/bad", NULL, { .model = LINEAR_MODEL_MUTEX },
	  VERDICT_INVALID },
	{ "knossos multi-register", "knossos/data/multi-register/good", NULL,
	  { .model = LINEAR_MODEL_MULTI_REGISTER, .initial = "{\"x\":0,\"y\":0}" },
	  VERDICT_VALID },
};

#define SPEC_COUNT (sizeof(group_specs) / sizeof(group_specs[0]))

/* Fills @g from @spec. Return: 0 or -errno. */
static int group_fill(struct group *g, const struct group_spec *spec, const char *dir)
{
	char folder[BENCH_PATH_BYTES_MAX];

	g->count = 0;
	g->opts = spec->opts;
	snprintf(g->name, sizeof(g->name), "%s", spec->name);
	if (!spec->folder)
		return group_add_etcd(g, dir);
	if ((size_t)snprintf(folder, sizeof(folder), "%s/%s", dir, spec->folder) >=
	    sizeof(folder))
		return -ENAMETOOLONG;
	if (spec->file)
		return group_add(g, folder, spec->file, spec->want);
	return group_add_folder(g, folder, spec->want);
}

/* Every reference group, one child each; @check_ms gets each group's check time. */
static int bench_reference(const struct bench_opts *opts, double check_ms[SPEC_COUNT])
{
	struct group g = { .paths = calloc(BENCH_GROUP_FILES_MAX, BENCH_PATH_BYTES_MAX) };
	int rc = 0;

	if (!g.paths)
		return EXIT_INTERNAL;
	print_header();
	for (size_t k = 0; k < SPEC_COUNT; k++) {
		struct figures f;
		int err = group_fill(&g, &group_specs[k], opts->dir);
		int group_rc;

		if (err) {
			fprintf(stderr, "bench-linear: %s under %s: %s\n", group_specs[k].name,
				opts->dir, strerror(-err));
			rc = EXIT_INTERNAL;
			continue;
		}
		group_rc = bench_group(opts, &g, &f);
		rc = group_rc > rc ? group_rc : rc;
		check_ms[k] = f.check_ms;
		if (opts->verbose && f.files > 1)
			printf("  slowest %s: %.1f ms\n", f.slowest, f.slowest_ms);
	}
	free(g.paths);
	return rc;
}

/* The generated cas-register histories: linearizable, and with an impossible tail. */
static int bench_generated(const struct bench_opts *opts)
{
	int rc = 0;

	printf("\ngenerated cas-register, %" PRIu64 " ops, %u processes, %u.%u%% crash, seed=%"
	       PRIu64 " (load ms: generation time):\n", opts->gen.ops, opts->gen.processes,
	       opts->gen.crash_permille / 10, opts->gen.crash_permille % 10, opts->gen.seed);
	print_header();
	for (int tail = 0; tail <= 1; tail++) {
		struct gen_register_opts gen = opts->gen;
		enum verdict want = tail ? VERDICT_INVALID : VERDICT_VALID;
		struct figures f;
		long peak_kb = 0;
		int err;
		bool in_target;

		gen.impossible_tail = tail;
		err = run_in_child(check_generated, opts, &gen, &f, &peak_kb);
		if (err || f.err) {
			fprintf(stderr, "bench-linear: generated: %s (%s)\n", f.text,
				strerror(-(err ? err : f.err)));
			rc = EXIT_INTERNAL;
			continue;
		}
		print_row(tail ? "generated + impossible" : "generated", &f, peak_kb);
		in_target = f.check_ms < BENCH_SECONDS_TARGET * 1e3 &&
			    (double)peak_kb * 1024 < (double)BENCH_MEMORY_BYTES_MAX;
		printf("  %" PRIu64 " crashed (info) ops; verdict %s, expected %s: %s%s%s\n",
		       f.crashed, verdict_name(f.verdict), verdict_name(want),
		       f.wrong ? "WRONG VERDICT" : in_target ? "within target (10 s, 1 GiB)" :
		       "outside target (10 s, 1 GiB)", f.text[0] ? "; " : "", f.text);
		if (f.wrong || !in_target)
			rc = EXIT_WRONG;
	}
	return rc;
}

/* Ratios against Porcupine (measured in this run if given) and Knossos's absence. */
static void print_comparison(const struct bench_opts *opts, const double check_ms[])
{
	bool measured = opts->porcupine_ms > 0;
	double porcupine_ms = measured ? opts->porcupine_ms : PORCUPINE_ETCD_TOTAL_MS;

	printf("\netcd (102 logs, check time only): faultline %.1f ms, Porcupine %.1f ms (%s)\n",
	       check_ms[SPEC_ETCD], porcupine_ms, measured ?
	       "measured in this run, --porcupine-ms" :
	       "recorded figure, reference-histories/README.md; not measured in this run");
	printf("  ratio faultline / Porcupine = %.2f%s\n", check_ms[SPEC_ETCD] / porcupine_ms,
	       measured ? "" : " (against the recorded figure: absolute times do not travel)");
	printf("kv: c50-ok faultline %.1f ms vs Porcupine %.0f ms; c10-ok %.1f ms vs %.1f ms "
	       "split per key (recorded figures, not measured in this run)\n",
	       check_ms[SPEC_KV_C50_OK], PORCUPINE_KV_C50_OK_MS, check_ms[SPEC_KV_C10_OK],
	       PORCUPINE_KV_C10_MS);
	printf("Knossos: not measured here (no Clojure on this machine); no figures quoted\n");
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench-linear [--porcupine-ms MS] [--ops N] [--processes P]\n"
		"                    [--crash-permille C] [--seed S] [--verbose] [DIR]\n"
		"  Times the linearizability checker on the reference histories under DIR\n"
		"  (default %s)\n"
		"  and on a generated N-op cas-register history (default 100000 ops, 10 clients,\n"
		"  15 per mille crashed), each in a child process.\n"
		"  --porcupine-ms: Porcupine's etcd check time measured in the same run\n"
		"  (bench/porcupine/run.sh); without it the ratio is against a recorded figure.\n"
		"  Exit: 0 no wrong verdict and the generated cases within target (10 s, 1 GiB),\n"
		"  1 otherwise, 64 usage, 70 error.\n", REFERENCE_DIR);
}

/* Parses the command line into @opts. Return: -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct bench_opts *opts)
{
	static const struct option options[] = {
		{ "porcupine-ms", required_argument, NULL, 'p' },
		{ "ops", required_argument, NULL, 'n' },
		{ "processes", required_argument, NULL, 'c' },
		{ "crash-permille", required_argument, NULL, 'x' },
		{ "seed", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		if (c == 'p')
			opts->porcupine_ms = strtod(optarg, NULL);
		else if (c == 'n')
			opts->gen.ops = strtoull(optarg, NULL, 10);
		else if (c == 'c')
			opts->gen.processes = (uint32_t)strtoul(optarg, NULL, 10);
		else if (c == 'x')
			opts->gen.crash_permille = (uint32_t)strtoul(optarg, NULL, 10);
		else if (c == 's')
			opts->gen.seed = strtoull(optarg, NULL, 0);
		else if (c == 'v')
			opts->verbose = true;
		else if (c == 'h')
			return usage(stdout), 0;
		else
			return usage(stderr), EXIT_USAGE;
	}
	if (optind < argc)
		opts->dir = argv[optind++];
	if (optind != argc || opts->porcupine_ms < 0)
		return usage(stderr), EXIT_USAGE;
	return -1;
}

int main(int argc, char **argv)
{
	struct bench_opts opts = bench_defaults;
	double check_ms[SPEC_COUNT] = { 0 };
	struct history probe;
	struct errbuf eb = { "" };
	int rc = parse_args(argc, argv, &opts), generated_rc;

	if (rc >= 0)
		return rc;
	/* Cross-field check before any work: the generator refuses what it cannot make. */
	if (gen_register_build(&probe, &(struct gen_register_opts){ .ops = GEN_REGISTER_OPS_MIN,
			       .processes = opts.gen.processes, .values = opts.gen.values,
			       .crash_permille = opts.gen.crash_permille }, NULL, &eb) != 0 ||
	    opts.gen.ops < GEN_REGISTER_OPS_MIN || opts.gen.ops > GEN_REGISTER_OPS_MAX) {
		fprintf(stderr, "bench-linear: %s\n", eb.msg[0] ? eb.msg : "--ops out of range");
		return usage(stderr), EXIT_USAGE;
	}
	hist_fini(&probe);
	printf("seed=%" PRIu64 "\nbench-linear: reference histories in %s; check budget %llu "
	       "MiB; each group in its own child process\n", opts.gen.seed, opts.dir,
	       BENCH_MEMORY_BYTES_MAX >> 20);
	rc = bench_reference(&opts, check_ms);
	generated_rc = bench_generated(&opts);
	rc = generated_rc > rc ? generated_rc : rc;
	print_comparison(&opts, check_ms);
	if (rc == EXIT_WRONG)
		printf("reproduce: bench-linear --ops %" PRIu64 " --processes %u "
		       "--crash-permille %u --seed %" PRIu64 "\n", opts.gen.ops,
		       opts.gen.processes, opts.gen.crash_permille, opts.gen.seed);
	return rc;
}
