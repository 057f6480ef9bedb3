/* SPDX-License-Identifier: MIT */
/* daemon_harness.h - node daemons under test on 127.0.0.1: spawned, connected to, asked one
 * line at a time, waited for; their data dirs removed. Failures fail the Criterion test. */
#ifndef DAEMON_HARNESS_H
#define DAEMON_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

enum {
	DAEMON_WAIT_MS_MAX = 5000,      /* start-up, and a daemon's exit on its own */
	DAEMON_LINE_BYTES_MAX = 512,    /* a reply line, with its '\n' */
	DAEMON_TEXT_BYTES_MAX = 8192,   /* the start of a log file that is searched */
};

/*
 * daemon_ports_pick() - a free run of @width ports on 127.0.0.1 among @slots runs from
 * @first: even offsets bindable over TCP (as a daemon binds them), odd ones over UDP.
 * Criterion runs tests in parallel processes: the search starts at a slot chosen by the
 * pid and skips busy ones. Fails the test if none is free. Return: the run's first port.
 */
int daemon_ports_pick(int first, int slots, int width);

/* daemon_sleep_ms() - sleep @ms (>= 0) milliseconds. */
void daemon_sleep_ms(int ms);

/*
 * daemon_spawn() - fork and exec @argv (NULL-terminated; argv[0] is the path), stdout into
 * @out_path (truncated), stderr appended to @log_path; NULL for either: /dev/null.
 * Return: the child's pid.
 */
pid_t daemon_spawn(const char *const *argv, const char *out_path, const char *log_path);

/*
 * daemon_connect() - a TCP connection to 127.0.0.1:@port, retried every 10 ms while the
 * daemon @pid starts up. Fails the test, naming @what, if it exits first or does not listen
 * within DAEMON_WAIT_MS_MAX. Return: the connected fd.
 */
int daemon_connect(pid_t pid, int port, const char *what);

/* daemon_request() - @line out on @fd, one line back (valid until the next call). */
const char *daemon_request(int fd, const char *line);

/*
 * daemon_stop() - close *@fd and kill *@pid with @sig and reap it, if they are >= 0 (> 0
 * for the pid); both are -1 afterwards.
 */
void daemon_stop(pid_t *pid, int *fd, int sig);

/* daemon_wait_exit() - wait up to DAEMON_WAIT_MS_MAX. Return: its wait status; -1: running. */
int daemon_wait_exit(pid_t pid);

/* daemon_file_text() - the first DAEMON_TEXT_BYTES_MAX - 1 bytes of @path (until next call). */
const char *daemon_file_text(const char *path);

/* daemon_file_mentions() - does the start of @path contain @what? */
bool daemon_file_mentions(const char *path, const char *what);

/* daemon_file_poke() - overwrite the byte at @offset of @path with @byte. */
void daemon_file_poke(const char *path, long offset, int byte);

/*
 * daemon_data_dir_remove() - remove what a daemon or a test puts in a data dir: DIR/state
 * (a file or an empty directory), DIR/state.tmp, then DIR. Missing ones are fine.
 */
void daemon_data_dir_remove(const char *dir);

#endif /* DAEMON_HARNESS_H */
