/* SPDX-License-Identifier: MIT */
/* token.c - splitting request lines (untrusted text, never asserted on) into words. */
#include "token.h"

#include <errno.h>
#include <string.h>

#include "fl_assert.h"

/* split() - words separated by exactly one space. Return: word count, or -EINVAL. */
static int split(const char *line, size_t size, struct token *tokens, uint32_t tokens_max)
{
	uint32_t n = 0;
	size_t start = 0;

	/* Bounded by @size: one pass over the line. */
	for (size_t i = 0; i <= size; i++) {
		if (i < size && line[i] != ' ')
			continue;
		if (i == start || n == tokens_max)
			return -EINVAL;
		tokens[n++] = (struct token){ line + start, i - start };
		start = i + 1;
	}
	ASSERT(n >= 1 && n <= tokens_max);
	return (int)n;
}

int token_split_line(const char *line, size_t size, struct token *tokens, uint32_t tokens_max)
{
	ASSERT(line || size == 0);
	ASSERT(tokens);
	ASSERT(tokens_max >= 1 && tokens_max <= INT32_MAX);
	if (size > 0 && line[size - 1] == '\n')
		size--;
	if (size > 0 && line[size - 1] == '\r')
		size--;
	if (size == 0 || memchr(line, '\0', size) != NULL)
		return -EINVAL;
	return split(line, size, tokens, tokens_max);
}

bool token_is(const struct token *t, const char *s)
{
	ASSERT(t);
	ASSERT(s);
	return strlen(s) == t->size && memcmp(t->p, s, t->size) == 0;
}
