/* SPDX-License-Identifier: MIT */
/* bench_checker.c - time hist_load() and the CRDT checker on a generated million-op history. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "crdt_model.h"
#include "checker.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "hist.h"
#include "jepsen_import.h"
#include "monotime.h"
#include "prng.h"

enum {
	BENCH_CLIENTS = 10,
	BENCH_NODES = 5,
	BENCH_ELEMENTS = 256,          /* universe of set elements: sets of up to 256 */
	BENCH_NEMESIS_EVERY = 20000,   /* ops between partition changes */
};

/* The generator's truth: the state replicas converge to, applied at completion. */
struct gen {
	struct prng prng;
	enum crdt_model model;
	FILE *out;
	uint64_t index;
	int64_t time_ns;
	int64_t counter;
	bool present[BENCH_ELEMENTS];
	int32_t process[BENCH_CLIENTS];      /* current process number of each client slot */
	bool busy[BENCH_CLIENTS];
	const char *f[BENCH_CLIENTS];
	int64_t value[BENCH_CLIENTS];
	int node[BENCH_CLIENTS];
	bool partitioned;
};

static void emit_head(struct gen *g, const char *process, const char *type, const char *f)
{
	g->time_ns += 1000 + (int64_t)prng_below(&g->prng, 5000);
	fprintf(g->out, "{\"index\":%" PRIu64 ",\"time\":%" PRId64 ",\"process\":%s,"
		"\"type\":\"%s\",\"f\":\"%s\",\"value\":", g->index++, g->time_ns, process, type,
		f);
}

static void emit_read_value(struct gen *g)
{
	bool first = true;

	if (g->model == CRDT_MODEL_GCOUNTER) {
		fprintf(g->out, "%" PRId64, g->counter);
		return;
	}
	fputc('[', g->out);
	for (int e = 0; e < BENCH_ELEMENTS; e++) {
		if (!g->present[e])
			continue;
		fprintf(g->out, first ? "%d" : ",%d", e);
		first = false;
	}
	fputc(']', g->out);
}

static void invoke(struct gen *g, int slot)
{
	char process[16];
	uint64_t dice = prng_below(&g->prng, 100);

	if (dice < 10)
		g->f[slot] = "read";
	else if (g->model == CRDT_MODEL_ORSET && dice < 18)
		g->f[slot] = "remove";
	else
		g->f[slot] = "add";
	if (g->model == CRDT_MODEL_GCOUNTER)
		g->value[slot] = (int64_t)prng_below(&g->prng, 5) + 1;
	else
		g->value[slot] = (int64_t)prng_below(&g->prng, BENCH_ELEMENTS);
	g->node[slot] = (int)prng_below(&g->prng, BENCH_NODES) + 1;
	g->busy[slot] = true;
	snprintf(process, sizeof(process), "%d", g->process[slot]);
	emit_head(g, process, "invoke", g->f[slot]);
	if (strcmp(g->f[slot], "read") == 0)
		fputs("null", g->out);
	else
		fprintf(g->out, "%" PRId64, g->value[slot]);
	fprintf(g->out, ",\"node\":\"n%d\"}\n", g->node[slot]);
}

static void apply(struct gen *g, int slot)
{
	if (strcmp(g->f[slot], "add") == 0 && g->model == CRDT_MODEL_GCOUNTER)
		g->counter += g->value[slot];
	else if (strcmp(g->f[slot], "add") == 0)
		g->present[g->value[slot]] = true;
	else if (strcmp(g->f[slot], "remove") == 0)
		g->present[g->value[slot]] = false;
}

static void complete(struct gen *g, int slot)
{
	char process[16];
	uint64_t dice = prng_below(&g->prng, 1000);
	const char *type = dice < 10 ? "info" : dice < 40 ? "fail" : "ok";
	bool read = strcmp(g->f[slot], "read") == 0;

	if (type[0] == 'o' || (type[0] == 'i' && !read && prng_chance(&g->prng, 0.5)))
		apply(g, slot);
	snprintf(process, sizeof(process), "%d", g->process[slot]);
	emit_head(g, process, type, g->f[slot]);
	if (type[0] != 'o')
		fputs("null", g->out);
	else if (read)
		emit_read_value(g);
	else
		fprintf(g->out, "%" PRId64, g->value[slot]);
	fprintf(g->out, ",\"node\":\"n%d\"}\n", g->node[slot]);
	g->busy[slot] = false;
	if (type[0] == 'i')
		g->process[slot] += BENCH_CLIENTS;   /* Jepsen: a crashed process is replaced */
}

static void nemesis(struct gen *g)
{
	const char *f = g->partitioned ? "stop-partition" : "start-partition";

	emit_head(g, "\"nemesis\"", "invoke", f);
	fputs(g->partitioned ? "null}\n" : "\"halves\"}\n", g->out);
	emit_head(g, "\"nemesis\"", "info", f);
	fputs(g->partitioned ? "null}\n" : "{\"shape\":\"halves\",\"cut\":{\"n1\":[\"n3\"]}}}\n",
	      g->out);
	g->partitioned = !g->partitioned;
}

