/* SPDX-License-Identifier: MIT */
/* test_run_dir.c - run directories: layout, name, collisions and the latest link. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "hist.h"
#include "hist_test_files.h"

TestSuite(hist_run_dir, .fini = test_dir_remove);

static void expect_dir(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_expect(S_ISDIR(st.st_mode), "%s is a directory", path);
}

/* Checks the last path component is YYYYmmddTHHMMSS-<seed><suffix>. */
static void expect_name(const char *run, const char *seed_suffix)
{
	const char *name = strrchr(run, '/') + 1;

	cr_assert_eq(strlen(name), 16 + strlen(seed_suffix), "%s", name);
	for (int i = 0; i < 15; i++) {
		if (i == 8)
			cr_expect_eq(name[i], 'T', "%s", name);
		else
			cr_expect(name[i] >= '0' && name[i] <= '9', "%s", name);
	}
	cr_expect_eq(name[15], '-');
	cr_expect_str_eq(name + 16, seed_suffix);
}

static void expect_latest(const char *store, const char *run)
{
	char latest[TEST_PATH_BYTES_MAX + 8];
	char target[PATH_MAX];
	char want[TEST_PATH_BYTES_MAX + PATH_MAX];
	ssize_t n;

	snprintf(latest, sizeof(latest), "%s/latest", store);
	n = readlink(latest, target, sizeof(target) - 1);
	cr_assert_gt(n, 0, "%s: %s", latest, strerror(errno));
	target[n] = '\0';
	cr_expect_neq(target[0], '/', "relative link, got %s", target);
	snprintf(want, sizeof(want), "%s/%s", store, target);
	cr_expect_str_eq(want, run);
}

Test(hist_run_dir, creates_the_layout_and_points_latest_at_it)
{
	char store[TEST_PATH_BYTES_MAX];
	char run[HIST_PATH_BYTES_MAX];
	char nodes[HIST_PATH_BYTES_MAX + 8];
	struct errbuf eb = { "" };

	test_path(store, "deep/store");
	cr_assert_eq(hist_run_dir_create(store, "crdt", 18446744073709551615ull, run, &eb), 0,
		     "%s", eb.msg);
	cr_expect_eq(strncmp(run, store, strlen(store)), 0, "%s", run);
	cr_expect_eq(strncmp(run + strlen(store), "/crdt/", 6), 0, "%s", run);
	expect_name(run, "18446744073709551615");
	expect_dir(run);
	snprintf(nodes, sizeof(nodes), "%s/nodes", run);
	expect_dir(nodes);
	expect_latest(store, run);
}

Test(hist_run_dir, adds_a_suffix_when_the_name_is_taken_and_moves_latest)
{
	char store[TEST_PATH_BYTES_MAX];
	char runs[3][HIST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };
	int tries = 0;

	test_path(store, "store");
	/* Retry if the second changes between calls, so the names share a stamp. */
	do {
		for (int i = 0; i < 3; i++)
			cr_assert_eq(hist_run_dir_create(store, "pbft", 42, runs[i], &eb), 0,
				     "%s", eb.msg);
	} while (strncmp(strrchr(runs[0], '/'), strrchr(runs[2], '/'), 16) != 0 && ++tries < 5);
	expect_name(runs[0], "42");
	expect_name(runs[1], "42-2");
	expect_name(runs[2], "42-3");
	expect_dir(runs[2]);
	expect_latest(store, runs[2]);
}

Test(hist_run_dir, rejects_a_system_name_that_is_not_plain)
{
	static const char *const bad[] = { "", "a/b", "..", ".hidden", "latest" };
	char store[TEST_PATH_BYTES_MAX];
	char run[HIST_PATH_BYTES_MAX];
	struct errbuf eb = { "" };

	test_path(store, "store");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(hist_run_dir_create(store, bad[i], 1, run, &eb), -EINVAL, "%s",
			     bad[i]);
		cr_expect_str_eq(run, "");
		cr_expect_not_null(strstr(eb.msg, "system"), "%s", eb.msg);
	}
}
