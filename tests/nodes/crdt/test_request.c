/* SPDX-License-Identifier: MIT */
/* test_request.c - adversarial client lines: exactly one well-formed reply, no state change
 * on "err", no crash (the parser and the step function, no sockets). */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "crdt_harness.h"
#include "prng.h"

enum { LINE_BYTES_MAX = 320, DIGEST_BYTES_MAX = 1 << 16, ROUNDS = 20000 };

TestSuite(crdt_request, .fini = harness_teardown);

static const char *const reasons[] = {
	"bad syntax", "unknown verb", "unknown type", "bad object name", "bad integer",
	"negative delta", "remove not supported by gcounter", "remove not supported by gset",
	"type mismatch", "full", "overflow", "busy",
};

static const char *const names[] = { "a", "b", "c-1", "Z_9",
	"abcdefghijklmnopqrstuvwxyz012345" /* 32: the limit */ };

/* exchange() - what the daemon does with one line of @size bytes: one reply line. */
static const char *exchange(uint32_t i, const char *line, size_t size)
{
	struct crdt_input in = { .kind = CRDT_INPUT_CLIENT };
	struct errbuf eb = { "" };

	if (crdt_request_parse(line, size, &in.request, &eb) < 0) {
		snprintf(harness_reply, sizeof(harness_reply), "err %s\n", eb.msg);
		return harness_reply;
	}
	cr_assert_eq(crdt_step(harness_r[i], &in, 0, &harness_out), 0);
	cr_assert(harness_out.reply_size > 0);
	cr_assert_eq(strlen(harness_out.reply), harness_out.reply_size);
	memcpy(harness_reply, harness_out.reply, harness_out.reply_size + 1);
	harness_drop();
	return harness_reply;
}

static bool is_int64(const char *p, size_t size)
{
	char buf[32], *end;
	long long v;

	if (size == 0 || size >= sizeof(buf))
		return false;
	memcpy(buf, p, size);
	buf[size] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	(void)v;
	return errno == 0 && *end == '\0' && buf[0] != '+' && buf[0] != ' ';
}

/* well_formed() - "ok" [" " int64]* "\n", or "err <known reason>\n"; one line. */
static bool well_formed(const char *reply)
{
	size_t size = strlen(reply);
	const char *p;

	if (size == 0 || reply[size - 1] != '\n' || memchr(reply, '\n', size) != reply + size - 1)
		return false;
	if (strncmp(reply, "err ", 4) == 0) {
		for (size_t k = 0; k < ARRAY_SIZE(reasons); k++) {
			if (strlen(reasons[k]) == size - 5 &&
			    memcmp(reply + 4, reasons[k], size - 5) == 0)
				return true;
		}
		return false;
	}
	if (strncmp(reply, "ok", 2) != 0)
		return false;
	for (p = reply + 2; *p == ' ';) {
		const char *end = strpbrk(p + 1, " \n");

		if (!is_int64(p + 1, (size_t)(end - p - 1)))
			return false;
		p = end;
	}
	return *p == '\n' && p[1] == '\0';
}

/* digest() - every read of every name under every type: equal digests, equal states. */
static void digest(uint32_t i, char *out, size_t size)
{
	static const char *const types[] = { "gcounter", "gset", "orset" };
	size_t used = (size_t)snprintf(out, size, "%u|", crdt_replica_object_count(harness_r[i]));
	char line[80];

	for (size_t n = 0; n < ARRAY_SIZE(names); n++) {
		for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
			int k = snprintf(line, sizeof(line), "read %s %s\n", types[t], names[n]);
			const char *r = exchange(i, line, (size_t)k);

			cr_assert(well_formed(r), "%s -> %s", line, r);
			cr_assert_lt(used + strlen(r), size);
			memcpy(out + used, r, strlen(r) + 1);
			used += strlen(r);
		}
	}
}

/* pick() - one of @list[0..@valid) mostly, now and then one of @list[@valid..@count). */
static const char *pick(struct prng *prng, const char *const *list, size_t valid,
			size_t count)
{
	if (valid == count || prng_chance(prng, 0.9))
		return list[prng_below(prng, valid)];
	return list[valid + prng_below(prng, count - valid)];
}

