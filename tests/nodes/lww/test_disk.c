/* SPDX-License-Identifier: MIT */
/* test_disk.c - the state directory: created private, a state file written durably and read
 * back byte for byte, no leftover temp file, and what is not a state file refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable_file.h"
#include "errbuf.h"
#include "lww.h"
#include "replica_args.h"

enum { PATH_BYTES_MAX = 256 };

static char tmp_dir[PATH_BYTES_MAX];
static char data_dir[PATH_BYTES_MAX + 32];
static struct durable_file disk = { .dir_fd = -1 };
static uint8_t state[LWW_STORE_BYTES_MAX];

/* open_disk() - the daemon's state file: DIR/state, as large as an LWW state may be. */
static int open_disk(struct errbuf *eb)
{
	return durable_file_open(&disk, data_dir, REPLICA_ARGS_STATE_NAME, state, sizeof(state),
				 eb);
}

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", data_dir, name);
}

static void setup(void)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fl-lww-disk-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp_dir));
	snprintf(data_dir, sizeof(data_dir), "%s/a/b/n0", tmp_dir);
}

static void teardown(void)
{
	char path[PATH_BYTES_MAX + 64];

	durable_file_close(&disk);
	path_in(path, sizeof(path), "state");
	unlink(path);
	rmdir(path);
	path_in(path, sizeof(path), "state.tmp");
	unlink(path);
	rmdir(data_dir);
	snprintf(path, sizeof(path), "%s/a/b", tmp_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", tmp_dir);
	rmdir(path);
	rmdir(tmp_dir);
}

TestSuite(lww_disk, .init = setup, .fini = teardown);

Test(lww_disk, creates_the_directory_private_and_reads_no_file_as_enoent)
{
	struct errbuf eb = { "" };
	struct stat st;

	cr_assert_eq(open_disk(&eb), 0, "%s", eb.msg);
	cr_assert_eq(stat(data_dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(durable_file_read(&disk, &eb), -ENOENT);
	cr_assert(strstr(eb.msg, "/state"), "names the file: %s", eb.msg);
}

Test(lww_disk, a_saved_state_reads_back_and_loads)
{
	static struct lww_node node, restored;
	struct lww_config c = { .id = 0, .replicas = 1 };
	struct lww_request req = { .verb = LWW_VERB_WRITE, .key = "k", .key_size = 1,
				   .value = 42 };
	struct lww_reply reply;
	struct errbuf eb = { "" };
	char path[PATH_BYTES_MAX + 64];
	ssize_t n, got;

	cr_assert_eq(lww_node_init(&node, &c, &eb), 0);
	lww_node_serve(&node, &req, 1000000000, &reply);
	cr_assert_null(reply.error);
	cr_assert_eq(open_disk(&eb), 0, "%s", eb.msg);
	n = lww_node_save(&node, state, sizeof(state));
	cr_assert_gt(n, 0);
	cr_assert_eq(durable_file_write(&disk, (size_t)n, &eb), 0, "%s", eb.msg);
	cr_assert_eq(disk.write_count, 1);
	path_in(path, sizeof(path), "state.tmp");
	cr_assert_neq(access(path, F_OK), 0, "the temp file was renamed");
	memset(state, 0, sizeof(state));
	got = durable_file_read(&disk, &eb);
	cr_assert_eq(got, n, "%s", eb.msg);
	cr_assert_eq(lww_node_init(&restored, &c, &eb), 0);
	cr_assert_eq(lww_node_load(&restored, state, (size_t)got, &eb), 0, "%s", eb.msg);
	cr_assert_eq(lww_store_find(&restored.store, "k", 1)->value, 42);
	/* A second write replaces the file whole. */
	cr_assert_eq(durable_file_write(&disk, LWW_STORE_HEADER_BYTES, &eb), 0);
	cr_assert_eq(durable_file_read(&disk, &eb), LWW_STORE_HEADER_BYTES);
}

Test(lww_disk, a_directory_or_an_oversized_file_is_not_a_state)
{
	struct errbuf eb = { "" };
	char path[PATH_BYTES_MAX + 64];
	FILE *f;

	cr_assert_eq(open_disk(&eb), 0, "%s", eb.msg);
	path_in(path, sizeof(path), "state");
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(durable_file_read(&disk, &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "not a regular file"), "%s", eb.msg);
	cr_assert_eq(rmdir(path), 0);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	for (int i = 0; i <= LWW_STORE_BYTES_MAX; i++)
		fputc(0, f);
	fclose(f);
	cr_assert_eq(durable_file_read(&disk, &eb), -EBADMSG);
	cr_assert(strstr(eb.msg, "larger than any valid state"), "%s", eb.msg);
}
