/* SPDX-License-Identifier: MIT */
/* hist_test_files.h - temp files for the histories tests, written inline by each test. */
#ifndef HIST_TEST_FILES_H
#define HIST_TEST_FILES_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TEST_PATH_BYTES_MAX = 512 };

/* One temp folder per test process; Criterion runs each test in its own process. */
static char test_dir[TEST_PATH_BYTES_MAX];

static inline const char *test_dir_get(void)
{
	if (test_dir[0] == '\0') {
		snprintf(test_dir, sizeof(test_dir), "/tmp/hist_test_XXXXXX");
		cr_assert_not_null(mkdtemp(test_dir), "mkdtemp: %s", strerror(errno));
	}
	return test_dir;
}

/* The path of @name in the temp folder; the returned buffer is static per call site. */
static inline void test_path(char out[TEST_PATH_BYTES_MAX], const char *name)
{
	int n = snprintf(out, TEST_PATH_BYTES_MAX, "%s/%s", test_dir_get(), name);

	cr_assert(n > 0 && n < TEST_PATH_BYTES_MAX);
}

/* Writes @size bytes of @text to @name in the temp folder; the path goes to @out. */
static inline void test_write(char out[TEST_PATH_BYTES_MAX], const char *name,
			      const char *text, size_t size)
{
	FILE *file;

	test_path(out, name);
	file = fopen(out, "w");
	cr_assert_not_null(file, "%s: %s", out, strerror(errno));
	cr_assert_eq(fwrite(text, 1, size, file), size);
	cr_assert_eq(fclose(file), 0);
}

static inline void test_write_text(char out[TEST_PATH_BYTES_MAX], const char *name,
				   const char *text)
{
	test_write(out, name, text, strlen(text));
}

/* Removes the temp folder with everything in it (test cleanup only). */
static inline void test_dir_remove(void)
{
	char command[TEST_PATH_BYTES_MAX + 16];

	if (test_dir[0] == '\0')
		return;
	snprintf(command, sizeof(command), "rm -rf '%s'", test_dir);
	cr_expect_eq(system(command), 0);
	test_dir[0] = '\0';
}

#endif /* HIST_TEST_FILES_H */
