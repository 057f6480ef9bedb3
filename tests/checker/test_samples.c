/* SPDX-License-Identifier: MIT */
/* test_samples.c - every sample history under histories/samples/{crdt,lww} gets its verdict. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "crdt_model.h"
#include "checker.h"
#include "errbuf.h"
#include "hist.h"
#include "lww_check.h"

#ifndef SAMPLES_DIR
#error "SAMPLES_DIR must name histories/samples/crdt"
#endif
#ifndef LWW_SAMPLES_DIR
#error "LWW_SAMPLES_DIR must name histories/samples/lww"
#endif

TestSuite(samples);

/*
 * File names: <verdict>_<model>[_<kind>]_<what>.jsonl, where <kind> (invalid ones only) is the
 * anomaly kind that must be reported; and invalid_canary_<model>.jsonl, which must be rejected
 * with a divergence and a phantom (element, increment or value). The model "lww" is checked
 * by lww_checker, the others by crdt_checker.
 */
struct sample {
	char name[256];
	enum verdict verdict;
	enum crdt_model model;          /* CRDT_MODEL_NONE for lww */
	bool lww;
	bool canary;
	char kind[64];
};

static bool sample_parse(const char *file, struct sample *s)
{
	char copy[256], *save = NULL, *tok[4] = { NULL };
	int n = 0;

	memset(s, 0, sizeof(*s));
	if (strlen(file) < 7 || strcmp(file + strlen(file) - 6, ".jsonl") != 0)
		return false;
	snprintf(s->name, sizeof(s->name), "%s", file);
	snprintf(copy, sizeof(copy), "%.*s", (int)(strlen(file) - 6), file);
	for (char *t = strtok_r(copy, "_", &save); t && n < 4; t = strtok_r(NULL, "_", &save))
		tok[n++] = t;
	cr_assert(n >= 2, "%s: name too short", file);
	if (strcmp(tok[0], "valid") == 0)
		s->verdict = VERDICT_VALID;
	else if (strcmp(tok[0], "invalid") == 0)
		s->verdict = VERDICT_INVALID;
	else if (strcmp(tok[0], "unknown") == 0)
		s->verdict = VERDICT_UNKNOWN;
	else
		cr_assert_fail("%s: name must start valid_, invalid_ or unknown_", file);
	s->canary = strcmp(tok[1], "canary") == 0;
	cr_assert(!s->canary || n >= 3, "%s: canary without a model", file);
	s->lww = strcmp(s->canary ? tok[2] : tok[1], "lww") == 0;
	cr_assert(s->lww || crdt_model_parse(s->canary ? tok[2] : tok[1], &s->model) == 0,
		  "%s: no model in the name", file);
	if (s->verdict == VERDICT_INVALID && !s->canary) {
		cr_assert(n >= 3, "%s: invalid sample without an anomaly kind", file);
		snprintf(s->kind, sizeof(s->kind), "%s", tok[2]);
	}
	return true;
}

static bool reported(const struct check_result *r, const char *kind)
{
	for (uint32_t k = 0; k < r->anomaly_count; k++)
		if (strcmp(r->anomalies[k].kind, kind) == 0)
			return true;
	return false;
}

static void check_sample(const struct sample *s, const struct history *h, enum crdt_model model)
{
	struct check_opts o = { .model = model == CRDT_MODEL_NONE ? NULL : crdt_model_name(model) };
	struct check_result r;
	struct errbuf eb = { .msg = "" };

	check_result_init(&r);
	check_history(s->lww ? &lww_checker : &crdt_checker, h, &o, &r, &eb);
	cr_expect_eq(r.verdict, s->verdict, "%s (model %s): verdict %s, expected %s; %s%s",
		     s->name, s->lww ? "lww" : crdt_model_name(model), verdict_name(r.verdict),
		     verdict_name(s->verdict), r.unknown_reason,
		     r.anomaly_count ? r.anomalies[0].message : "");
	if (s->kind[0])
		cr_expect(reported(&r, s->kind), "%s: no %s reported", s->name, s->kind);
	if (s->canary) {
		cr_expect(reported(&r, "divergence"), "%s: canary without divergence", s->name);
		cr_expect(reported(&r, "phantom-element") || reported(&r, "phantom-increment") ||
			  reported(&r, "phantom-value"), "%s: canary without a phantom", s->name);
	}
	if (model == CRDT_MODEL_NONE && !s->lww)
		cr_expect_str_eq(r.model, crdt_model_name(s->model), "%s: inferred model", s->name);
	if (s->lww)
		cr_expect_str_eq(r.model, "lww", "%s: model", s->name);
	check_result_fini(&r);
}

static int for_each_sample_in(const char *samples_dir,
			      void (*fn)(const struct sample *s, const struct history *h))
{
	struct dirent *de;
	DIR *dir = opendir(samples_dir);
	int seen = 0;

	cr_assert(dir, "cannot open %s", samples_dir);
	while ((de = readdir(dir))) {
		char path[1024];
		struct sample s;
		struct history h;
		struct errbuf eb = { .msg = "" };

		if (!sample_parse(de->d_name, &s))
			continue;
		snprintf(path, sizeof(path), "%s/%s", samples_dir, de->d_name);
		cr_assert_eq(hist_load(&h, path, &eb), 0, "%s: %s", path, eb.msg);
		fn(&s, &h);
		hist_fini(&h);
		seen++;
	}
	closedir(dir);
	return seen;
}

static int for_each_sample(void (*fn)(const struct sample *s, const struct history *h))
{
	return for_each_sample_in(SAMPLES_DIR, fn);
}

static void named_model(const struct sample *s, const struct history *h)
{
	check_sample(s, h, s->model);
}

static void inferred_model(const struct sample *s, const struct history *h)
{
	check_sample(s, h, CRDT_MODEL_NONE);
}

static int canaries;

static void canary_every_model(const struct sample *s, const struct history *h)
{
	if (!s->canary)
		return;
	canaries++;
	check_sample(s, h, s->model);
	/* The G-Set canary is a valid OR-Set history shape: the OR-Set checker must reject it
	 * too. (The OR-Set canary has removes, which a G-Set checker refuses as input.) */
	if (s->model == CRDT_MODEL_GSET)
		check_sample(s, h, CRDT_MODEL_ORSET);
}

/* An lww sample is recognised as lww, and a CRDT one is not. */
static void detected(const struct sample *s, const struct history *h)
{
	cr_expect_eq(lww_history_detect(h), s->lww, "%s: lww_history_detect", s->name);
}

Test(samples, every_sample_gets_its_named_verdict)
{
	cr_expect_geq(for_each_sample(named_model), 20);
}

Test(samples, inferred_model_matches_the_name)
{
	for_each_sample(inferred_model);
}

Test(samples, canaries_are_rejected_by_every_model)
{
	canaries = 0;
	for_each_sample(canary_every_model);
	for_each_sample_in(LWW_SAMPLES_DIR, canary_every_model);
	cr_expect_geq(canaries, 4, "one canary per model");
}

Test(samples, every_lww_sample_gets_its_named_verdict)
{
	cr_expect_geq(for_each_sample_in(LWW_SAMPLES_DIR, named_model), 10);
}

Test(samples, lww_histories_are_told_from_crdt_ones)
{
	for_each_sample(detected);
	for_each_sample_in(LWW_SAMPLES_DIR, detected);
}
