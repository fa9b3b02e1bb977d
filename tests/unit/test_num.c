/* Unit tests of num.h: numbers, sizes and durations from text. */
#include <stdint.h>

#include "exitcode.h"
#include "num.h"
#include "tap.h"

static void
test_parse(void)
{
	struct err e;
	long long v = 0;
	uint64_t u = 0;

	ok(parse_long("42", 0, 100, &v, &e) == 0 && v == 42, "parse 42");
	ok(parse_long("-5", -10, 10, &v, &e) == 0 && v == -5, "parse -5");
	ok(parse_long("101", 0, 100, &v, &e) == -1 && e.code == EX_USAGE,
	    "out of range");
	is_str(e.msg, "101 is out of range 0..100", "range message");
	ok(parse_long("12x", 0, 100, &v, &e) == -1, "trailing junk");
	ok(parse_long("", 0, 100, &v, &e) == -1, "empty");
	ok(parse_long(" 1", 0, 100, &v, &e) == -1, "leading space");
	ok(parse_long("99999999999999999999", 0, 100, &v, &e) == -1,
	    "overflow");
	ok(parse_size("8M", 0, UINT64_MAX, &u, &e) == 0 && u == 8 << 20,
	    "8M");
	ok(parse_size("5MiB", 0, UINT64_MAX, &u, &e) == 0 && u == 5 << 20,
	    "5MiB");
	ok(parse_size("100", 0, UINT64_MAX, &u, &e) == 0 && u == 100, "100");
	ok(parse_size("1x", 0, UINT64_MAX, &u, &e) == -1, "1x refused");
	ok(parse_size("20000000000T", 0, UINT64_MAX, &u, &e) == -1,
	    "shift overflow refused");
	ok(parse_size("-1", 0, UINT64_MAX, &u, &e) == -1, "negative size");
	ok(parse_duration_ms("1.5", 0, 1000000, &u, &e) == 0 && u == 1500,
	    "1.5 s");
	ok(parse_duration_ms("250ms", 0, 1000000, &u, &e) == 0 && u == 250,
	    "250ms");
	ok(parse_duration_ms("2m", 0, 1000000, &u, &e) == 0 && u == 120000,
	    "2m");
	ok(parse_duration_ms("3d", 0, 1000000, &u, &e) == -1, "3d refused");
	ok(parse_duration_ms("nan", 0, 1000000, &u, &e) == -1, "nan refused");
}

int
main(void)
{
	test_parse();
	return tap_done();
}