/* make_line() - a line from plausible and hostile pieces. Return: its size. */
static size_t make_line(struct prng *prng, char *line)
{
	static const char *const verbs[] = { "add", "remove", "read", "ADD", "", "addd", "rea" };
	static const char *const types[] = { "gcounter", "gset", "orset", "GSET", "", "g" };
	static const char *const bad_names[] = { "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */,
		"a.b", "a/b", "\xc3\xa4", "a b", "" };
	static const char *const numbers[] = { "0", "-0", "007", "9223372036854775807",
		"-9223372036854775808", "+5", "5x", "-", "1e3", "", "9223372036854775808",
		"-9223372036854775809", "99999999999999999999", "000000000000000000001" };
	static const char *const seps[] = { " ", "  ", "\t", "" };
	static const char *const ends[] = { "\n", "\r\n", "", "\r", " \n", "\r\r\n", "\n\n",
		" " };
	const char *name;
	char number[32];
	int n;

#define PICK(list, valid) pick(prng, list, valid, ARRAY_SIZE(list))
	if (prng_chance(prng, 0.5))
		snprintf(number, sizeof(number), "%" PRId64, (int64_t)prng_below(prng, 9) - 2);
	else if (prng_chance(prng, 0.5))
		snprintf(number, sizeof(number), "%" PRId64, (int64_t)prng_next(prng));
	else
		snprintf(number, sizeof(number), "%s", PICK(numbers, 5));
	name = prng_chance(prng, 0.9) ? PICK(names, 5) : PICK(bad_names, 6);
	n = snprintf(line, LINE_BYTES_MAX, "%s%s%s%s%s%s%s%s", PICK(verbs, 3), PICK(seps, 1),
		     PICK(types, 3), PICK(seps, 1), name,
		     prng_chance(prng, 0.6) ? PICK(seps, 1) : "",
		     prng_chance(prng, 0.9) ? number : "", PICK(ends, 4));
#undef PICK
	cr_assert(n > 0 && n < LINE_BYTES_MAX);
	/* Now and then a stray byte (NUL included) or a cut. */
	if (prng_chance(prng, 0.1))
		line[prng_below(prng, (uint64_t)n)] = (char)prng_below(prng, 256);
	if (prng_chance(prng, 0.05))
		n = (int)prng_below(prng, (uint64_t)n + 1);
	return (size_t)n;
}

/* check_one() - one exchange, checked. Return: the reply (valid until the next call). */
static const char *check_one(uint32_t i, const char *line, size_t size)
{
	static char before[DIGEST_BYTES_MAX], after[DIGEST_BYTES_MAX];
	static char reply[CRDT_REPLY_BYTES_MAX + 1];
	const char *r;

	digest(i, before, sizeof(before));
	r = exchange(i, line, size);
	cr_assert(well_formed(r), "line '%.*s' (%zu bytes) -> '%s'", (int)size, line, size, r);
	memcpy(reply, r, strlen(r) + 1);
	r = reply;
	if (strncmp(r, "err ", 4) == 0 || (size >= 5 && memcmp(line, "read ", 5) == 0)) {
		digest(i, after, sizeof(after));
		cr_assert_str_eq(before, after, "'%.*s' -> %s changed the state", (int)size, line,
				 r);
	}
	return r;
}

Test(crdt_request, random_and_hostile_lines_get_one_well_formed_reply)
{
	struct prng prng;
	char line[LINE_BYTES_MAX];

	int oks = 0;

	harness_setup(1, 0);
	prng_init(&prng, 20240611);
	for (int k = 0; k < ROUNDS; k++) {
		size_t size = make_line(&prng, line);
		const char *r = k % 16 == 0 ? check_one(0, line, size) : exchange(0, line, size);

		cr_assert(well_formed(r), "'%.*s' -> '%s'", (int)size, line, r);
		oks += strncmp(r, "ok", 2) == 0;
	}
	/* The generator must also make valid requests, or it tests the error paths only. */
	cr_assert_gt(oks, ROUNDS / 50, "%d ok replies", oks);
	cr_assert_lt(oks, ROUNDS / 2, "%d ok replies", oks);
	for (uint32_t k = 0; k < crdt_replica_object_count(harness_r[0]); k++) {
		const struct crdt_object *obj = crdt_replica_object(harness_r[0], k);

		if (obj->type == CRDT_TYPE_ORSET)
			orset_check(&obj->u.orset);
		else if (obj->type == CRDT_TYPE_GSET)
			gset_check(&obj->u.gset);
	}
}

