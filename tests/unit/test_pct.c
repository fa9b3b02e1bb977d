/*
 * Unit tests of percent-decoding (base/pct.h).
 */
#include <string.h>

#include "buf.h"
#include "pct.h"
#include "tap.h"

#define S(lit)	(lit), sizeof(lit) - 1

static void
test_decode(void)
{
	char out[16];

	ok(pct_decode(S("/a%20b"), out, sizeof(out), 0) == 0 &&
	    strcmp(out, "/a b") == 0, "an escape");
	ok(pct_decode(S("%2f%2F%41%7e"), out, sizeof(out), 0) == 0 &&
	    strcmp(out, "//A~") == 0, "both cases of hex digits");
	ok(pct_decode(S("%e2%82%ac"), out, sizeof(out), 0) == 0 &&
	    strcmp(out, "\xe2\x82\xac") == 0, "bytes above 0x7f");
	ok(pct_decode(S("a+b"), out, sizeof(out), 0) == 0 &&
	    strcmp(out, "a+b") == 0, "'+' stays without PCT_PLUS");
	ok(pct_decode(S("a+b%2B"), out, sizeof(out), PCT_PLUS) == 0 &&
	    strcmp(out, "a b+") == 0, "'+' is a space with PCT_PLUS");
	ok(pct_decode(S(""), out, sizeof(out), 0) == 0 && out[0] == '\0',
	    "empty");
	ok(pct_decode(S("/a%00"), out, sizeof(out), 0) == -1, "%%00 refused");
	ok(pct_decode("a\0b", 3, out, sizeof(out), 0) == -1,
	    "a raw NUL refused");
	ok(pct_decode(S("/a%2"), out, sizeof(out), 0) == -1, "short escape");
	ok(pct_decode(S("/a%"), out, sizeof(out), 0) == -1, "a bare %%");
	ok(pct_decode(S("/a%zz"), out, sizeof(out), 0) == -1, "bad escape");
	ok(pct_decode(S("/a%4"), out, sizeof(out), 0) == -1,
	    "an escape cut by the length");
	ok(pct_decode("%41%42", 4, out, sizeof(out), 0) == -1,
	    "the length, not the NUL, ends the input");
	ok(pct_decode(S("0123456789abcde"), out, sizeof(out), 0) == 0,
	    "exactly fits");
	ok(pct_decode(S("0123456789abcdef"), out, sizeof(out), 0) == -1,
	    "one byte too long");
	ok(pct_decode(S(""), out, 0, 0) == -1, "no room for the NUL");
}

static void
test_buf(void)
{
	struct buf b = { 0 };

	ok(pct_decode_buf(&b, S("a%00b+c"), PCT_NUL | PCT_PLUS) == 0 &&
	    b.len == 5 && memcmp(b.p, "a\0b c", 5) == 0,
	    "into a buffer, NUL kept with PCT_NUL");
	buf_reset(&b);
	ok(pct_decode_buf(&b, S("a%00"), 0) == -1, "NUL refused without");
	buf_reset(&b);
	ok(pct_decode_buf(&b, S("a%g0"), PCT_NUL) == -1, "bad escape");
	buf_free(&b);
	b.max = 2;
	ok(pct_decode_buf(&b, S("abc"), 0) == -1 && b.over,
	    "a full buffer fails");
	buf_free(&b);
}

static void
test_hexval(void)
{
	is_int(pct_hexval('0'), 0, "hex 0");
	is_int(pct_hexval('9'), 9, "hex 9");
	is_int(pct_hexval('a'), 10, "hex a");
	is_int(pct_hexval('F'), 15, "hex F");
	is_int(pct_hexval('g'), -1, "not hex: g");
	is_int(pct_hexval('/'), -1, "not hex: /");
	is_int(pct_hexval(':'), -1, "not hex: :");
	is_int(pct_hexval('@'), -1, "not hex: @");
	is_int(pct_hexval('G'), -1, "not hex: G");
	is_int(pct_hexval('`'), -1, "not hex: `");
}

int
main(void)
{
	test_decode();
	test_buf();
	test_hexval();
	return tap_done();
}