static void generate(struct gen *g, uint64_t ops)
{
	char process[16];

	for (int k = 0; k < BENCH_CLIENTS; k++)
		g->process[k] = k;
	while (g->index + 2 * BENCH_NODES + 4 < ops) {
		int slot = (int)prng_below(&g->prng, BENCH_CLIENTS);

		if (g->index % BENCH_NEMESIS_EVERY == 0 && g->index > 0)
			nemesis(g);
		else if (g->busy[slot])
			complete(g, slot);
		else
			invoke(g, slot);
	}
	if (g->partitioned)
		nemesis(g);
	for (int n = 1; n <= BENCH_NODES; n++) {
		snprintf(process, sizeof(process), "%d", 1000000 + n);
		emit_head(g, process, "invoke", "read");
		fprintf(g->out, "null,\"node\":\"n%d\",\"final\":true}\n", n);
		emit_head(g, process, "ok", "read");
		emit_read_value(g);
		fprintf(g->out, ",\"node\":\"n%d\",\"final\":true}\n", n);
	}
}

/* The resident set now, from /proc/self/statm (-1 if unreadable). */
static int64_t rss_bytes(void)
{
	long pages_total = 0, pages_resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%ld %ld", &pages_total, &pages_resident);
	fclose(f);
	return n == 2 ? (int64_t)pages_resident * sysconf(_SC_PAGESIZE) : -1;
}

static double seconds_since(int64_t start_ns)
{
	return (double)(monotime_ns() - start_ns) / 1e9;
}

static void print_rate(double ops, double seconds)
{
	double rate = seconds > 0 ? ops / seconds : 0;

	if (rate >= 1e6)
		printf("%.1fM ops/s", rate / 1e6);
	else
		printf("%.0fk ops/s", rate / 1e3);
}

/* @h written as Jepsen EDN, one op map per line, to a temp file (its path into @path). */
static int edn_write(const struct history *h, char *path)
{
	int fd = mkstemp(path);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!out)
		return -errno;
	for (uint64_t i = 0; i < h->count; i++) {
		const struct op *op = &h->ops[i];

		fprintf(out, "{:index %" PRIu64 ", :time %" PRId64 ", :type :%s, :process ",
			(uint64_t)op->index, op->time_ns, op_type_name(op->type));
		if (op->process == OP_PROCESS_NEMESIS)
			fputs(":nemesis", out);
		else
			fprintf(out, "%" PRId32, op->process);
		fprintf(out, ", :f :%s, :value ", op->f);
		if (op->value.kind == OP_VALUE_INT) {
			fprintf(out, "%" PRId64, op->value.integer);
		} else if (op->value.kind == OP_VALUE_INTS) {
			fputc('[', out);
			for (uint32_t k = 0; k < op->value.count; k++)
				fprintf(out, "%s%" PRId64, k ? " " : "", op->value.ints[k]);
			fputc(']', out);
		} else {
			fputs("nil", out);
		}
		if (op_node(op))
			fprintf(out, ", :node \"%s\"", op_node(op));
		fputs("}\n", out);
	}
	return fclose(out) == 0 ? 0 : -EIO;
}

/* Times the Jepsen EDN import of @h (written out first) and prints the rate. */
static int bench_edn(const struct history *h, const char *name)
{
	char path[] = "/tmp/fl-bench-edn-XXXXXX";
	struct errbuf eb = { .msg = "" };
	struct history loaded;
	int64_t start;
	int err = edn_write(h, path);

	if (err)
		return fprintf(stderr, "bench-checker: EDN: %s\n", strerror(-err)), 70;
	double full_s, scan_s;

	/* The baseline in the same run: every op map through the full EDN reader. */
	start = monotime_ns();
	err = jepsen_import_load(&loaded, path, &(struct jepsen_import_opts){
				 .full_reader_only = true }, NULL, &eb);
	full_s = seconds_since(start);
	hist_fini(&loaded);
	start = monotime_ns();
	if (!err)
		err = jepsen_import_load(&loaded, path, NULL, NULL, &eb);
	scan_s = seconds_since(start);
	printf("bench checker %s: EDN import %.2f s (", name, scan_s);
	print_rate((double)loaded.count, scan_s);
	printf("); every map through the full EDN reader %.2f s (the baseline, same run): "
	       "%.1fx\n", full_s, scan_s > 0 ? full_s / scan_s : 0.0);
	unlink(path);
	hist_fini(&loaded);
	return err ? (fprintf(stderr, "bench-checker: %s\n", eb.msg), 70) : 0;
}