Test(crdt_request, random_bytes_get_one_well_formed_reply)
{
	struct prng prng;
	char line[LINE_BYTES_MAX];

	harness_setup(1, 0);
	prng_init(&prng, 7);
	for (int k = 0; k < ROUNDS; k++) {
		size_t size = (size_t)prng_below(&prng, LINE_BYTES_MAX);

		for (size_t b = 0; b < size; b++)
			line[b] = prng_chance(&prng, 0.3) ? ' ' : (char)prng_below(&prng, 256);
		check_one(0, line, size);
	}
	cr_assert_eq(crdt_replica_object_count(harness_r[0]), 0);
}

/* exact() - the reply to @line (a C string, or @size bytes when @size > 0). */
static void exact(const char *line, size_t size, const char *want)
{
	size = size ? size : strlen(line);
	cr_assert_str_eq(check_one(0, line, size), want, "'%.*s'", (int)size, line);
}

Test(crdt_request, edge_lines_get_the_documented_reply)
{
	char line[LINE_BYTES_MAX];

	harness_setup(1, 0);
	exact("", 0, "err bad syntax\n");
	exact("\n", 0, "err bad syntax\n");
	exact("\r\n", 0, "err bad syntax\n");
	exact("   \n", 0, "err bad syntax\n");
	exact("add gcounter c 5\r\n", 0, "ok\n");
	exact("read gcounter c\r\n", 0, "ok 5\n");
	exact("add gcounter c +5\n", 0, "err bad integer\n");
	exact("add gcounter c -0\n", 0, "ok\n");
	exact("add gcounter c 007\n", 0, "ok\n");
	exact("add gcounter c 5x\n", 0, "err bad integer\n");
	exact("add\tgcounter c 5\n", 0, "err unknown verb\n");
	exact("add gcounter\tc 5\n", 0, "err unknown type\n");
	exact("add gcounter c 5 \n", 0, "err bad syntax\n");
	exact(" add gcounter c 5\n", 0, "err bad syntax\n");
	exact("add gcounter c 5\r\r\n", 0, "err bad integer\n");
	exact("read gcounter c\r", 0, "ok 12\n");
	exact("add gset s\0 1\n", 13, "err bad syntax\n");
	exact("add gset s 1\0\n", 14, "err bad syntax\n");
	exact("add gset s 9223372036854775808\n", 0, "err bad integer\n");
	exact("add gset s -9223372036854775809\n", 0, "err bad integer\n");
	exact("add gset abcdefghijklmnopqrstuvwxyz012345 1\n", 0, "ok\n");
	exact("add gset abcdefghijklmnopqrstuvwxyz0123456 1\n", 0, "err bad object name\n");
	exact("add gset s\xff 1\n", 0, "err bad object name\n");
	exact("ADD gset s 1\n", 0, "err unknown verb\n");
	exact("add GSET s 1\n", 0, "err unknown type\n");
	/* 255, 256 and 257 bytes with the '\n': all too long to be a valid request. */
	for (size_t size = 255; size <= 257; size++) {
		memset(line, 'a', size - 1);
		memcpy(line, "add gset s ", 11);
		line[size - 1] = '\n';
		exact(line, size, "err bad integer\n");
		memset(line, '1', size - 1);
		memcpy(line, "add gset s ", 11);
		exact(line, size, "err bad integer\n");
		memset(line, 'b', size - 1);
		memcpy(line, "add gset ", 9);
		exact(line, size, "err bad object name\n");
	}
}
