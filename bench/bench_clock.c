/* SPDX-License-Identifier: MIT */
/* bench_clock.c - the cost of clock_gettime(CLOCK_REALTIME) without and with the clock shim. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"

/*
 * The shim is measured by re-executing this program with LD_PRELOAD and FL_CLOCK_FILE set
 * (--child): once with a live block (+1 s bump, so the whole transform runs) and once with
 * no block (the shim's pass-through path). Times are from the raw syscall, which no shim sees.
 */
enum {
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
};

struct bench_opts {
	uint64_t calls;
	int child;
};

static const struct bench_opts bench_defaults = { .calls = 10000000, .child = 0 };

static void usage(FILE *out)
{
	fprintf(out, "usage: bench-clock [--calls N]\n"
		"  Prints ns per clock_gettime(CLOCK_REALTIME): libc, shim pass-through, shim\n"
		"  with a block, and the overhead. Exit: 0 ok, 64 usage, 70 internal error.\n");
}

static int64_t raw_ns(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static double ns_per_call(uint64_t calls)
{
	volatile int64_t sink = 0;
	struct timespec ts;
	int64_t start;

	start = raw_ns();
	for (uint64_t i = 0; i < calls; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		sink += ts.tv_nsec;
	}
	(void)sink;
	return (double)(raw_ns() - start) / (double)calls;
}

/* Re-executes this program with @file as the block (NULL: FL_CLOCK_FILE unset). */
static int run_child(const struct bench_opts *opts, const char *file, double *result)
{
	char calls[32], preload_env[512], file_env[256], out[64];
	char *argv[] = { "bench-clock", "--child", "--calls", calls, NULL };
	/* In a sanitized build this program links ASan, which refuses a preload before it. */
	char *envp[4] = { preload_env, "ASAN_OPTIONS=verify_asan_link_order=0",
			  file ? file_env : NULL, NULL };
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(calls, sizeof(calls), "%llu", (unsigned long long)opts->calls);
	snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s", FL_CLOCK_SHIM_PATH);
	snprintf(file_env, sizeof(file_env), "FL_CLOCK_FILE=%s", file ? file : "");
	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], out, sizeof(out) - 1);
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || status != 0 || n <= 0)
		return -ECHILD;
	out[n] = '\0';
	*result = strtod(out, NULL);
	return 0;
}

static int parse(int argc, char **argv, struct bench_opts *opts)
{
	static const struct option longopts[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "child", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*opts = bench_defaults;
	while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			opts->calls = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			opts->child = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return opts->calls > 0 && optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	double libc_ns, pass_ns = 0, shim_ns = 0;
	struct errbuf eb = { "" };
	struct bench_opts opts;
	struct clock_ctl *ctl = NULL;
	char path[96];
	int err;

	if (parse(argc, argv, &opts)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opts.child) {
		printf("%.3f\n", ns_per_call(opts.calls));
		return 0;
	}
	snprintf(path, sizeof(path), "/dev/shm/fl-bench%d-clock", (int)getpid());
	err = clock_ctl_open(&ctl, path, &eb);
	if (!err)
		err = clock_ctl_bump(ctl, 1000000000, &eb);
	if (err) {
		fprintf(stderr, "bench-clock: %s: %s\n", eb.msg, strerror(-err));
		clock_ctl_close(ctl, true, NULL);
		return EXIT_INTERNAL;
	}
	libc_ns = ns_per_call(opts.calls);
	err = run_child(&opts, NULL, &pass_ns);
	if (!err)
		err = run_child(&opts, path, &shim_ns);
	clock_ctl_close(ctl, true, NULL);
	if (err) {
		fprintf(stderr, "bench-clock: child run: %s\n", strerror(-err));
		return EXIT_INTERNAL;
	}
	printf("clock_gettime(CLOCK_REALTIME), %llu calls each:\n",
	       (unsigned long long)opts.calls);
	printf("  libc               %7.2f ns/call\n", libc_ns);
	printf("  shim, no block     %7.2f ns/call\n", pass_ns);
	printf("  shim, live block   %7.2f ns/call\n", shim_ns);
	printf("  overhead           %7.2f ns/call (%+.0f%%)\n", shim_ns - libc_ns,
	       100.0 * (shim_ns - libc_ns) / libc_ns);
	return 0;
}
