/* SPDX-License-Identifier: MIT */
/* token.h - a client request line cut into words separated by exactly one space. */
#ifndef TOKEN_H
#define TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One word: a view into the line, valid as long as the line is. Never NUL-terminated. */
struct token {
	const char *p;
	size_t size;                    /* >= 1 */
};

/**
 * token_split_line() - cut the untrusted @line[0..@size) into words.
 * One trailing "\n", then one trailing "\r", are dropped first. What is left must be
 * non-empty, hold no NUL byte, and have words separated by exactly one space (no leading,
 * trailing or double space). Never asserts on the input.
 * @tokens: room for @tokens_max (>= 1) words.
 * Return: the word count (1..@tokens_max); -EINVAL for anything else, including more
 *         than @tokens_max words.
 */
int token_split_line(const char *line, size_t size, struct token *tokens, uint32_t tokens_max);

/* token_is() - is @t exactly the NUL-terminated @s? */
bool token_is(const struct token *t, const char *s);

#endif /* TOKEN_H */
