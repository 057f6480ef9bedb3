/* SPDX-License-Identifier: MIT */
/* clock_support.c - test helpers: run fl_clock_probe under the clock shim and read its samples. */
#include "clock_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void clock_probe_start(struct clock_probe *p, bool preload, const char *file, uint32_t count,
		       uint32_t interval_us)
{
	char count_arg[16], interval_arg[16], preload_env[512], file_env[512];
	char *argv[] = { FL_CLOCK_PROBE_PATH, count_arg, interval_arg, NULL };
	char *envp[3] = { NULL, NULL, NULL };
	int pipefd[2], n = 0;

	snprintf(count_arg, sizeof(count_arg), "%u", count);
	snprintf(interval_arg, sizeof(interval_arg), "%u", interval_us);
	snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s", FL_CLOCK_SHIM_PATH);
	snprintf(file_env, sizeof(file_env), "FL_CLOCK_FILE=%s", file ? file : "");
	if (preload)
		envp[n++] = preload_env;
	if (file)
		envp[n++] = file_env;
	cr_assert_eq(pipe(pipefd), 0);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	p->fd = pipefd[0];
}

uint32_t clock_probe_wait(struct clock_probe *p, struct clock_sample *out, uint32_t max)
{
	FILE *in = fdopen(p->fd, "r");
	long long v[6];
	uint32_t n = 0;
	int status;

	cr_assert(in);
	while (n < max && fscanf(in, "%lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
				 &v[4], &v[5]) == 6) {
		out[n] = (struct clock_sample){ v[0], v[1], v[2], v[3], v[4], v[5] };
		n++;
	}
	fclose(in);
	cr_assert_eq(waitpid(p->pid, &status, 0), p->pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "probe status 0x%x", status);
	return n;
}

struct clock_sample clock_probe_once(bool preload, const char *file)
{
	struct clock_sample s;
	struct clock_probe p;

	clock_probe_start(&p, preload, file, 1, 0);
	cr_assert_eq(clock_probe_wait(&p, &s, 1), 1);
	return s;
}

static int64_t host_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int64_t host_realtime_ns(void)
{
	return host_ns(CLOCK_REALTIME);
}

int64_t host_monotonic_ns(void)
{
	return host_ns(CLOCK_MONOTONIC);
}

void clock_block_path(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/dev/shm/fl-test%d-%s", (int)getpid(), tag);
}
