#include <stdlib.h>
#include <strings.h>

#include "env.h"
#include "exitcode.h"

const char *
env_str(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* A variable's value that does not parse: the deployment's mistake. */
static int
bad_value(struct err *e, const char *name)
{
	e->code = EX_CONFIG;
	return err_prefix(e, "%s", name);
}

int
env_long(const char *name, long long min, long long max, long long *out,
    struct err *e)
{
	const char *v = env_str(name);

	return v != NULL && parse_long(v, min, max, out, e) == -1 ?
	    bad_value(e, name) : 0;
}

int
env_size(const char *name, uint64_t min, uint64_t max, uint64_t *out,
    struct err *e)
{
	const char *v = env_str(name);

	return v != NULL && parse_size(v, min, max, out, e) == -1 ?
	    bad_value(e, name) : 0;
}

int
env_duration_ms(const char *name, uint64_t min, uint64_t max, uint64_t *out,
    struct err *e)
{
	const char *v = env_str(name);

	return v != NULL && parse_duration_ms(v, min, max, out, e) == -1 ?
	    bad_value(e, name) : 0;
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
