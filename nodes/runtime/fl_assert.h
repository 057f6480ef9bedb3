/* SPDX-License-Identifier: MIT */
/* fl_assert.h - assertions that stay compiled in, whatever NDEBUG says (STYLE S15). */
#ifndef FL_ASSERT_H
#define FL_ASSERT_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define ASSERT(expr)                                                                      \
	do {                                                                              \
		if (!(expr)) {                                                            \
			fprintf(stderr, "%s:%d: assertion '%s' failed\n", __FILE__,      \
				__LINE__, #expr);                                        \
			abort();                                                          \
		}                                                                         \
	} while (0)

#ifdef FL_DEBUG_ASSERTS
#define ASSERT_DEBUG(expr) ASSERT(expr)
#else
#define ASSERT_DEBUG(expr) ((void)0)
#endif

#define STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif /* FL_ASSERT_H */
