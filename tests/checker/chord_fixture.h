/* SPDX-License-Identifier: MIT */
/* chord_fixture.h - test support for the chord checker: a run directory whose config.json
 * names four nodes (16-bit ids, sorted: n4 3029, n3 3130, n1 45138, n2 51080; r = 3;
 * S = 500 ms), the check of a built history against it, and finding anomalies. */
#ifndef CHORD_FIXTURE_H
#define CHORD_FIXTURE_H

#include <stdbool.h>

#include "checker.h"
#include "hist.h"

/* chord_fixture_dir() - make the run directory with @spares spares (the last nodes: n4);
 * again to rewrite config.json. Its path, static. */
const char *chord_fixture_dir(int spares);

/* chord_fixture_remove() - remove the run directory. */
void chord_fixture_remove(void);

/* chord_fixture_check() - check @h with the chord checker into @r (init'ed here), with the
 * run directory or without it. Asserts the checker runs; returns the verdict. */
enum verdict chord_fixture_check(const struct history *h, bool with_dir,
				 struct check_result *r);

/* chord_fixture_anomaly() - the message of the first anomaly of @kind in @r whose message
 * holds @text (NULL: any), or NULL. */
const char *chord_fixture_anomaly(const struct check_result *r, const char *kind,
				  const char *text);

#endif /* CHORD_FIXTURE_H */
