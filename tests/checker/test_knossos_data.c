/* SPDX-License-Identifier: MIT */
/* test_knossos_data.c - acceptance: every history of Knossos's own test data (read in place
 * under ../shared/reference-histories/knossos/data) gets Knossos's verdict, which the
 * folder names (good/ valid, bad/ invalid), with Knossos's models and initial states. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "errbuf.h"
#include "hist.h"
#include "jepsen_import.h"
#include "linear.h"

#ifndef REFERENCE_DIR
#error "REFERENCE_DIR must name ../shared/reference-histories (set by meson)"
#endif

enum { KNOSSOS_PATH_BYTES_MAX = 1024 };

TestSuite(knossos_data, .timeout = 300);

/* Checks @path with @opts; the warnings it loaded with go to @warning (may be NULL). */
static enum verdict check_path(const char *path, const struct linear_opts *opts,
			       char *warning, size_t warning_size)
{
	struct check_opts co = { .memory_bytes_max = 0 };
	struct errbuf eb = { "" };
	struct linear_checker c;
	struct check_result r;
	struct history h;
	enum verdict v;

	cr_assert_eq(jepsen_import_load(&h, path, NULL, NULL, &eb), 0, "%s", eb.msg);
	if (warning)
		snprintf(warning, warning_size, "%s", h.warning);
	linear_checker_init(&c, opts);
	check_result_init(&r);
	cr_assert_eq(check_history(&c.base, &h, &co, &r, &eb), 0, "%s: %s", path, eb.msg);
	v = r.verdict;
	check_result_fini(&r);
	hist_fini(&h);
	return v;
}

/* Knossos's (cas-register 0): a register starting at 0, and a nil read constrains nothing. */
static const struct linear_opts cas_register_0 = {
	.model = LINEAR_MODEL_CAS_REGISTER, .initial = "0", .null_read_any = true,
};

/* Checks every .edn file of @folder (under knossos/data) with @opts, expecting @want;
 * returns how many, and how many loaded with a warning in *@warned. */
static unsigned check_folder(const char *folder, const struct linear_opts *opts,
			     enum verdict want, unsigned *warned)
{
	char dir[KNOSSOS_PATH_BYTES_MAX], path[KNOSSOS_PATH_BYTES_MAX], warning[1024];
	unsigned checked = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/knossos/data/%s", REFERENCE_DIR, folder);
	d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	/* Bounded by the folder's entries. */
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		enum verdict v;

		if (n < 4 || strcmp(e->d_name + n - 4, ".edn") != 0)
			continue;
		cr_assert_lt((size_t)snprintf(path, sizeof(path), "%s/%.*s", dir, 255, e->d_name),
			     sizeof(path));
		v = check_path(path, opts, warning, sizeof(warning));
		cr_expect_eq(v, want, "%s: verdict %d, Knossos says %d", path, v, want);
		*warned += warning[0] != '\0';
		checked++;
	}
	closedir(d);
	return checked;
}

Test(knossos_data, every_cas_register_history_gets_knossos_verdict)
{
	unsigned warned = 0, good, bad;

	good = check_folder("cas-register/good", &cas_register_0, VERDICT_VALID, &warned);
	bad = check_folder("cas-register/bad", &cas_register_0, VERDICT_INVALID, &warned);
	/* 120 in all: 113 good, 7 bad (bad/ also holds a timeline .html). */
	cr_expect_eq(good, 113, "%u good histories", good);
	cr_expect_eq(bad, 7, "%u bad histories", bad);
	/* The ones refused before the import fitted Jepsen's habits, at least. */
	cr_expect_geq(warned, 4, "%u histories loaded with a warning", warned);
}

Test(knossos_data, rethink_fail_reads_times_that_go_back_with_a_warning)
{
	char path[KNOSSOS_PATH_BYTES_MAX], warning[1024];

	snprintf(path, sizeof(path), "%s/knossos/data/cas-register/bad/rethink-fail.edn",
		 REFERENCE_DIR);
	cr_expect_eq(check_path(path, &cas_register_0, warning, sizeof(warning)),
		     VERDICT_INVALID);
	cr_expect_not_null(strstr(warning, "rethink-fail.edn:30: :time goes back"), "%s",
			   warning);
}

Test(knossos_data, etcd_mutex_is_not_linearizable)
{
	struct linear_opts mutex = { .model = LINEAR_MODEL_MUTEX };
	unsigned warned = 0;

	cr_expect_eq(check_folder("mutex/bad", &mutex, VERDICT_INVALID, &warned), 1);
	cr_expect_eq(warned, 1);        /* nemesis :info pairs, :time going back */
}

Test(knossos_data, multi_register_is_linearizable_from_x0_y0_only)
{
	struct linear_opts from_x0_y0 = { .model = LINEAR_MODEL_MULTI_REGISTER,
					  .initial = "{\"x\":0,\"y\":0}" };
	struct linear_opts from_empty = { .model = LINEAR_MODEL_MULTI_REGISTER };
	char path[KNOSSOS_PATH_BYTES_MAX];
	unsigned warned = 0;

	cr_expect_eq(check_folder("multi-register/good", &from_x0_y0, VERDICT_VALID, &warned), 1);
	/* Knossos checks it from {:x 0 :y 0}; from the empty map its first reads of 0 are
	 * impossible, so the model's initial state is really used. */
	snprintf(path, sizeof(path), "%s/knossos/data/multi-register/good/multi-register.edn",
		 REFERENCE_DIR);
	cr_expect_eq(check_path(path, &from_empty, NULL, 0), VERDICT_INVALID);
}
