/* SPDX-License-Identifier: MIT */
/* test_wire.c - the job declaration and the protocol lines: round trips, and bad lines
 * refused with a message. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "errbuf.h"
#include "mr_job.h"
#include "mr_wire.h"

static void round_trip(const struct mr_wire_msg *in, const char *expected)
{
	char line[MR_WIRE_LINE_BYTES_MAX];
	struct mr_wire_msg out;
	struct errbuf eb;
	int size = mr_wire_format(in, line, sizeof(line));

	cr_assert_gt(size, 0);
	if (expected)
		cr_assert_str_eq(line, expected);
	cr_assert_eq(mr_wire_parse(line, (size_t)size - 1, &out, &eb), 0, "%s: %s", line, eb.msg);
	cr_assert_eq(memcmp(in, &out, sizeof(out)), 0, "%s", line);
}

Test(mapreduce_wire, every_request_round_trips)
{
	struct mr_wire_msg m;

	memset(&m, 0, sizeof(m));
	m = (struct mr_wire_msg){ .kind = MR_WIRE_HEARTBEAT, .worker = 3, .incarnation = 7 };
	round_trip(&m, "hb 3 7\n");
	m.kind = MR_WIRE_REQUEST;
	round_trip(&m, "req 3 7\n");
	m = (struct mr_wire_msg){ .kind = MR_WIRE_MAP_DONE, .worker = 1, .incarnation = 2,
				  .job = 7, .index = 5, .attempt = 2, .counters = { 10, 20, 0, 0 },
				  .size_count = 3, .sizes = { 100, 0, 18446744073709551615u } };
	round_trip(&m, "mapdone 1 2 7 5 2 100,0,18446744073709551615 10,20,0,0\n");
	m = (struct mr_wire_msg){ .kind = MR_WIRE_REDUCE_DONE, .worker = 63, .incarnation = 1,
				  .job = 1, .index = 4, .attempt = 1, .counters = { 0, 0, 5, 50 },
				  .digest = 0x00ab0000000000cdu };
	round_trip(&m, "reducedone 63 1 1 4 1 0,0,5,50 00ab0000000000cd\n");
	m = (struct mr_wire_msg){ .kind = MR_WIRE_FETCH_FAILED, .worker = 2, .incarnation = 9,
				  .job = 3, .index = 1, .attempt = 3, .map = 1023, .holder = 0 };
	round_trip(&m, "fetchfail 2 9 3 1 3 1023 0\n");
	m = (struct mr_wire_msg){ .kind = MR_WIRE_SUBMIT, .job = 12 };
	round_trip(&m, "submit 12\n");
	m = (struct mr_wire_msg){ .kind = MR_WIRE_STATUS, .job = 12 };
	round_trip(&m, "status 12\n");
	m = (struct mr_wire_msg){ .kind = MR_WIRE_LAST };
	round_trip(&m, "last\n");
}

Test(mapreduce_wire, bad_requests_are_refused_saying_what)
{
	static const char *const bad[] = {
		"", "hb", "hb 3", "hb 3 7 1", "hb  3 7", "hb 3 7 ", "hb 03 7", "hb 64 7",
		"hb -1 7", "HB 3 7", "req 3 18446744073709551616", "mapdone 1 2 1 5 2 1,,2 1,2,3,4",
		"mapdone 1 2 1 5 2 1,2 1,2,3", "mapdone 1 2 1 5 2 1,2 1,2,3,4,5",
		"mapdone 1 2 5 2 1,2 1,2,3,4", "reducedone 1 1 1 0 1 0,0,5,50 00AB0000000000CD",
		"reducedone 1 1 1 0 1 0,0,5,50 ab", "fetchfail 2 9 1 1 3 1024 0",
		"fetchfail 2 9 1 1 3 1 64", "status", "status 0", "submit", "submit 1 2", "last 1",
		"nonsense",
	};
	struct mr_wire_msg m;
	struct errbuf eb;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(mr_wire_parse(bad[i], strlen(bad[i]), &m, &eb), -EINVAL, "'%s'",
			     bad[i]);
		cr_assert_neq(eb.msg[0], '\0');
	}
	cr_assert_eq(mr_wire_parse("hb 3 x", 6, &m, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "incarnation") != NULL, "%s", eb.msg);
}

Test(mapreduce_wire, assignments_round_trip)
{
	static struct mr_wire_assignment a, b;
	char line[MR_WIRE_LINE_BYTES_MAX];
	struct errbuf eb;
	int size;

	a.a = (struct mr_assignment){ .reply = MR_REPLY_WAIT };
	cr_assert_eq(mr_wire_assignment_format(&a, line, sizeof(line)), 5);
	cr_assert_str_eq(line, "wait\n");
	a.a = (struct mr_assignment){ MR_REPLY_TASK, MR_MAP, 7, 2, true };
	a.job = 4;
	size = mr_wire_assignment_format(&a, line, sizeof(line));
	cr_assert_str_eq(line, "map 4 7 2 1\n");
	cr_assert_eq(mr_wire_assignment_parse(line, (size_t)size - 1, &b, &eb), 0, "%s", eb.msg);
	cr_assert_eq(memcmp(&a.a, &b.a, sizeof(a.a)), 0);
	a.a = (struct mr_assignment){ MR_REPLY_TASK, MR_REDUCE, 3, 1, false };
	a.maps = MR_MAPS_MAX;
	for (uint32_t m = 0; m < MR_MAPS_MAX; m++) {
		a.holders[m] = m % 7 == 0 ? MR_WORKER_NONE : m % MR_WORKERS_MAX;
		a.sizes[m] = m % 7 == 0 ? 0 : 1000000000000u + m;
	}
	size = mr_wire_assignment_format(&a, line, sizeof(line));
	cr_assert_gt(size, 0, "a reduce of the most maps fits a line");
	cr_assert(strncmp(line, "reduce 4 3 1 0 -,1:1000000000001,", 33) == 0, "%.40s", line);
	cr_assert_eq(mr_wire_assignment_parse(line, (size_t)size - 1, &b, &eb), 0, "%s", eb.msg);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	cr_assert_eq(mr_wire_assignment_parse("reduce 1 3 1 0 1:5,x", 20, &b, &eb), -EINVAL);
	cr_assert_eq(mr_wire_assignment_parse("map 1 3 1 2", 11, &b, &eb), -EINVAL);
	cr_assert_eq(mr_wire_assignment_parse("map 3 1 0", 9, &b, &eb), -EINVAL, "no job");
	cr_assert_eq(mr_wire_assignment_parse("exit now", 8, &b, &eb), -EINVAL);
}

Test(mapreduce_wire, file_requests)
{
	uint32_t map, reduce;
	uint64_t job;
	struct errbuf eb;

	cr_assert_eq(mr_wire_get_parse("get 5 12 3", 10, &job, &map, &reduce, &eb), 0);
	cr_assert_eq(job, 5);
	cr_assert_eq(map, 12);
	cr_assert_eq(reduce, 3);
	cr_assert_eq(mr_wire_get_parse("get 5 12 256", 12, &job, &map, &reduce, &eb), -EINVAL);
	cr_assert_eq(mr_wire_get_parse("put 5 1 2", 9, &job, &map, &reduce, &eb), -EINVAL);
	cr_assert_eq(mr_wire_get_parse("get 1 2", 7, &job, &map, &reduce, &eb), -EINVAL);
}

Test(mapreduce_job, defaults_round_trip_and_keys_parse)
{
	struct mr_job job, back;
	struct mr_app app;
	char text[MR_JOB_TEXT_BYTES_MAX];
	struct errbuf eb;

	mr_job_defaults(&job);
	mr_job_format(&job, text, sizeof(text));
	cr_assert_str_eq(text, "app=wc,maps=8,reduces=5,heartbeat=100,worker-dead=1000,"
			       "task-timeout=10000,backup-after=500,backup-percent=20,crash=0");
	cr_assert_eq(mr_job_parse(text, &back, &eb), 0, "%s", eb.msg);
	cr_assert_eq(memcmp(&job, &back, sizeof(job)), 0);
	cr_assert_eq(mr_job_parse("app=grep:a b;c,maps=3,crash=333", &job, &eb), 0, "%s", eb.msg);
	cr_assert_eq(job.maps, 3);
	cr_assert_eq(job.crash_permille, 333);
	cr_assert_eq(job.reduces, 5, "a key not given keeps its default");
	cr_assert_eq(mr_job_app(&job, &app, &eb), 0);
	cr_assert_str_eq(app.param, "a b;c");
}

Test(mapreduce_job, bad_declarations_are_refused_naming_the_key)
{
	static const char *const bad[] = {
		"app=sort", "app=grep", "app=wc:x", "maps=0", "maps=1025", "reduces=257",
		"crash=1001", "backup-percent=101", "heartbeat=0", "maps=8,maps=8", "maps",
		"color=red", "maps=-1", "maps=1x",
	};
	struct mr_job job;
	struct errbuf eb;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(mr_job_parse(bad[i], &job, &eb), -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(mr_job_parse("maps=1025", &job, &eb), -EINVAL);
	cr_assert(strstr(eb.msg, "maps=1025") != NULL && strstr(eb.msg, "1..1024") != NULL,
		  "%s", eb.msg);
}
