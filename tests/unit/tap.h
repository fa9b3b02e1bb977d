/*
 * tap.h: a minimal TAP producer for C unit tests.
 *
 *	ok(cond, "name %d", i);
 *	is_str(got, want, "name");
 *	return tap_done();
 *
 * Prints "ok N - name" or "not ok N - name" (with the values that differed
 * as diagnostics) and a plan at the end; tap_done() returns the exit status.
 */
#ifndef IMGQ_TAP_H
#define IMGQ_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int tap_ok(int, const char *, ...)
    __attribute__((format(printf, 2, 3), unused));

static int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

#define ok(cond, ...)	tap_ok((cond) != 0, __VA_ARGS__)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!ok(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0,	\
	    __VA_ARGS__)) {						\
		printf("#   got:  '%s'\n#   want: '%s'\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
	}								\
} while (0)

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_);	\
} while (0)

static int tap_done(void) __attribute__((unused));

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}

#endif
