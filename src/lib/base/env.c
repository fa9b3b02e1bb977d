#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "env.h"
#include "exitcode.h"

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

const char *
env_str(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
env_long(const char *name, long long min, long long max, long long *out,
    struct err *e)
{
	const char *v = env_str(name);

	if (v == NULL)
		return 0;
	if (parse_long(v, min, max, out, e) == -1) {
		e->code = EX_CONFIG;
		return err_prefix(e, "%s", name);
	}
	return 0;
}

int
env_size(const char *name, uint64_t min, uint64_t max, uint64_t *out,
    struct err *e)
{
	const char *v = env_str(name);

	if (v == NULL)
		return 0;
	if (parse_size(v, min, max, out, e) == -1) {
		e->code = EX_CONFIG;
		return err_prefix(e, "%s", name);
	}
	return 0;
}

int
env_duration_ms(const char *name, uint64_t min, uint64_t max, uint64_t *out,
    struct err *e)
{
	const char *v = env_str(name);

	if (v == NULL)
		return 0;
	if (parse_duration_ms(v, min, max, out, e) == -1) {
		e->code = EX_CONFIG;
		return err_prefix(e, "%s", name);
	}
	return 0;
}

int
env_bool(const char *name, int *out, struct err *e)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	const char *v = env_str(name);
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return err_set(e, EX_CONFIG, "%s: not a boolean: '%s'", name, v);
}
