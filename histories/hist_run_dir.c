/* SPDX-License-Identifier: MIT */
/* hist_run_dir.c - store/<system>/<YYYYmmddTHHMMSS>-<seed>/ run folders and store/latest. */
#include "hist.h"
#include "hist_run_data.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "monotime.h"

enum {
	RUN_DIR_SUFFIX_MAX = 1000,      /* runs with one seed in one second, -2 .. -1000 */
	RUN_NAME_BYTES_MAX = 64,        /* "YYYYmmddTHHMMSS-<u64>-<suffix>" */
};
/* Numbers temp link names, so concurrent creators in one process never share one. */
static _Atomic unsigned latest_tmp_calls;

STATIC_ASSERT((long)RUN_NAME_BYTES_MAX < (long)HIST_PATH_BYTES_MAX, "a run name fits in a path");

/* Formats into @out (HIST_PATH_BYTES_MAX bytes). Return: 0 or -ENAMETOOLONG. */
static int path_join(char out[HIST_PATH_BYTES_MAX], const char *a, const char *b,
		     struct errbuf *eb)
{
	int n = snprintf(out, HIST_PATH_BYTES_MAX, "%s/%s", a, b);

	if (n < 0 || n >= HIST_PATH_BYTES_MAX)
		return errbuf_set(eb, -ENAMETOOLONG, "%s/%s: expected a path shorter than %d "
				  "bytes", a, b, HIST_PATH_BYTES_MAX);
	return 0;
}

/* mkdir -p, iteratively: each '/' in turn ends a prefix that must exist. */
static int mkdir_parents(const char *path, struct errbuf *eb)
{
	char prefix[HIST_PATH_BYTES_MAX];
	size_t size = strlen(path);

	if (size == 0 || size >= sizeof(prefix))
		return errbuf_set(eb, -ENAMETOOLONG, "\"%.64s\": expected a non-empty path "
				  "shorter than %d bytes", path, HIST_PATH_BYTES_MAX);
	memcpy(prefix, path, size + 1);
	for (size_t i = 1; i <= size; i++) {
		if (prefix[i] != '/' && prefix[i] != '\0')
			continue;
		char saved = prefix[i];

		prefix[i] = '\0';
		if (mkdir(prefix, 0755) < 0 && errno != EEXIST)
			return errbuf_set(eb, -errno, "%s: cannot create directory", prefix);
		prefix[i] = saved;
	}
	return 0;
}

static int check_system(const char *system, struct errbuf *eb)
{
	if (system[0] == '\0' || strchr(system, '/') || strcmp(system, ".") == 0 ||
	    strcmp(system, "..") == 0 || strcmp(system, "latest") == 0 || system[0] == '.')
		return errbuf_set(eb, -EINVAL, "system \"%.64s\": expected a plain name (no '/', "
				  "not hidden, not \"latest\")", system);
	return 0;
}

