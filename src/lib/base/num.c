#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "num.h"

int
parse_long(const char *s, long long min, long long max, long long *out,
    struct err *e)
{
	long long v;
	char *end;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return err_set(e, EX_USAGE, "not a number: '%s'",
		    s == NULL ? "" : s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return err_set(e, EX_USAGE, "not a number: '%s'", s);
	if (v < min || v > max)
		return err_set(e, EX_USAGE, "%s is out of range %lld..%lld",
		    s, min, max);
	*out = v;
	return 0;
}

int
parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    struct err *e)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return err_set(e, EX_USAGE, "not a size: '%s'",
		    s == NULL ? "" : s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return err_set(e, EX_USAGE, "size too large: '%s'", s);
	switch (tolower((unsigned char)*end)) {
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	case 't': shift = 40; end++; break;
	default: break;
	}
	if (shift != 0 && tolower((unsigned char)*end) == 'i')
		end++;
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end != '\0')
		return err_set(e, EX_USAGE, "not a size: '%s'", s);
	if (shift != 0 && v > (UINT64_MAX >> shift))
		return err_set(e, EX_USAGE, "size too large: '%s'", s);
	v <<= shift;
	if (v < min || v > max)
		return err_set(e, EX_USAGE,
		    "size %s is out of range %llu..%llu bytes", s,
		    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int
parse_duration_ms(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    struct err *e)
{
	double v, mult = 1000.0;
	char *end;

	if (s == NULL || !(isdigit((unsigned char)*s) || *s == '.'))
		return err_set(e, EX_USAGE, "not a duration: '%s'",
		    s == NULL ? "" : s);
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return err_set(e, EX_USAGE, "not a duration: '%s'", s);
	if (strcmp(end, "ms") == 0)
		mult = 1.0;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1000.0;
	else if (strcmp(end, "m") == 0)
		mult = 60000.0;
	else if (strcmp(end, "h") == 0)
		mult = 3600000.0;
	else
		return err_set(e, EX_USAGE, "not a duration: '%s'", s);
	v *= mult;
	if (!(v >= (double)min && v <= (double)max))
		return err_set(e, EX_USAGE,
		    "duration %s is out of range %llu..%llu ms", s,
		    (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)(v + 0.5);
	return 0;
}
