/* SPDX-License-Identifier: MIT */
/* jepsen_fixture.h - test support for the Jepsen checkers: EDN text loaded through the
 * importer, and counting a result's anomalies by kind. */
#ifndef JEPSEN_FIXTURE_H
#define JEPSEN_FIXTURE_H

#include <stdint.h>

#include "checker.h"
#include "hist.h"

/* jepsen_fixture_load_edn() - write @edn to a temp file and jepsen_import_load() it into @h
 * (hist_fini() it); the file is removed. Asserts it loads as EDN. */
void jepsen_fixture_load_edn(struct history *h, const char *edn);

/* jepsen_fixture_kind_count() - the anomalies of @kind kept in @r. */
uint32_t jepsen_fixture_kind_count(const struct check_result *r, const char *kind);

/* jepsen_fixture_check() - check @h with @checker and @opts (NULL: defaults) into @r
 * (fini'd and init'ed first); returns the checker's return value. */
int jepsen_fixture_check(const struct checker *checker, const struct history *h,
			 const struct check_opts *opts, struct check_result *r);

#endif /* JEPSEN_FIXTURE_H */
