/* SPDX-License-Identifier: MIT */
/* udp_echo.c - a test node: echoes UDP datagrams on port 7007; can leave a daemonised child. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { ECHO_PORT = 7007 };

/*
 * With --daemon, first fork a child that leaves the process group (setsid) and sleeps, and
 * print "daemon <pid>" to stdout once it has left (the child says so down a pipe, so a
 * test that reads the line never sees it still in the group): only a cgroup-wide kill
 * catches it.
 */
static int daemon_fork(void)
{
	int ready[2];
	char byte = 0;
	pid_t pid;

	if (pipe(ready) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(ready[0]);
		setsid();
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1)      /* blocks until the child has left the group */
		return -1;
	close(ready[0]);
	printf("daemon %d\n", (int)pid);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
	struct sockaddr_in peer;
	socklen_t peer_len;
	char buf[512];
	ssize_t n;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "--daemon") && daemon_fork())
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("udp_echo: bind");
		return 1;
	}
	for (;;) {
		peer_len = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &peer_len);
		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len);
	}
}
