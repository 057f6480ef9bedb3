/* SPDX-License-Identifier: MIT */
/* campaign_nemesis.c - the fault schedule: heal, fault, heal, ... and always a final heal. */
#include "campaign_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "fl_assert.h"
#include "log.h"
#include "monotime.h"
#include "nemesis.h"

struct nemesis_thread {
	struct campaign *cp;
	struct prng prng;
	int err;
	struct errbuf eb;
};

static struct nemesis_thread nemesis_thread_state;

/* Records invoke, performs it, records the info completion (Jepsen: nemesis ops end in info). */
static int nemesis_op(struct campaign *cp, struct prng *prng, const char *f, const char *arg,
		      struct errbuf *eb)
{
	struct nem_request req = { .f = f, .arg = arg };
	struct nem_completion done;
	struct op inv = { .type = OP_INVOKE, .process = OP_PROCESS_NEMESIS, .f = f };
	struct op info;
	int err;

	inv.value = arg ? (struct op_value){ .kind = OP_VALUE_JSON, .json = arg }
			: (struct op_value){ .kind = OP_VALUE_NULL };
	err = campaign_record(cp, &inv, eb);
	if (err < 0)
		return err;
	err = nem_invoke(cp->nemesis, &req, prng, &done, eb);
	info = inv;
	info.type = OP_INFO;
	if (err < 0) {
		info.error = eb ? eb->msg : "nemesis failed";
	} else if (done.value[0]) {
		info.value = (struct op_value){ .kind = OP_VALUE_JSON, .json = done.value };
	}
	atomic_fetch_add(&cp->nemesis_ops, 1);
	/* A failed fault is recorded and the campaign goes on; a failed heal is fatal. */
	if (campaign_record(cp, &info, NULL) < 0 || (err < 0 && strcmp(f, "stop-partition") == 0))
		return err < 0 ? err : -EIO;
	if (err < 0)
		log_warn("nemesis %s failed: %s", f, eb ? eb->msg : "");
	return 0;
}

static void sleep_until_or_done(struct campaign *cp, int64_t deadline_ns)
{
	while (monotime_ns() < deadline_ns && !atomic_load(&cp->clients_done) &&
	       !campaign_stopping()) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 20000000 };

		nanosleep(&ts, NULL);
	}
}

static void *nemesis_thread_main(void *arg)
{
	struct nemesis_thread *t = arg;
	struct campaign *cp = t->cp;
	const struct campaign_opts *o = cp->opts;
	int64_t interval = (int64_t)(o->nemesis_interval_s * 1e9);
	int64_t next = cp->start_ns + interval;
	char shape_arg[64];
	uint32_t shape_count = 0;
	bool faulted = false;

	while (o->shapes[shape_count])
		shape_count++;
	ASSERT(shape_count > 0);
	for (;;) {
		sleep_until_or_done(cp, next);
		if (atomic_load(&cp->clients_done) || campaign_stopping())
			break;
		next += interval;
		if (!faulted) {
			const char *shape = o->shapes[prng_below(&t->prng, shape_count)];

			snprintf(shape_arg, sizeof(shape_arg), "\"%s\"", shape);
			atomic_store(&cp->fault_name, shape);
			t->err = nemesis_op(cp, &t->prng, "start-partition", shape_arg, &t->eb);
		} else {
			t->err = nemesis_op(cp, &t->prng, "stop-partition", NULL, &t->eb);
			atomic_store(&cp->fault_name, "none");
		}
		faulted = !faulted;
		if (t->err < 0)
			break;
	}
	return NULL;
}

int campaign_nemesis_start(struct campaign *cp, pthread_t *thread, struct errbuf *eb)
{
	struct nemesis_thread *t = &nemesis_thread_state;
	int err;

	*t = (struct nemesis_thread){ .cp = cp };
	prng_split(&cp->prng, 1, &t->prng);
	err = -pthread_create(thread, NULL, nemesis_thread_main, t);
	if (err < 0)
		return errbuf_set(eb, err, "cannot start the nemesis thread");
	return 0;
}

/* Joins the schedule, then heals everything: the final generator of Jepsen's packages. */
int campaign_nemesis_finish(struct campaign *cp, pthread_t thread, struct errbuf *eb)
{
	struct nemesis_thread *t = &nemesis_thread_state;
	int err;

	pthread_join(thread, NULL);
	err = nemesis_op(cp, &t->prng, "stop-partition", NULL, eb);
	atomic_store(&cp->fault_name, "none");
	if (t->err < 0) {
		if (eb)
			*eb = t->eb;
		return t->err;
	}
	return err;
}