/* Creates @system_dir/<stamp>-<seed>[-N]; the name goes to @name. */
static int make_run(const char *system_dir, uint64_t seed, char name[RUN_NAME_BYTES_MAX],
		    char out[HIST_PATH_BYTES_MAX], struct errbuf *eb)
{
	time_t now = (time_t)(realtime_ns() / 1000000000);
	char stamp[32];
	struct tm tm;
	int err;

	if (!localtime_r(&now, &tm) ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
		return errbuf_set(eb, -EINVAL, "cannot format the local time");
	for (int suffix = 1; suffix <= RUN_DIR_SUFFIX_MAX; suffix++) {
		if (suffix == 1)
			snprintf(name, RUN_NAME_BYTES_MAX, "%s-%" PRIu64, stamp, seed);
		else
			snprintf(name, RUN_NAME_BYTES_MAX, "%s-%" PRIu64 "-%d", stamp, seed,
				 suffix);
		err = path_join(out, system_dir, name, eb);
		if (err < 0)
			return err;
		if (mkdir(out, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			return errbuf_set(eb, -errno, "%s: cannot create run directory", out);
	}
	return errbuf_set(eb, -EEXIST, "%s/%s-%" PRIu64 ": expected fewer than %d runs with "
			  "this seed in one second", system_dir, stamp, seed, RUN_DIR_SUFFIX_MAX);
}

/* Points @store_root/latest at @target: a temp symlink renamed over it, so never absent. */
static int link_latest(const char *store_root, const char *target, struct errbuf *eb)
{
	char tmp_name[64];
	char tmp[HIST_PATH_BYTES_MAX];
	char latest[HIST_PATH_BYTES_MAX];
	int err;

	snprintf(tmp_name, sizeof(tmp_name), ".latest.tmp.%ld.%u", (long)getpid(),
		 latest_tmp_calls++);
	err = path_join(tmp, store_root, tmp_name, eb);
	if (err == 0)
		err = path_join(latest, store_root, "latest", eb);
	if (err < 0)
		return err;
	if (unlink(tmp) < 0 && errno != ENOENT)
		return errbuf_set(eb, -errno, "%s: cannot remove stale link", tmp);
	if (symlink(target, tmp) < 0)
		return errbuf_set(eb, -errno, "%s: cannot create link", tmp);
	if (rename(tmp, latest) < 0) {
		err = errbuf_set(eb, -errno, "%s: cannot replace link", latest);
		unlink(tmp);
		return err;
	}
	return 0;
}

int hist_run_dir_create(const char *store_root, const char *system, uint64_t seed,
			char out[HIST_PATH_BYTES_MAX], struct errbuf *eb)
{
	char system_dir[HIST_PATH_BYTES_MAX];
	char nodes[HIST_PATH_BYTES_MAX];
	char target[HIST_PATH_BYTES_MAX];
	char name[RUN_NAME_BYTES_MAX];
	int err;

	ASSERT(store_root != NULL);
	ASSERT(system != NULL);
	ASSERT(out != NULL);
	out[0] = '\0';
	err = check_system(system, eb);
	if (err == 0)
		err = path_join(system_dir, store_root, system, eb);
	if (err == 0)
		err = mkdir_parents(system_dir, eb);
	if (err == 0)
		err = make_run(system_dir, seed, name, out, eb);
	if (err == 0)
		err = path_join(nodes, out, hist_run_file_name(HIST_RUN_NODES), eb);
	if (err == 0 && mkdir(nodes, 0755) < 0)
		err = errbuf_set(eb, -errno, "%s: cannot create directory", nodes);
	if (err == 0)
		err = path_join(target, system, name, eb);
	if (err == 0)
		err = link_latest(store_root, target, eb);
	if (err < 0)
		out[0] = '\0';
	ASSERT(err <= 0);
	return err;
}

const char *hist_run_file_name(enum hist_run_file file)
{
	static const char *const names[] = {
		[HIST_RUN_HISTORY] = "history.jsonl", [HIST_RUN_CONFIG] = "config.json",
		[HIST_RUN_RESULTS] = "results.json", [HIST_RUN_CAPTURE] = "capture.pcapng",
		[HIST_RUN_NODES] = "nodes",
	};

	ASSERT((size_t)file < ARRAY_SIZE(names));
	return names[file];
}

int hist_run_file(char *out, size_t size, const char *run_dir, enum hist_run_file file)
{
	int n = snprintf(out, size, "%s/%s", run_dir, hist_run_file_name(file));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int hist_run_data_dirs(const char *nodes, char (*names)[HIST_RUN_DATA_NAME_BYTES_MAX],
		       uint32_t max, uint32_t *count, struct errbuf *eb)
{
	DIR *dir = opendir(nodes);
	struct dirent *d;

	*count = 0;
	if (!dir)
		return errno == ENOENT ? 0 : errbuf_set(eb, -errno, "%s: %s", nodes,
							   strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		size_t size = strlen(d->d_name);

		if (size <= 5 || strcmp(d->d_name + size - 5, ".data") != 0)
			continue;
		if (*count >= max || size >= HIST_RUN_DATA_NAME_BYTES_MAX) {
			closedir(dir);
			return errbuf_set(eb, -E2BIG, "%s: more than %u *.data folders (or a name "
					  "over %d bytes)", nodes, max,
					  HIST_RUN_DATA_NAME_BYTES_MAX - 1);
		}
		memcpy(names[(*count)++], d->d_name, size + 1);
	}
	closedir(dir);
	qsort(names, *count, sizeof(names[0]), name_cmp);
	return 0;
}
