/* SPDX-License-Identifier: MIT */
/* test_node_parts.c - what stream-node is built from beside the operator: the job's text, the
 * partition log's lines, the datagrams; and the operator's restore under the bug it seeds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "errbuf.h"
#include "stream_job.h"
#include "stream_operator.h"
#include "stream_wire.h"

TestSuite(stream_node_parts);

Test(stream_node_parts, a_job_reads_back_what_it_writes)
{
	struct stream_job job, again;
	char text[STREAM_JOB_TEXT_BYTES_MAX], text2[STREAM_JOB_TEXT_BYTES_MAX];
	struct errbuf eb = { "" };

	cr_assert_eq(stream_job_parse("sources=3,operators=4,window=sliding:1000:300,offset=-50,"
				      "lateness=500,out-of-order=200,idle-timeout=700,"
				      "checkpoint=250,agg=max,guarantee=at-least-once", &job,
				      &eb), 0, "%s", eb.msg);
	cr_expect_eq(job.sources, 3);
	cr_expect_eq(job.operators, 4);
	cr_expect_eq(job.spec.kind, STREAM_WINDOW_SLIDING);
	cr_expect_eq(job.spec.pane_ms, 100);
	cr_expect_eq(job.spec.offset_ms, 250, "offset -50 mod 300");
	cr_expect_eq(job.aggregate, STREAM_AGGREGATE_MAXIMUM);
	cr_expect(job.at_least_once);
	cr_expect_eq(stream_job_nodes(&job), 8);
	stream_job_format(&job, text, sizeof(text));
	cr_assert_eq(stream_job_parse(text, &again, &eb), 0, "%s: %s", text, eb.msg);
	stream_job_format(&again, text2, sizeof(text2));
	cr_expect_str_eq(text, text2);
	cr_assert_eq(stream_job_parse("", &job, &eb), 0, "every key has a default");
	cr_expect_eq(job.spec.size_ms, 1000);
	cr_expect_eq(job.out_of_order_ms, 300);
}

Test(stream_node_parts, a_bad_job_is_refused_naming_the_key)
{
	static const char *const bad[] = {
		"sources=0", "sources=17", "operators=x", "window=hopping:10", "window=sliding:10",
		"window=tumbling:0", "window=sliding:6400:100", "agg=avg", "guarantee=maybe",
		"checkpoint=10", "lateness=-1", "sources=2,sources=2", "colour=blue", "sources",
	};
	struct stream_job job;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct errbuf eb = { "" };

		cr_expect_eq(stream_job_parse(bad[i], &job, &eb), -EINVAL, "%s", bad[i]);
		cr_expect_neq(eb.msg[0], '\0', "%s: a message", bad[i]);
	}
}

Test(stream_node_parts, log_lines_read_back_and_bad_ones_are_refused)
{
	static const struct stream_record records[] = {
		{ .kind = STREAM_RECORD_EVENT, .id = 7, .key = 3, .time_ms = -4410, .value = 99 },
		{ .kind = STREAM_RECORD_WATERMARK, .time_ms = -4710 },
		{ .kind = STREAM_RECORD_IDLE }, { .kind = STREAM_RECORD_ACTIVE },
		{ .kind = STREAM_RECORD_BARRIER, .id = 12 }, { .kind = STREAM_RECORD_END },
	};
	static const char *const bad[] = {
		"", "e 1 2 3", "e 1 2 3 4 5", "e -1 2 3 4", "w", "w x", "b -3", "q", "i 1",
		"e 1 2 3 4 ", "e  1 2 3 4",
	};
	char line[STREAM_WIRE_LINE_BYTES_MAX];
	struct stream_record back;

	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
		size_t n = stream_record_line(&records[i], line);

		cr_assert_eq(line[n - 1], '\n');
		cr_assert_eq(stream_record_parse(line, n - 1, &back), 0, "%s", line);
		cr_expect_eq(back.kind, records[i].kind, "%s", line);
		cr_expect_eq(back.id, records[i].id, "%s", line);
		cr_expect_eq(back.key, records[i].key, "%s", line);
		cr_expect_eq(back.time_ms, records[i].time_ms, "%s", line);
		cr_expect_eq(back.value, records[i].value, "%s", line);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(stream_record_parse(bad[i], strlen(bad[i]), &back), -EBADMSG, "'%s'",
			     bad[i]);
}

Test(stream_node_parts, datagrams_round_trip_and_damaged_ones_are_refused)
{
	static struct stream_msg m, back;
	uint8_t buf[STREAM_WIRE_DATAGRAM_BYTES_MAX];
	struct errbuf eb = { "" };
	size_t n;

	m = (struct stream_msg){ .type = STREAM_MSG_RECORDS, .node = 1, .from = 40, .next = 90,
				 .count = STREAM_WIRE_RECORDS_MAX };
	for (uint32_t i = 0; i < m.count; i++)
		m.records[i] = (struct stream_record){ .kind = STREAM_RECORD_EVENT,
						       .offset = 40 + i, .id = i + 1, .key = i,
						       .time_ms = -(int64_t)i, .value = 5 };
	n = stream_msg_encode(&m, buf);
	cr_assert_leq(n, STREAM_WIRE_DATAGRAM_BYTES_MAX);
	cr_assert_eq(stream_msg_decode(buf, n, &back, &eb), 0, "%s", eb.msg);
	cr_expect_eq(back.count, m.count);
	cr_expect_eq(back.records[m.count - 1].offset, 40 + m.count - 1);
	cr_expect_eq(back.next, 90);
	cr_expect_eq(stream_msg_decode(buf, n - 1, &back, &eb), -EBADMSG, "truncated");
	buf[0] = 'Z';
	cr_expect_eq(stream_msg_decode(buf, n, &back, &eb), -EBADMSG, "unknown type");

	m = (struct stream_msg){ .type = STREAM_MSG_OUT, .node = 2, .incarnation = 3, .from = 8,
				 .count = STREAM_WIRE_EMITS_MAX };
	for (uint32_t i = 0; i < m.count; i++)
		m.emits[i] = (struct stream_emit){ .kind = STREAM_EMIT_PANE, .key = i,
						   .window_start_ms = -1000, .window_end_ms = 0,
						   .value = 4, .timing = STREAM_PANE_LATE,
						   .pane_index = 2, .watermark_ms = -1 };
	n = stream_msg_encode(&m, buf);
	cr_assert_eq(stream_msg_decode(buf, n, &back, &eb), 0, "%s", eb.msg);
	cr_expect_eq(back.incarnation, 3);
	cr_expect_eq(back.emits[3].timing, STREAM_PANE_LATE);
	buf[STREAM_WIRE_OUT_HEADER_BYTES + 33] = 9;     /* the first emit's timing */
	cr_expect_eq(stream_msg_decode(buf, n, &back, &eb), -EBADMSG, "a bad timing");
}