/* What the loaded history holds, counted: all of it, and apart from its value arrays. */
static void print_memory(const struct history *h, const char *model)
{
	uint64_t arrays = 0, total = hist_memory_bytes(h);
	double per_op = h->count ? 1.0 / (double)h->count : 0.0;

	for (uint64_t i = 0; i < h->count; i++) {
		if (h->ops[i].value.kind == OP_VALUE_INTS)
			arrays += h->ops[i].value.count * sizeof(int64_t);
	}
	printf("bench checker %s: loaded history holds %.1f bytes/op (struct op %zu, pair %zu); "
	       "value arrays %.1f bytes/op of it, the rest %.1f bytes/op\n", model,
	       (double)total * per_op, sizeof(struct op), sizeof(*h->pair32),
	       (double)arrays * per_op, (double)(total - arrays) * per_op);
}

static int bench_model(enum crdt_model model, uint64_t ops, uint64_t seed)
{
	struct gen g = { .model = model };
	struct check_opts opts = { .model = model == CRDT_MODEL_NONE ? NULL
								 : crdt_model_name(model) };
	struct check_result result;
	struct history h;
	struct errbuf eb = { .msg = "" };
	struct rusage ru;
	char path[] = "/tmp/fl-bench-checker-XXXXXX";
	double load_s, check_s, full_s;
	int64_t rss_before, rss_after;
	int64_t start;
	int fd = mkstemp(path), err;

	if (fd < 0)
		return fprintf(stderr, "bench-checker: mkstemp: %s\n", strerror(errno)), 70;
	g.out = fdopen(fd, "w");
	ASSERT(g.out);
	prng_init(&g.prng, seed);
	generate(&g, ops);
	ASSERT(fclose(g.out) == 0);
	/* The baseline first, in the same run: every line through jansson. Its memory is
	 * given back before the measured load (which thus pays the page faults). */
	start = monotime_ns();
	err = hist_load_scan(&h, path, false, &eb);
	full_s = seconds_since(start);
	hist_fini(&h);
	rss_before = rss_bytes();
	start = monotime_ns();
	if (!err)
		err = hist_load(&h, path, &eb);
	load_s = seconds_since(start);
	unlink(path);
	if (err)
		return fprintf(stderr, "bench-checker: %s\n", eb.msg), 70;
	rss_after = rss_bytes();
	check_result_init(&result);
	start = monotime_ns();
	check_history(&crdt_checker, &h, &opts, &result, &eb);
	check_s = seconds_since(start);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench checker %s: %" PRIu64 " ops, load %.2f s (", crdt_model_name(model),
	       h.count, load_s);
	print_rate((double)h.count, load_s);
	printf("), check %.2f s (", check_s);
	print_rate((double)h.count, check_s);
	printf("), peak RSS %ld MiB, verdict %s%s%s\n", ru.ru_maxrss / 1024,
	       verdict_name(result.verdict), result.unknown_reason[0] ? ": " : "",
	       result.unknown_reason);
	printf("bench checker %s: load with the scanner %.2f s, every line through jansson "
	       "%.2f s (the baseline, same run): %.1fx; loaded history %.0f bytes/op (RSS "
	       "growth)\n", crdt_model_name(model), load_s, full_s,
	       load_s > 0 ? full_s / load_s : 0.0,
	       h.count ? (double)(rss_after - rss_before) / (double)h.count : 0.0);
	print_memory(&h, crdt_model_name(model));
	err = result.verdict == VERDICT_VALID ? 0 : 1;
	check_result_fini(&result);
	if (bench_edn(&h, crdt_model_name(model)) != 0)
		err = 70;
	hist_fini(&h);
	return err;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench-checker [--ops N] [--model gcounter|gset|orset|all] "
		"[--seed S]\n  Generates an N-op CRDT history (default 1000000) and times "
		"hist_load() and the CRDT check.\n  Exit: 0 all verdicts valid, 1 otherwise, "
		"64 usage, 70 error.\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ops", required_argument, NULL, 'n' },
		{ "model", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t ops = 1000000, seed = (uint64_t)realtime_ns();
	enum crdt_model model = CRDT_MODEL_NONE;        /* all */
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'n')
			ops = strtoull(optarg, NULL, 10);
		else if (c == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (c == 'm' && strcmp(optarg, "all") != 0 &&
			 crdt_model_parse(optarg, &model) != 0)
			return usage(stderr), 64;
		else if (c == 'h')
			return usage(stdout), 0;
		else if (c != 'm')
			return usage(stderr), 64;
	}
	if (optind != argc || ops < 100)
		return usage(stderr), 64;
	printf("seed=%" PRIu64 "\n", seed);
	for (int m = CRDT_MODEL_GCOUNTER; m <= CRDT_MODEL_ORSET; m++) {
		if (model == CRDT_MODEL_NONE || model == (enum crdt_model)m)
			rc |= bench_model((enum crdt_model)m, ops, seed);
	}
	if (rc)
		printf("reproduce: bench-checker --ops %" PRIu64 " --seed %" PRIu64 "\n", ops,
		       seed);
	return rc;
}
