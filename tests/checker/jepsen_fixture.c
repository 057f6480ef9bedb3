/* SPDX-License-Identifier: MIT */
/* jepsen_fixture.c - test support: EDN histories through the importer, anomaly counts. */
#include "jepsen_fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "jepsen_import.h"

void jepsen_fixture_load_edn(struct history *h, const char *edn)
{
	char path[] = "/tmp/jepsen_fixture_XXXXXX";
	enum jepsen_form form = JEPSEN_FORM_JSONL;
	struct errbuf eb = { "" };
	size_t size = strlen(edn);
	int fd = mkstemp(path);
	int err;

	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, edn, size), (ssize_t)size);
	cr_assert_eq(close(fd), 0);
	err = jepsen_import_load(h, path, NULL, &form, &eb);
	unlink(path);
	cr_assert_eq(err, 0, "%s", eb.msg);
	cr_assert_eq(form, JEPSEN_FORM_EDN);
}

uint32_t jepsen_fixture_kind_count(const struct check_result *r, const char *kind)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < r->anomaly_count; k++)
		n += strcmp(r->anomalies[k].kind, kind) == 0;
	return n;
}

int jepsen_fixture_check(const struct checker *checker, const struct history *h,
			 const struct check_opts *opts, struct check_result *r)
{
	struct check_opts defaults = { .model = NULL };
	struct errbuf eb = { "" };

	check_result_fini(r);
	check_result_init(r);
	return check_history(checker, h, opts ? opts : &defaults, r, &eb);
}