Test(stream_node_parts, keys_spread_over_every_operator)
{
	uint32_t seen[4] = { 0 };

	for (uint64_t key = 0; key < 64; key++)
		seen[stream_key_partition(key, 4)]++;
	for (int w = 0; w < 4; w++)
		cr_expect_gt(seen[w], 4, "operator %d gets %u of 64 keys", w, seen[w]);
}

/* One event for window [0, 10), fired by watermark 9; a snapshot; the restored copy. */
static struct stream_operator *fired_and_restored(uint32_t bugs, struct stream_outputs *out)
{
	struct stream_operator_config config = {
		.aggregate = STREAM_AGGREGATE_COUNT, .lateness_ms = 100, .inputs = 1,
		.pane_entries_max = 64, .window_entries_max = 64, .bugs = bugs,
	};
	struct stream_operator *first, *second;
	static uint8_t bytes[1 << 16];
	struct errbuf eb = { "" };
	ssize_t size;

	cr_assert_eq(stream_window_tumbling_init(&config.spec, 10, 0, &eb), 0);
	cr_assert_eq(stream_operator_new(&config, &first, &eb), 0, "%s", eb.msg);
	cr_assert_eq(stream_operator_new(&config, &second, &eb), 0, "%s", eb.msg);
	cr_assert_eq(stream_operator_event(first, 0, 1, 5, 3, 1, out, &eb), 0, "%s", eb.msg);
	cr_assert_eq(stream_operator_watermark(first, 0, 9, out, &eb), 0, "%s", eb.msg);
	cr_assert_eq(out->count, 2, "the on-time pane and the watermark");
	size = stream_operator_snapshot(first, bytes, sizeof(bytes));
	cr_assert_gt(size, 0);
	cr_assert_eq(stream_operator_restore(second, bytes, (size_t)size, &eb), 0, "%s", eb.msg);
	stream_operator_free(first);
	out->count = 0;
	return second;
}

/* FLINK-36663's shape: the restored operator forgets its watermark, so a replayed event of a
 * window that fired fires it on time a second time; the correct one fires a LATE pane. */
Test(stream_node_parts, a_restore_that_forgets_watermarks_fires_a_window_on_time_again)
{
	struct stream_output records[16];
	struct stream_outputs out = { .records = records, .capacity = 16 };
	struct errbuf eb = { "" };
	struct stream_operator *op;

	op = fired_and_restored(0, &out);
	cr_assert_eq(stream_operator_event(op, 0, 2, 5, 4, 1, &out, &eb), 0, "%s", eb.msg);
	cr_assert_eq(out.count, 1);
	cr_expect_eq(records[0].timing, STREAM_PANE_LATE);
	cr_expect_eq(records[0].pane_index, 1);
	stream_operator_free(op);

	out.count = 0;
	op = fired_and_restored(STREAM_BUG_WATERMARK_RESET_ON_RESTORE, &out);
	cr_assert_eq(stream_operator_event(op, 0, 2, 5, 4, 1, &out, &eb), 0, "%s", eb.msg);
	cr_expect_eq(out.count, 0, "no pane: the window counts as open");
	cr_assert_eq(stream_operator_watermark(op, 0, 9, &out, &eb), 0, "%s", eb.msg);
	cr_assert_geq(out.count, 1);
	cr_expect_eq(records[0].kind, STREAM_OUTPUT_PANE);
	cr_expect_eq(records[0].timing, STREAM_PANE_ON_TIME, "on time, a second time");
	cr_expect_eq(records[0].pane_index, 1);
	stream_operator_free(op);
}
