/* SPDX-License-Identifier: MIT */
/* test_capture.c - capture of a real 3-node cluster: every pair once, tcpdump, cap, flushing. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "cluster.h"
#include "errbuf.h"
#include "monotime.h"
#include "netns_probe.h"
#include "pcapng_walk.h"

enum {
	NODES = 3,
	REACH_MS = 1500,
	BLAST_PORT = 7009,
	BLAST_PAYLOAD_BYTES = 64,
	TCPDUMP_LINE_BYTES_MAX = 512,
	PATH_BYTES_MAX = 64,
};

typedef bool matrix_t[CLUSTER_NODES_MAX + 1][CLUSTER_NODES_MAX];

struct fixture {
	struct cluster *c;
	char run_id[16];
	char path[PATH_BYTES_MAX];
	pid_t echo[NODES];
};

static void fixture_up(struct fixture *f, const char *tag)
{
	struct cluster_opts opts = { .node_count = NODES };
	struct errbuf eb = { "" };
	const char *why = netns_skip_reason();
	int fd;

	if (why)
		cr_skip_test("%s", why);
	memset(f, 0, sizeof(*f));
	snprintf(f->run_id, sizeof(f->run_id), "%s%x", tag, (unsigned)getpid() & 0xffff);
	opts.run_id = f->run_id;
	cr_assert_eq(cluster_setup(&f->c, &opts, &eb), 0, "cluster_setup: %s", eb.msg);
	snprintf(f->path, sizeof(f->path), "/tmp/fl-capture-XXXXXX.pcapng");
	fd = mkstemps(f->path, 7);
	cr_assert_geq(fd, 0);
	close(fd);
	for (uint32_t i = 0; i < NODES; i++) {
		f->echo[i] = echo_start(cluster_node_ns_fd(f->c, i));
		cr_assert_gt(f->echo[i], 0);
	}
}

static void fixture_down(struct fixture *f)
{
	struct errbuf eb = { "" };

	for (uint32_t i = 0; i < NODES; i++)
		echo_stop(f->echo[i]);
	cr_assert_eq(cluster_teardown(f->c, &eb), 0, "%s", eb.msg);
	unlink(f->path);
}

/* UDP from every node to every other node (probe_matrix) and the echoes back. */
static void pairs_talk(struct fixture *f)
{
	matrix_t reached;

	probe_matrix(f->c, REACH_MS, reached);
	for (uint32_t s = 0; s < NODES; s++) {
		for (uint32_t d = 0; d < NODES; d++)
			cr_assert(s == d || reached[s][d], "n%u -> n%u not reached", s + 1, d + 1);
	}
}

static int node_of(uint32_t addr_be)
{
	uint32_t a = ntohl(addr_be);

	if ((a >> 8) != ((10u << 16) | (77u << 8)) || (a & 0xff) < 1 || (a & 0xff) > NODES)
		return -1;
	return (int)(a & 0xff) - 1;
}

struct seen {
	bool pair[NODES][NODES];        /* an IPv4 packet from node s to node d */
	uint32_t wrong_interface;       /* the sender is not the interface's node */
	uint32_t arp, ipv4;
};

static void seen_epb(void *ctx, uint32_t interface_id, uint64_t time_us, const uint8_t *p,
		     uint32_t captured_size, uint32_t original_size)
{
	struct seen *seen = ctx;
	uint32_t source, target;
	uint16_t type;

	cr_assert_geq(captured_size, 14);
	cr_assert_gt(time_us, 1600000000ull * 1000000, "a wall-clock timestamp in µs");
	type = (uint16_t)(p[12] << 8 | p[13]);
	if (type == 0x0806 && captured_size >= 14 + 28) {
		seen->arp++;
		memcpy(&source, p + 14 + 14, 4);        /* ARP sender protocol address */
		seen->wrong_interface += node_of(source) != (int)interface_id;
		return;
	}
	cr_assert_eq(type, 0x0800, "only ip or arp pass the filter, got %#x", type);
	cr_assert_geq(captured_size, 14 + 20);
	seen->ipv4++;
	memcpy(&source, p + 14 + 12, 4);
	memcpy(&target, p + 14 + 16, 4);
	seen->wrong_interface += node_of(source) != (int)interface_id;
	if (node_of(source) >= 0 && node_of(target) >= 0)
		seen->pair[node_of(source)][node_of(target)] = true;
}

