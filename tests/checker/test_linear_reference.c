/* SPDX-License-Identifier: MIT */
/* test_linear_reference.c - acceptance: Porcupine's etcd and kv histories get their verdicts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "hist.h"
#include "jepsen_import.h"
#include "linear.h"

#ifndef REFERENCE_DIR
#error "REFERENCE_DIR must name ../shared/reference-histories (set by meson)"
#endif

enum { REF_PATH_BYTES_MAX = 1024, ETCD_FILES = 102 };

TestSuite(linear_reference, .timeout = 120);

/* Loads and checks @rel (relative to the porcupine folder) with @model under
 * @memory_bytes_max (0: the default); the result goes to @r (fini it) when not NULL. */
static enum verdict check_file_in(const char *rel, enum linear_model model,
				  uint64_t memory_bytes_max, uint64_t *ops, struct check_result *r)
{
	struct linear_opts opts = { .model = model };
	struct check_opts co = { .memory_bytes_max = memory_bytes_max };
	char path[REF_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result local;
	enum verdict v;
	struct history h;
	int n = snprintf(path, sizeof(path), "%s/porcupine/%s", REFERENCE_DIR, rel);

	cr_assert(n > 0 && n < (int)sizeof(path));
	cr_assert_eq(jepsen_import_load(&h, path, NULL, NULL, &eb), 0, "%s", eb.msg);
	if (!r)
		r = &local;
	linear_checker_init(&c, &opts);
	check_result_init(r);
	cr_assert_eq(check_history(&c.base, &h, &co, r, &eb), 0, "%s: %s", rel, eb.msg);
	v = r->verdict;
	if (ops)
		*ops = h.count;
	if (r == &local)
		check_result_fini(r);
	hist_fini(&h);
	return v;
}

static enum verdict check_file(const char *rel, enum linear_model model, uint64_t *ops)
{
	return check_file_in(rel, model, 0, ops, NULL);
}

/*
 * Every key is decided, so under the default budget (4 GiB) c50-bad spends some 50 s on two
 * keys whose search exhausts it. 64 MiB keeps the tests quick; the verdict is the same.
 */
#define KV_BAD_MEMORY_BYTES (64ull << 20)

Test(linear_reference, every_etcd_history_gets_its_expected_verdict)
{
	char path[REF_PATH_BYTES_MAX], line[REF_PATH_BYTES_MAX];
	unsigned checked = 0, valid = 0;
	FILE *tsv;

	snprintf(path, sizeof(path), "%s/porcupine/expected-etcd.tsv", REFERENCE_DIR);
	tsv = fopen(path, "r");
	cr_assert_not_null(tsv, "%s: %s", path, strerror(errno));
	/* Bounded by the file: one row per pass. */
	while (fgets(line, sizeof(line), tsv)) {
		char *tab = strchr(line, '\t');
		const char *expected;
		enum verdict v;

		cr_assert_not_null(tab, "row without a tab: %s", line);
		*tab = '\0';
		expected = tab + 1;
		if (strcmp(line, "file") == 0)
			continue;
		v = check_file(line, LINEAR_MODEL_CAS_REGISTER, NULL);
		if (strncmp(expected, "linearizable", 12) == 0) {
			cr_expect_eq(v, VERDICT_VALID, "%s: want valid, got %s", line,
				     verdict_name(v));
			valid++;
		} else {
			cr_expect_eq(v, VERDICT_INVALID, "%s: want invalid, got %s", line,
				     verdict_name(v));
		}
		checked++;
	}
	fclose(tsv);
	cr_assert_eq(checked, ETCD_FILES);
	cr_assert_eq(valid, 23);
}

Test(linear_reference, empty_etcd_095_loads_as_an_empty_history)
{
	uint64_t ops = 1;

	cr_assert_eq(check_file("jepsen/etcd_095.log", LINEAR_MODEL_CAS_REGISTER, &ops),
		     VERDICT_VALID);
	cr_assert_eq(ops, 0);
}

Test(linear_reference, kv_ok_files_are_valid_and_bad_files_invalid)
{
	static const char *const clients[] = { "c01", "c10", "c50" };
	char rel[64];

	for (size_t k = 0; k < sizeof(clients) / sizeof(clients[0]); k++) {
		snprintf(rel, sizeof(rel), "kv/%s-ok.txt", clients[k]);
		cr_expect_eq(check_file(rel, LINEAR_MODEL_KV, NULL), VERDICT_VALID, "%s", rel);
		snprintf(rel, sizeof(rel), "kv/%s-bad.txt", clients[k]);
		cr_expect_eq(check_file_in(rel, LINEAR_MODEL_KV, KV_BAD_MEMORY_BYTES, NULL, NULL),
			     VERDICT_INVALID, "%s", rel);
	}
}

/* c10-bad: keys "0" to "9", eight of them not linearizable, each decided quickly. */
Test(linear_reference, kv_c10_bad_reports_each_invalid_key_once)
{
	static const char *const invalid = "01235679";
	struct check_result r;
	char prefix[16];

	cr_assert_eq(check_file_in("kv/c10-bad.txt", LINEAR_MODEL_KV, 0, NULL, &r),
		     VERDICT_INVALID);
	cr_assert_eq(r.anomalies_total, 8);
	cr_assert_eq(r.anomaly_count, 8);
	cr_assert_str_eq(r.unknown_reason, "", "every key was decided");
	for (const char *key = invalid; *key; key++) {
		unsigned seen = 0;

		snprintf(prefix, sizeof(prefix), "key \"%c\": ", *key);
		for (uint32_t k = 0; k < r.anomaly_count; k++)
			seen += strncmp(r.anomalies[k].message, prefix, strlen(prefix)) == 0;
		cr_expect_eq(seen, 1, "key %c: %u anomalies", *key, seen);
	}
	check_result_fini(&r);
}

/* c50-bad under a small budget: every one of its 10 keys is counted, invalid or unknown. */
Test(linear_reference, kv_c50_bad_counts_every_key)
{
	struct check_result r;
	char prefix[64];

	cr_assert_eq(check_file_in("kv/c50-bad.txt", LINEAR_MODEL_KV, KV_BAD_MEMORY_BYTES, NULL,
				   &r), VERDICT_INVALID, "invalid dominates unknown");
	cr_assert(r.anomalies_total >= 1 && r.anomalies_total < 10);
	snprintf(prefix, sizeof(prefix), "%u of 10 keys unknown, %u not linearizable: ",
		 (unsigned)(10 - r.anomalies_total), (unsigned)r.anomalies_total);
	cr_assert_eq(strncmp(r.unknown_reason, prefix, strlen(prefix)), 0, "%s", r.unknown_reason);
	check_result_fini(&r);
}
