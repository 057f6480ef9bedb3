/* SPDX-License-Identifier: MIT */
/* node_procs.h - the node processes a benchmark runs: their command lines built, each spawned
 * with its stdout and stderr in a log file (inside a network namespace when given one),
 * checked for an early exit, their CPU time read, and all of them stopped. Node i (from 0)
 * is named n<i+1> and logs to DIR/n<i+1>.log; a set of nodes is an array of pids, where -1
 * marks one already reaped. */
#ifndef NODE_PROCS_H
#define NODE_PROCS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct errbuf;

enum {
	NODE_PROCS_PATH_BYTES_MAX = 256,        /* a log's path and its NUL */
	NODE_PROCS_TAIL_BYTES_MAX = 160,        /* the end of a log quoted when its node exits */
	NODE_PROCS_STOP_MS_MAX = 2000,          /* SIGTERM to SIGKILL */
};

/*
 * node_procs_path() - "@dir/n<@i+1>@suffix" into @buf[@size] (@suffix ".log" is the log
 * node_procs_spawn() writes). The path must fit: asserted.
 * Return: nothing.
 */
void node_procs_path(const char *dir, uint32_t i, const char *suffix, char *buf, size_t size);

/*
 * node_procs_argv_add() - append the strings after @n, up to a NULL, to @argv[@size] at
 * *@n (advanced past them), and a NULL after them; they must fit with it (asserted). The
 * strings are borrowed: they must outlive @argv's use.
 * Return: nothing.
 */
void node_procs_argv_add(char *argv[], size_t size, uint32_t *n, ...)
	__attribute__((sentinel));

/*
 * node_procs_spawn() - fork node @i: the child dies with the caller, leads a process group of
 * its own (out of the terminal's signals), enters the network namespace @ns_fd (-1: stays in
 * the caller's), reads /dev/null, writes stdout and stderr to @dir/n<@i+1>.log (truncated)
 * and execs @argv[0] with @argv (NULL-terminated). A child that cannot get that far exits
 * with 125 (setns), 126 (log or /dev/null) or 127 (exec, or the caller gone).
 * Return: 0 with *@pid_out the child; -errno of fork() (@eb names the node, *@pid_out is -1).
 */
int node_procs_spawn(char *const argv[], const char *dir, uint32_t i, int ns_fd,
		     pid_t *pid_out, struct errbuf *eb);

/*
 * node_procs_alive() - has any of @pids[0 .. @count) (those > 0) ended? Reaps the first that
 * has, without waiting, and sets its entry to -1.
 * Return: 0 if all run; -ECHILD with @eb "n<I> exited with status S" (or "killed by signal
 *         S") "; its log ends: " and the last line of @dir/n<I>.log, cut to
 *         NODE_PROCS_TAIL_BYTES_MAX bytes.
 */
int node_procs_alive(pid_t pids[], uint32_t count, const char *dir, struct errbuf *eb);

/*
 * node_procs_stop() - SIGTERM to each of @pids[0 .. @count) that is > 0, reaped as they end;
 * SIGKILL to those left after NODE_PROCS_STOP_MS_MAX, and reaped. Every entry ends as -1.
 * Return: nothing; it cannot fail (a pid that waitpid() no longer knows counts as ended).
 */
void node_procs_stop(pid_t pids[], uint32_t count);

/*
 * node_procs_cpu_s() - the CPU seconds (user and system) @pids[0 .. @count) (those > 0) used
 * so far, from /proc/PID/schedstat, else /proc/PID/stat.
 * Return: the sum; a process whose time cannot be read counts 0.
 */
double node_procs_cpu_s(const pid_t pids[], uint32_t count);

#endif /* NODE_PROCS_H */