static void capture_pairs(struct fixture *f, struct capture_stats *stats)
{
	struct capture *cap;
	struct errbuf eb = { "" };

	cr_assert_eq(capture_start(&cap, f->c, f->path, NULL, &eb), 0, "%s", eb.msg);
	pairs_talk(f);
	cr_assert_eq(capture_stop(cap, stats, &eb), 0, "%s", eb.msg);
	fprintf(stderr, "capture: %lu packets, %lu bytes, %lu kernel drops\n",
		(unsigned long)stats->packets, (unsigned long)stats->bytes_written,
		(unsigned long)stats->dropped_by_kernel);
}

Test(capture, every_ordered_pair_once_at_its_sender, .timeout = 60)
{
	struct capture_stats stats;
	struct walk_summary s;
	struct seen seen = { 0 };
	struct fixture f;
	size_t size;

	fixture_up(&f, "cpa");
	capture_pairs(&f, &stats);
	cr_assert_eq(pcapng_walk_file(f.path, &s, seen_epb, &seen, &size), 0, "%s", s.why);
	cr_assert_eq(size, stats.bytes_written);
	cr_assert_eq(s.epb_count, stats.packets);
	cr_assert_eq(s.idb_count, NODES);
	for (uint32_t i = 0; i < NODES; i++) {
		cr_assert_eq(s.linktype[i], 1);
		cr_assert_eq(s.snaplen[i], CAPTURE_SNAPLEN_DEFAULT);
		cr_assert_str_eq(s.if_name[i], cluster_node_name(f.c, i));
	}
	for (uint32_t a = 0; a < NODES; a++) {
		for (uint32_t b = 0; b < NODES; b++)
			cr_assert(a == b || seen.pair[a][b], "no packet n%u -> n%u", a + 1, b + 1);
	}
	cr_assert_eq(seen.wrong_interface, 0, "packets recorded at the receiver too");
	/* The cluster's neighbours are permanent entries (cluster_topology.c): nobody asks. */
	cr_assert_eq(seen.arp, 0, "%u ARP frames", seen.arp);
	cr_assert_not(stats.capped);
	cr_assert_eq(stats.dropped_by_cap, 0);
	cr_assert_eq(stats.dropped_by_kernel, 0);
	fixture_down(&f);
}

static const char *tcpdump_path(void)
{
	if (!access("/usr/sbin/tcpdump", X_OK))
		return "/usr/sbin/tcpdump";
	if (!access("/usr/bin/tcpdump", X_OK))
		return "/usr/bin/tcpdump";
	return NULL;
}

/* "... IP 10.77.0.1.40000 > 10.77.0.2.7007: UDP, length 11" -> pair[0][1]. */
static void tcpdump_line(const char *line, bool pair[NODES][NODES])
{
	unsigned int s, d;
	const char *ip = strstr(line, " IP 10.77.0.");
	const char *to = ip ? strstr(ip, " > 10.77.0.") : NULL;

	if (!to || sscanf(ip, " IP 10.77.0.%u.", &s) != 1 || sscanf(to, " > 10.77.0.%u.", &d) != 1)
		return;
	if (s >= 1 && s <= NODES && d >= 1 && d <= NODES)
		pair[s - 1][d - 1] = true;
}

