/* Unit tests of envset.h: layers put in order, the later one winning. */
#include <stdio.h>
#include <string.h>

#include "envset.h"
#include "exitcode.h"
#include "tap.h"

/* The set's entries joined by '|'. */
static const char *
joined(struct envset *s)
{
	static char out[512];
	char **v = envset_envp(s);
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; v[i] != NULL; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
		    i > 0 ? "|" : "", v[i]);
	return out;
}

static void
test_layers(void)
{
	static const struct {
		const char	*name;
		char		*lower[4];
		char		*upper[4];
		const char	*want;
	} t[] = {
		{ "disjoint layers keep their order",
		  { "A=1", "B=2", NULL }, { "C=3", NULL }, "A=1|B=2|C=3" },
		{ "the upper layer wins, in the lower's place",
		  { "A=1", "B=2", NULL }, { "A=9", NULL }, "A=9|B=2" },
		{ "a later entry of one layer wins",
		  { "A=1", "A=2", NULL }, { NULL }, "A=2" },
		{ "a name is matched whole, not as a prefix",
		  { "AB=1", NULL }, { "A=2", NULL }, "AB=1|A=2" },
		{ "an empty value is a value",
		  { "A=1", NULL }, { "A=", NULL }, "A=" },
		{ "no '=' or no name: not a variable",
		  { "JUNK", "=x", "A=1", NULL }, { NULL }, "A=1" },
		{ "a value may hold '='",
		  { "A=b=c", NULL }, { NULL }, "A=b=c" },
		{ "nothing at all", { NULL }, { NULL }, "" },
	};
	struct envset s;
	struct err e;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		envset_init(&s);
		err_clear(&e);
		ok(envset_put_all(&s, t[i].lower, 4, &e) == 0 &&
		    envset_put_all(&s, t[i].upper, 4, &e) == 0, "%s: put",
		    t[i].name);
		is_str(joined(&s), t[i].want, "%s", t[i].name);
		envset_free(&s);
	}
}

static void
test_set(void)
{
	char *base[] = { "PATH=/bin", "IMGQ_QUEUE=env", NULL };
	struct envset s;
	struct err e;

	envset_init(&s);
	err_clear(&e);
	ok(envset_put_all(&s, base, (size_t)-1, &e) == 0, "put up to NULL");
	ok(envset_set(&s, "IMGQ_QUEUE", 10, "job", 3, &e) == 0, "set");
	ok(envset_set(&s, "IMGQ_X", 6, "a\nb", 3, &e) == 0, "set newline");
	ok(envset_set(&s, "IMGQ_Y", 6, NULL, 0, &e) == 0, "set empty");
	is_str(joined(&s), "PATH=/bin|IMGQ_QUEUE=job|IMGQ_X=a\nb|IMGQ_Y=",
	    "set copies and wins");
	is_str(envset_get(&s, "IMGQ_QUEUE"), "job", "get");
	ok(envset_get(&s, "IMGQ") == NULL, "get: a prefix is not a name");
	ok(envset_set(&s, "A=B", 3, "x", 1, &e) == -1 && e.code == EX_DATAERR,
	    "a name with '=' is refused");
	ok(envset_set(&s, "A", 1, "x\0y", 3, &e) == -1 &&
	    e.code == EX_DATAERR, "a value with NUL is refused");
	ok(envset_set(&s, "", 0, "x", 1, &e) == -1, "an empty name is refused");
	envset_unset(&s, "IMGQ_QUEUE");
	envset_unset(&s, "IMGQ_NONE");
	envset_unset(&s, "IMGQ_Y");
	is_str(joined(&s), "PATH=/bin|IMGQ_X=a\nb", "unset keeps the order");
	ok(envset_put(&s, "IMGQ_QUEUE=again", &e) == 0 &&
	    envset_get(&s, "IMGQ_QUEUE") != NULL, "put after unset");
	envset_free(&s);
	ok(envset_envp(&s)[0] == NULL, "a freed set is empty");
}

static void
test_bound(void)
{
	static char names[ENVSET_MAX + 1][16];
	struct envset s;
	struct err e;
	size_t i;
	int r = 0;

	envset_init(&s);
	err_clear(&e);
	for (i = 0; i < ENVSET_MAX && r == 0; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "V%zu=1", i);
		r = envset_put(&s, names[i], &e);
	}
	ok(r == 0 && s.n == ENVSET_MAX, "ENVSET_MAX entries fit");
	ok(envset_put(&s, "V0=2", &e) == 0, "a replacement still fits");
	(void)snprintf(names[ENVSET_MAX], sizeof(names[0]), "W=1");
	ok(envset_put(&s, names[ENVSET_MAX], &e) == -1 &&
	    e.code == EX_CONFIG, "one more is refused");
	is_str(e.msg, "environment: more than 8192 variables", "message");
	envset_free(&s);
}

int
main(void)
{
	test_layers();
	test_set();
	test_bound();
	return tap_done();
}
