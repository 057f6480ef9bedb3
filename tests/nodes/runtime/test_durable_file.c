/* SPDX-License-Identifier: MIT */
/* test_durable_file.c - a private directory is made; the file is replaced whole, read back
 * byte for byte; a leftover temp file, a directory, a link or an oversized file are handled. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable_file.h"
#include "errbuf.h"

enum { PATH_BYTES_MAX = 256, BUF_BYTES = 100 };

static char tmp_dir[PATH_BYTES_MAX];
static char dir[PATH_BYTES_MAX + 32];
static struct durable_file file = { .dir_fd = -1 };
static uint8_t buf[BUF_BYTES];
static char state_path[PATH_BYTES_MAX + 64];   /* DIR/state */
static char temp_path[PATH_BYTES_MAX + 64];    /* DIR/state.tmp */
static struct errbuf eb;

/* setup() - a fresh /tmp folder; the data dir is two levels below, not there yet. */
static void setup(void)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fl-durable-file-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_dir));
	snprintf(dir, sizeof(dir), "%s/a/b/data", tmp_dir);
	snprintf(state_path, sizeof(state_path), "%s/state", dir);
	snprintf(temp_path, sizeof(temp_path), "%s/state" DURABLE_FILE_TEMP_SUFFIX, dir);
	errbuf_clear(&eb);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static void teardown(void)
{
	durable_file_close(&file);
	nftw(tmp_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(durable_file, .init = setup, .fini = teardown);

static void open_file(void)
{
	cr_assert_eq(durable_file_open(&file, dir, "state", buf, sizeof(buf), &eb), 0, "%s",
		     eb.msg);
}

/* put() - @text as the file's new contents. */
static void put(const char *text)
{
	memcpy(buf, text, strlen(text));
	cr_assert_eq(durable_file_write(&file, strlen(text), &eb), 0, "%s", eb.msg);
}

static void expect(const char *text)
{
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(durable_file_read(&file, &eb), (ssize_t)strlen(text), "%s", eb.msg);
	cr_assert_arr_eq(buf, text, strlen(text));
}

Test(durable_file, creates_the_directory_and_parents_private_and_no_file_is_enoent)
{
	struct stat st;

	open_file();
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_str_eq(file.path, state_path);
	cr_assert_eq(durable_file_read(&file, &eb), -ENOENT);
	cr_assert(strstr(eb.msg, file.path), "names the file: %s", eb.msg);
}

Test(durable_file, a_write_replaces_the_file_whole_and_leaves_no_temp_file)
{
	open_file();
	put("first state");
	cr_assert_eq(file.write_count, 1);
	cr_assert_geq(file.write_ns_max, 0);
	cr_assert_geq(file.write_ns_total, file.write_ns_max);
	cr_assert_neq(access(temp_path, F_OK), 0, "the temp file was renamed");
	expect("first state");
	put("2nd");
	expect("2nd");
	cr_assert_eq(file.write_count, 2);
	put("");
	expect("");
}

Test(durable_file, reopening_finds_what_was_written)
{
	open_file();
	put("kept");
	durable_file_close(&file);
	durable_file_close(&file);
	durable_file_close(NULL);
	open_file();
	expect("kept");
}

Test(durable_file, a_leftover_temp_file_is_never_read_and_is_overwritten)
{
	FILE *f;

	open_file();
	put("old");
	f = fopen(temp_path, "w");
	cr_assert_not_null(f);
	fputs("half-written garbage from a crash", f);
	fclose(f);
	expect("old");
	put("new");
	expect("new");
	cr_assert_neq(access(temp_path, F_OK), 0);
}

Test(durable_file, an_existing_directory_of_ours_is_made_private)
{
	struct stat st;

	open_file();
	durable_file_close(&file);
	cr_assert_eq(chmod(dir, 0755), 0);
	open_file();
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
}

Test(durable_file, what_is_not_a_regular_file_of_at_most_buf_size_is_refused)
{
	FILE *f;

	open_file();
	cr_assert_eq(mkdir(state_path, 0700), 0);
	cr_assert_eq(durable_file_read(&file, &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "not a regular file"), "%s", eb.msg);
	cr_assert_eq(rmdir(state_path), 0);
	cr_assert_eq(symlink("/etc/passwd", state_path), 0);
	cr_assert_eq(durable_file_read(&file, &eb), -ELOOP, "links are not followed");
	cr_assert_eq(unlink(state_path), 0);
	f = fopen(state_path, "wb");
	cr_assert_not_null(f);
	for (int i = 0; i <= BUF_BYTES; i++)
		fputc('x', f);
	fclose(f);
	cr_assert_eq(durable_file_read(&file, &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "larger than any valid state"), "%s", eb.msg);
	put("fits");
	expect("fits");
}

Test(durable_file, a_failed_write_names_the_temp_file_and_keeps_the_old_one)
{
	open_file();
	put("old");
	cr_assert_eq(mkdir(temp_path, 0700), 0);
	memcpy(buf, "new", 3);
	cr_assert_eq(durable_file_write(&file, 3, &eb), -EISDIR);
	cr_assert(strstr(eb.msg, temp_path), "%s", eb.msg);
	cr_assert_eq(file.write_count, 1, "a failed write is not counted");
	expect("old");
}

Test(durable_file, bad_directories_are_errors_naming_them)
{
	char long_dir[DURABLE_FILE_PATH_BYTES_MAX];
	char below_file[PATH_BYTES_MAX + 64];
	FILE *f;

	memset(long_dir, 'd', sizeof(long_dir) - 1);
	long_dir[0] = '/';
	long_dir[sizeof(long_dir) - 1] = '\0';
	cr_assert_eq(durable_file_open(&file, long_dir, "state", buf, sizeof(buf), &eb),
		     -ENAMETOOLONG);
	cr_assert(strstr(eb.msg, "data dir '/ddd") == eb.msg, "%s", eb.msg);
	durable_file_close(&file);
	cr_assert_eq(durable_file_open(&file, "", "state", buf, sizeof(buf), &eb), -ENAMETOOLONG);
	durable_file_close(&file);
	snprintf(below_file, sizeof(below_file), "%s/plain", tmp_dir);
	f = fopen(below_file, "w");
	cr_assert_not_null(f);
	fclose(f);
	snprintf(below_file, sizeof(below_file), "%s/plain/data", tmp_dir);
	cr_assert_eq(durable_file_open(&file, below_file, "state", buf, sizeof(buf), &eb),
		     -ENOTDIR);
	cr_assert(strstr(eb.msg, "mkdir"), "%s", eb.msg);
	durable_file_close(&file);
}