Test(capture, tcpdump_reads_every_ordered_pair, .timeout = 60)
{
	char command[PATH_BYTES_MAX + 64], line[TCPDUMP_LINE_BYTES_MAX];
	bool pair[NODES][NODES] = { { false } };
	const char *tcpdump = tcpdump_path();
	struct capture_stats stats;
	struct fixture f;
	uint32_t lines = 0;
	FILE *out;
	int status;

	if (!tcpdump)
		cr_skip_test("tcpdump is not installed (apt-get install tcpdump): "
			     "cannot check that tcpdump reads the file");
	fixture_up(&f, "cpt");
	capture_pairs(&f, &stats);
	snprintf(command, sizeof(command), "%s -r %s -nn 2>&1", tcpdump, f.path);
	out = popen(command, "r");
	cr_assert(out);
	while (fgets(line, sizeof(line), out)) {
		tcpdump_line(line, pair);
		lines++;
	}
	status = pclose(out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %#x", command, status);
	cr_assert_geq(lines, stats.packets, "a line per packet");
	for (uint32_t a = 0; a < NODES; a++) {
		for (uint32_t b = 0; b < NODES; b++)
			cr_assert(a == b || pair[a][b], "tcpdump shows no 10.77.0.%u > 10.77.0.%u",
				  a + 1, b + 1);
	}
	fixture_down(&f);
}

/* In a child: a socket bound in @target's namespace swallows what one in @source's sends. */
static uint64_t blast_run(const struct cluster *c, uint32_t source, uint32_t target,
			  uint32_t rate_pps, int duration_ms)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(BLAST_PORT),
				  .sin_addr = cluster_node_addr(c, target) };
	struct timespec pause = { .tv_nsec = 100000 };
	char payload[BLAST_PAYLOAD_BYTES] = "blast";
	int64_t start, now;
	uint64_t sent = 0;
	int rx, tx;

	if (setns(cluster_node_ns_fd(c, target), CLONE_NEWNET))
		_exit(2);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx < 0 || bind(rx, (struct sockaddr *)&to, sizeof(to)))
		_exit(3);
	if (setns(cluster_node_ns_fd(c, source), CLONE_NEWNET))
		_exit(4);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (tx < 0 || connect(tx, (struct sockaddr *)&to, sizeof(to)))
		_exit(5);
	start = monotime_ns();
	while ((now = monotime_ns()) < start + (int64_t)duration_ms * 1000000) {
		if (rate_pps && sent >= (uint64_t)(now - start) * rate_pps / 1000000000u) {
			nanosleep(&pause, NULL);
			continue;
		}
		sent += send(tx, payload, sizeof(payload), 0) == (ssize_t)sizeof(payload);
	}
	return sent;
}

/* n1 -> n2, n2 -> n3, n3 -> n1 at once, each at @rate_pps (0: as fast as it can). */
static uint64_t blast_all(struct fixture *f, uint32_t rate_pps, int duration_ms)
{
	uint64_t total = 0, sent;
	pid_t pids[NODES];
	int result[2];

	cr_assert_eq(pipe(result), 0);
	for (uint32_t i = 0; i < NODES; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			sent = blast_run(f->c, i, (i + 1) % NODES, rate_pps, duration_ms);
			_exit(write(result[1], &sent, sizeof(sent)) == sizeof(sent) ? 0 : 6);
		}
	}
	for (uint32_t i = 0; i < NODES; i++) {
		int status;

		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "blaster %u: %#x", i,
			  status);
		cr_assert_eq(read(result[0], &sent, sizeof(sent)), (ssize_t)sizeof(sent));
		total += sent;
	}
	close(result[0]);
	close(result[1]);
	return total;
}

Test(capture, cap_of_4096_bytes_is_never_exceeded, .timeout = 60)
{
	struct capture_opts opts = { .bytes_max = 4096 };
	struct capture_stats stats;
	struct walk_summary s;
	struct errbuf eb = { "" };
	struct capture *cap;
	struct fixture f;
	size_t size;

	fixture_up(&f, "cpc");
	cr_assert_eq(capture_start(&cap, f.c, f.path, &opts, &eb), 0, "%s", eb.msg);
	pairs_talk(&f);
	blast_all(&f, 5000, 300);
	cr_assert_eq(capture_stop(cap, &stats, &eb), 0, "%s", eb.msg);
	cr_assert_eq(pcapng_walk_file(f.path, &s, NULL, NULL, &size), 0, "%s", s.why);
	cr_assert_leq(size, 4096);
	cr_assert_eq(size, stats.bytes_written);
	cr_assert(stats.capped);
	cr_assert_gt(stats.dropped_by_cap, 0);
	cr_assert_eq(s.epb_count, stats.packets);
	cr_assert_gt(stats.packets, 0);
	fixture_down(&f);
}

