/* SPDX-License-Identifier: MIT */
/* chord_fixture.c - the chord checker's test run directory and checks (chord_fixture.h). */
#include "chord_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "checker_table.h"
#include "errbuf.h"

static char dir[64];
static char config_path[128];

const char *chord_fixture_dir(int spares)
{
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fl-chord-check-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
		snprintf(config_path, sizeof(config_path), "%s/config.json", dir);
	}
	f = fopen(config_path, "w");
	cr_assert_not_null(f);
	fprintf(f, "{\"nodes\":[{\"name\":\"n1\"},{\"name\":\"n2\"},{\"name\":\"n3\"},"
		"{\"name\":\"n4\"}],\"chord_bits\":16,\"chord_succ_list\":3,"
		"\"chord_settle_s\":0.5,\"chord_stabilize_s\":0.05,\"chord_spares\":%d}\n", spares);
	cr_assert_eq(fclose(f), 0);
	return dir;
}

void chord_fixture_remove(void)
{
	if (!dir[0])
		return;
	unlink(config_path);
	rmdir(dir);
	dir[0] = '\0';
}

enum verdict chord_fixture_check(const struct history *h, bool with_dir,
				 struct check_result *r)
{
	const struct checker_entry *e = checker_entry_find("chord");
	struct check_opts opts = { 0 };
	const struct checker *c;
	struct errbuf eb = { "" };
	struct check_run run = { .history = h, .dir = with_dir ? dir : NULL };

	cr_assert_not_null(e);
	cr_assert_eq(checker_make(e, NULL, &opts, &c, &eb), 0);
	check_result_init(r);
	cr_assert_eq(c->ops->check(c, &run, &opts, r, &eb), 0, "%s", eb.msg);
	checker_free((struct checker *)c);
	return r->verdict;
}

const char *chord_fixture_anomaly(const struct check_result *r, const char *kind,
				  const char *text)
{
	for (uint32_t k = 0; k < r->anomaly_count; k++) {
		const struct anomaly *a = &r->anomalies[k];

		if (strcmp(a->kind, kind) == 0 && (!text || strstr(a->message, text)))
			return a->message;
	}
	return NULL;
}
