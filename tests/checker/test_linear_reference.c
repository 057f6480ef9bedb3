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

/* Loads and checks @rel (relative to the porcupine folder) with @model. */
static enum verdict check_file(const char *rel, enum linear_model model, uint64_t *ops)
{
	struct linear_opts opts = { .model = model };
	struct check_opts co = { .memory_bytes_max = 0 };
	char path[REF_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	enum verdict v;
	struct history h;
	int n = snprintf(path, sizeof(path), "%s/porcupine/%s", REFERENCE_DIR, rel);

	cr_assert(n > 0 && n < (int)sizeof(path));
	cr_assert_eq(jepsen_import_load(&h, path, NULL, &eb), 0, "%s", eb.msg);
	linear_checker_init(&c, &opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &h, &co, &r, &eb), 0, "%s: %s", rel, eb.msg);
	v = r.verdict;
	if (ops)
		*ops = h.count;
	check_result_fini(&r);
	hist_fini(&h);
	return v;
}

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
		cr_expect_eq(check_file(rel, LINEAR_MODEL_KV, NULL), VERDICT_INVALID, "%s", rel);
	}
}
