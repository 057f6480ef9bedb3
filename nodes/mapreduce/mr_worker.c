/* SPDX-License-Identifier: MIT */
/* mr_worker.c - nodes 1..N: a worker (PROTOCOL.md). It asks the coordinator for tasks and runs
 * them; maps write their files into this process's own directory, which a restart discards
 * (a new incarnation: the paper's lost local disk); reduces fetch every map's file from its
 * holder and commit their output by an atomic rename. A heartbeat thread, a file-server
 * thread and a signal thread run beside the tasks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "durable_file.h"
#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "mr_node.h"
#include "mr_task.h"
#include "mr_worker_internal.h"
#include "prng.h"

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* This process's incarnation: one more than the last one's, kept in DATA/incarnation. */
static int incarnation_next(const char *data_dir, uint64_t *out, struct errbuf *eb)
{
	struct durable_file f = { .dir_fd = -1 };
	char buf[32];
	ssize_t size;
	int err = durable_file_open(&f, data_dir, "incarnation", buf, sizeof(buf) - 1, eb);

	*out = 1;
	if (!err) {
		size = durable_file_read(&f, eb);
		if (size >= 0) {
			buf[size] = '\0';
			*out = strtoull(buf, NULL, 10) + 1;
		} else if (size != -ENOENT) {
			err = (int)size;
		}
	}
	if (!err)
		err = durable_file_write(&f, (size_t)snprintf(buf, sizeof(buf), "%" PRIu64 "\n",
							      *out), eb);
	durable_file_close(&f);
	return err;
}

static int name_compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int regular_only(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* The input files, by name: map m reads the m-th. There must be exactly job->maps. */
static int inputs_list(struct worker *w, struct errbuf *eb)
{
	struct dirent **list = NULL;
	int n = scandir(w->dirs->input, &list, regular_only, name_compare);

	if (n < 0)
		return errbuf_set(eb, -errno, "input %s: %s", w->dirs->input, strerror(errno));
	if ((uint32_t)n != w->job->maps) {
		for (int i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return errbuf_set(eb, -EINVAL, "input %s: %d files, the job has %u maps",
				  w->dirs->input, n, w->job->maps);
	}
	w->inputs = calloc((size_t)n, sizeof(*w->inputs));
	for (int i = 0; i < n; i++) {
		if (w->inputs)
			w->inputs[i] = strdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return w->inputs ? 0 : errbuf_set(eb, -ENOMEM, "worker: out of memory");
}

/* A fresh directory for this incarnation's files; the earlier ones are gone with them. */
static int files_dir_make(struct worker *w, struct errbuf *eb)
{
	char old[512];

	if (w->incarnation > 1) {
		snprintf(old, sizeof(old), "%s/files-%" PRIu64, w->a->data_dir,
			 w->incarnation - 1);
		mr_worker_dir_remove(old);
	}
	snprintf(w->files_dir, sizeof(w->files_dir), "%s/files-%" PRIu64, w->a->data_dir,
		 w->incarnation);
	mr_worker_dir_remove(w->files_dir);
	if (mkdir(w->files_dir, 0700) < 0)
		return errbuf_set(eb, -errno, "%s: %s", w->files_dir, strerror(errno));
	return 0;
}

static void *heartbeat_cb(void *arg)
{
	struct worker *w = arg;
	char line[64];
	int n = snprintf(line, sizeof(line), "hb %u %" PRIu64 "\n", w->id, w->incarnation);

	for (;;) {
		struct errbuf eb;

		sleep_ms(w->job->heartbeat_ms);
		if (mr_link_call(&w->heartbeat, line, (size_t)n, MR_NODE_IO_MS, &eb) < 0 &&
		    w->heartbeat_failures++ % 50 == 0)
			log_warn("worker %u: heartbeat: %s", w->id, eb.msg);
	}
	return NULL;
}

static void *signals_cb(void *arg)
{
	sigset_t set;
	int sig = 0;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	log_info("worker: stopped by signal %d", sig);
	exit(0); /* its files and incarnation are already on disk */
	return NULL;
}

/* One request line to the coordinator, retried until it answers (it may be restarting). */
static const char *call(struct worker *w, const char *line, size_t size)
{
	for (uint32_t tries = 0;; tries++) {
		struct errbuf eb;
		ssize_t n = mr_link_call(&w->link, line, size, MR_NODE_IO_MS, &eb);

		if (n >= 0 && strncmp(w->link.buf, "err ", 4) != 0)
			return w->link.buf;
		if (n >= 0)
			log_warn("worker %u: '%.*s' refused: %s", w->id, (int)size - 1, line,
				 w->link.buf);
		else if (tries % 20 == 0)
			log_warn("worker %u: coordinator: %s", w->id, eb.msg);
		if (n >= 0)
			return NULL;
		sleep_ms(w->job->heartbeat_ms);
	}
}

static int threads_start(struct worker *w, struct errbuf *eb)
{
	pthread_t thread;
	int err = pthread_create(&thread, NULL, signals_cb, w);

	if (!err)
		err = pthread_create(&thread, NULL, heartbeat_cb, w);
	if (err)
		return errbuf_set(eb, -err, "worker: thread: %s", strerror(err));
	return mr_file_server_start(&w->server, &w->a->addrs.client_addr, w->files_dir, eb);
}

static int worker_setup(struct worker *w, struct errbuf *eb)
{
	struct sockaddr_in coordinator;
	int err;

	if (!w->a->data_dir)
		return errbuf_set(eb, -EINVAL, "worker: --data-dir is required");
	if (!mr_node_tcp_addr(w->a, 0, &coordinator))
		return errbuf_set(eb, -EINVAL, "worker: no --peer 0 (the coordinator)");
	mr_link_init(&w->link, &coordinator);
	mr_link_init(&w->heartbeat, &coordinator);
	err = mr_job_app(w->job, &w->app, eb);
	if (!err)
		err = incarnation_next(w->a->data_dir, &w->incarnation, eb);
	if (!err)
		err = inputs_list(w, eb);
	if (!err)
		err = files_dir_make(w, eb);
	prng_init(&w->prng, w->a->seed ^ (w->incarnation * 0x9e3779b97f4a7c15ull));
	if (!err)
		err = threads_start(w, eb);
	return err;
}

int mr_worker_run(const struct replica_args *a, const struct mr_job *job,
		  const struct mr_node_dirs *dirs, struct errbuf *eb)
{
	static struct worker w; /* its threads outlive any stack frame but the process */
	char line[64];
	int err, n;

	w = (struct worker){ .a = a, .job = job, .dirs = dirs, .id = a->id - 1 };
	err = worker_setup(&w, eb);
	if (err)
		return err;
	log_info("worker %u: incarnation %" PRIu64 ", files in %s", w.id, w.incarnation,
		 w.files_dir);
	n = snprintf(line, sizeof(line), "req %u %" PRIu64 "\n", w.id, w.incarnation);
	for (;;) {
		struct mr_wire_assignment *next = &w.assignment;
		const char *reply = call(&w, line, (size_t)n);
		struct errbuf parse_eb;

		if (!reply ||
		    mr_wire_assignment_parse(reply, strlen(reply), next, &parse_eb) < 0 ||
		    next->a.reply != MR_REPLY_TASK) {
			bool done = reply && next->a.reply == MR_REPLY_EXIT;

			sleep_ms(done ? 1000 : job->heartbeat_ms); /* done: idle until SIGTERM */
			continue;
		}
		if (next->a.kind == MR_MAP)
			mr_worker_map(&w, next);
		else
			mr_worker_reduce(&w, next);
	}
}