Test(capture, file_is_readable_while_capturing, .timeout = 60)
{
	struct capture_stats stats;
	struct walk_summary s;
	struct errbuf eb = { "" };
	struct capture *cap;
	struct fixture f;
	int64_t sent_ns, lag_ns;

	fixture_up(&f, "cpf");
	cr_assert_eq(capture_start(&cap, f.c, f.path, NULL, &eb), 0, "%s", eb.msg);
	cr_assert_eq(pcapng_walk_file(f.path, &s, NULL, NULL, NULL), 0, "%s", s.why);
	cr_assert_eq(s.idb_count, NODES, "the header is on disk at once");
	pairs_talk(&f);
	sent_ns = monotime_ns();
	do {
		usleep(5000);
		cr_assert_eq(pcapng_walk_file(f.path, &s, NULL, NULL, NULL), 0, "%s", s.why);
		lag_ns = monotime_ns() - sent_ns;
	} while (s.epb_count == 0 && lag_ns < 1000000000);
	fprintf(stderr, "capture: first packets on disk %.1f ms after sending\n",
		(double)lag_ns / 1e6);
	cr_assert_gt(s.epb_count, 0);
	cr_assert_leq(lag_ns, (int64_t)CAPTURE_FLUSH_MS * 2 * 1000000);
	cr_assert_eq(capture_stop(cap, &stats, &eb), 0, "%s", eb.msg);
	fixture_down(&f);
}

Test(capture, refuses_options_it_cannot_honour, .timeout = 60)
{
	struct capture_opts big = { .snaplen = CAPTURE_SNAPLEN_MAX + 1 };
	struct capture_opts tiny = { .bytes_max = 100 };    /* SHB + 3 IDBs need 124 */
	struct errbuf eb = { "" };
	struct capture *cap;
	struct fixture f;

	fixture_up(&f, "cpo");
	cr_assert_eq(capture_start(&cap, f.c, f.path, &big, &eb), -EINVAL);
	cr_assert_null(cap);
	cr_assert_neq(eb.msg[0], 0);
	cr_assert_eq(capture_start(&cap, f.c, f.path, &tiny, &eb), -EINVAL);
	cr_assert_null(cap);
	cr_assert(strstr(eb.msg, "bytes_max"), "%s", eb.msg);
	cr_assert_eq(capture_stop(NULL, NULL, NULL), 0);
	fixture_down(&f);
}

static void figures(struct fixture *f, uint32_t rate_pps, bool assert_no_drops)
{
	struct capture_opts opts = { .bytes_max = 1ull << 30 };
	struct capture_stats stats;
	struct errbuf eb = { "" };
	struct capture *cap;
	uint64_t sent;
	int64_t start;
	double seconds;

	cr_assert_eq(capture_start(&cap, f->c, f->path, &opts, &eb), 0, "%s", eb.msg);
	start = monotime_ns();
	sent = blast_all(f, rate_pps, 1000);
	cr_assert_eq(capture_stop(cap, &stats, &eb), 0, "%s", eb.msg);
	seconds = (double)(monotime_ns() - start) / 1e9;
	fprintf(stderr, "figures: %u pps per sender (0 = flat out), 3 senders, %d-byte UDP: "
		"sent %lu, captured %lu (%.0f/s), kernel drops %lu, file %.1f MB (%.2f MB/s)\n",
		rate_pps, BLAST_PAYLOAD_BYTES, (unsigned long)sent, (unsigned long)stats.packets,
		(double)stats.packets / seconds, (unsigned long)stats.dropped_by_kernel,
		(double)stats.bytes_written / 1e6, (double)stats.bytes_written / 1e6 / seconds);
	cr_assert_not(stats.capped);
	if (!assert_no_drops)
		return;
	cr_assert_eq(stats.dropped_by_kernel, 0);
	cr_assert_geq(stats.packets, sent);
}

Test(capture, figures_rate_and_file_size, .timeout = 120)
{
	struct fixture f;

	fixture_up(&f, "cpr");
	figures(&f, 10000, true);
	figures(&f, 0, false);
	fixture_down(&f);
}
