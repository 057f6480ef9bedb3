/* SPDX-License-Identifier: MIT */
/* bench_linear.c - time the linearizability checker on Porcupine's etcd and kv histories. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "checker.h"
#include "errbuf.h"
#include "hist.h"
#include "jepsen_import.h"
#include "linear.h"
#include "monotime.h"

#ifndef REFERENCE_DIR
#error "REFERENCE_DIR must name ../shared/reference-histories (set by meson)"
#endif

enum { BENCH_PATH_BYTES_MAX = 1024, BENCH_ETCD_FILES = 103 };

/* Porcupine's own figures on this kind of machine (reference-histories/README.md). */
#define PORCUPINE_ETCD_TOTAL_MS 368.0
#define PORCUPINE_KV_C50_OK_MS 112.0
#define PORCUPINE_KV_C10_MS 0.5

struct timing {
	double load_ms;
	double check_ms;
	enum verdict verdict;
	uint64_t ops;
};

static long peak_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* Loads and checks @path; the times go to @t. Return: 0, or -errno (printed). */
static int time_one(const char *path, enum linear_model model, struct timing *t)
{
	struct linear_opts opts = { .model = model };
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct history h;
	int64_t t0 = monotime_ns(), t1;
	int err = jepsen_import_load(&h, path, NULL, NULL, &eb);

	if (err) {
		fprintf(stderr, "bench-linear: %s\n", eb.msg);
		return err;
	}
	t1 = monotime_ns();
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	err = check_history(&c.base, &h, &co, &r, &eb);
	t->check_ms = (double)(monotime_ns() - t1) / 1e6;
	t->load_ms = (double)(t1 - t0) / 1e6;
	t->verdict = r.verdict;
	t->ops = h.count;
	check_result_fini(&r);
	hist_fini(&h);
	if (err)
		fprintf(stderr, "bench-linear: %s: %s\n", path, eb.msg);
	return err;
}

static void print_row(const char *name, const struct timing *t)
{
	printf("%-22s %6" PRIu64 " ops  load %8.3f ms  check %9.3f ms  %-8s peak %ld KB\n",
	       name, t->ops, t->load_ms, t->check_ms, verdict_name(t->verdict), peak_rss_kb());
}

static double bench_etcd(const char *dir)
{
	char path[BENCH_PATH_BYTES_MAX], name[32];
	double total = 0, slowest = 0;
	unsigned files = 0;

	for (int k = 0; k < BENCH_ETCD_FILES; k++) {
		struct timing t;

		if (k == 95)
			continue;       /* empty: the cluster never started, no verdict */
		snprintf(name, sizeof(name), "etcd_%03d.log", k);
		snprintf(path, sizeof(path), "%s/porcupine/jepsen/%s", dir, name);
		if (time_one(path, LINEAR_MODEL_CAS_REGISTER, &t) != 0)
			continue;
		print_row(name, &t);
		total += t.check_ms;
		slowest = t.check_ms > slowest ? t.check_ms : slowest;
		files++;
	}
	printf("etcd: %u files, check total %.1f ms (Porcupine: %.0f ms), slowest %.1f ms\n\n",
	       files, total, PORCUPINE_ETCD_TOTAL_MS, slowest);
	return total;
}

static void bench_kv(const char *dir)
{
	static const char *const names[] = { "c01-ok.txt", "c01-bad.txt", "c10-ok.txt",
					     "c10-bad.txt", "c50-ok.txt", "c50-bad.txt" };
	char path[BENCH_PATH_BYTES_MAX];

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct timing t;

		snprintf(path, sizeof(path), "%s/porcupine/kv/%s", dir, names[k]);
		if (time_one(path, LINEAR_MODEL_KV, &t) == 0)
			print_row(names[k], &t);
	}
	printf("kv: Porcupine checks c50-ok in %.0f ms and the c10 file in %.1f ms (per key)\n",
	       PORCUPINE_KV_C50_OK_MS, PORCUPINE_KV_C10_MS);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : REFERENCE_DIR;
	double etcd_ms;

	printf("bench-linear: reference histories in %s\n", dir);
	etcd_ms = bench_etcd(dir);
	bench_kv(dir);
	printf("\ntotal: etcd check %.1f ms vs Porcupine %.0f ms; peak RSS %ld KB\n", etcd_ms,
	       PORCUPINE_ETCD_TOTAL_MS, peak_rss_kb());
	return 0;
}
