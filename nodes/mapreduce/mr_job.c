/* SPDX-License-Identifier: MIT */
/* mr_job.c - the job's declaration (mr_job.h). */
#include "mr_job.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "replica_args.h"

void mr_job_defaults(struct mr_job *job)
{
	*job = (struct mr_job){ .app = "wc", .maps = 8, .reduces = 5, .heartbeat_ms = 100,
				.worker_dead_ms = 1000, .task_timeout_ms = 10000,
				.backup_after_ms = 500, .backup_percent = 20,
				.crash_permille = 0 };
}

/* The numeric keys, in the order mr_job_format() writes them after app. */
struct number_key {
	const char *name;
	int64_t min, max;
	size_t offset;                  /* into struct mr_job */
	bool wide;                      /* int64_t, else uint32_t */
};

static const struct number_key number_keys[] = {
	{ "maps", 1, MR_MAPS_MAX, offsetof(struct mr_job, maps), false },
	{ "reduces", 1, MR_REDUCES_MAX, offsetof(struct mr_job, reduces), false },
	{ "heartbeat", 1, MR_JOB_MS_MAX, offsetof(struct mr_job, heartbeat_ms), true },
	{ "worker-dead", 1, MR_JOB_MS_MAX, offsetof(struct mr_job, worker_dead_ms), true },
	{ "task-timeout", 1, MR_JOB_MS_MAX, offsetof(struct mr_job, task_timeout_ms), true },
	{ "backup-after", 1, MR_JOB_MS_MAX, offsetof(struct mr_job, backup_after_ms), true },
	{ "backup-percent", 0, 100, offsetof(struct mr_job, backup_percent), false },
	{ "crash", 0, MR_JOB_PERMILLE, offsetof(struct mr_job, crash_permille), false },
};

enum { KEYS = 1 + ARRAY_SIZE(number_keys) }; /* app, then the numbers */

static int number_set(const struct number_key *key, const char *v, struct mr_job *job)
{
	int64_t n;
	char *field = (char *)job + key->offset;

	if (replica_args_parse_int(v, key->min, key->max, &n) < 0)
		return -EINVAL;
	if (key->wide)
		memcpy(field, &n, sizeof(n));
	else
		*(uint32_t *)(void *)field = (uint32_t)n;
	return 0;
}

static int64_t number_get(const struct number_key *key, const struct mr_job *job)
{
	const char *field = (const char *)job + key->offset;
	int64_t n;

	if (key->wide) {
		memcpy(&n, field, sizeof(n));
		return n;
	}
	return *(const uint32_t *)(const void *)field;
}

int mr_job_app(const struct mr_job *job, struct mr_app *app, struct errbuf *eb)
{
	char name[8];
	const char *colon = strchr(job->app, ':');
	size_t size = colon ? (size_t)(colon - job->app) : strlen(job->app);

	if (size >= sizeof(name))
		return errbuf_set(eb, -ENOENT, "app '%s': unknown (known: %s)", job->app,
				  mr_app_names());
	memcpy(name, job->app, size);
	name[size] = '\0';
	return mr_app_init(app, name, colon ? colon + 1 : NULL, eb);
}

static int app_set(const char *v, struct mr_job *job, struct errbuf *eb)
{
	struct mr_app app;

	if (strlen(v) >= sizeof(job->app))
		return errbuf_set(eb, -EINVAL, "job: app: longer than %zu bytes",
				  sizeof(job->app) - 1);
	snprintf(job->app, sizeof(job->app), "%s", v);
	return mr_job_app(job, &app, eb) < 0 ? errbuf_prefix(eb, -EINVAL, "job: ") : 0;
}

int mr_job_parse(const char *text, struct mr_job *job, struct errbuf *eb)
{
	char copy[MR_JOB_TEXT_BYTES_MAX];
	bool seen[KEYS] = { false };
	char *save = NULL;

	mr_job_defaults(job);
	if (strlen(text) >= sizeof(copy))
		return errbuf_set(eb, -EINVAL, "job: longer than %d bytes",
				  MR_JOB_TEXT_BYTES_MAX - 1);
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *pair = strtok_r(copy, ",", &save); pair; pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '=');
		size_t k = 0;

		if (eq)
			*eq = '\0';
		if (strcmp(pair, "app") != 0)
			for (k = 1; k < KEYS && strcmp(pair, number_keys[k - 1].name) != 0; k++)
				;
		if (!eq || k == KEYS || seen[k])
			return errbuf_set(eb, -EINVAL, "job: '%s': expected one of app=, maps=, "
					  "reduces=, heartbeat=, worker-dead=, task-timeout=, "
					  "backup-after=, backup-percent=, crash=, each once",
					  pair);
		seen[k] = true;
		if (k == 0 && app_set(eq + 1, job, eb) < 0)
			return -EINVAL;
		if (k > 0 && number_set(&number_keys[k - 1], eq + 1, job) < 0)
			return errbuf_set(eb, -EINVAL, "job: %s=%s: expected %" PRId64 "..%" PRId64,
					  pair, eq + 1, number_keys[k - 1].min,
					  number_keys[k - 1].max);
	}
	return 0;
}

void mr_job_format(const struct mr_job *job, char *buf, size_t size)
{
	int used = snprintf(buf, size, "app=%s", job->app);

	for (size_t k = 0; k < ARRAY_SIZE(number_keys); k++) {
		if (used < 0 || (size_t)used >= size)
			return;
		used += snprintf(buf + used, size - (size_t)used, ",%s=%" PRId64,
				 number_keys[k].name, number_get(&number_keys[k], job));
	}
}

struct mr_coord_config mr_job_coord_config(const struct mr_job *job, uint32_t workers,
					   uint32_t bugs)
{
	return (struct mr_coord_config){ .maps = job->maps, .reduces = job->reduces,
					 .workers = workers,
					 .worker_dead_ms = job->worker_dead_ms,
					 .task_timeout_ms = job->task_timeout_ms,
					 .backup_after_ms = job->backup_after_ms,
					 .backup_percent = job->backup_percent, .bugs = bugs };
}
