/* Unit tests of job_env.h: which fields become variables, and who wins. */
#include <stdlib.h>
#include <string.h>

#include "envset.h"
#include "exitcode.h"
#include "job_env.h"
#include "tap.h"

struct field {
	const char	*name;
	const char	*val;
	size_t		 len;
	int		 want;	/* job_env_field's return */
	const char	*var;	/* the variable, when put */
};

static void
check_field(const struct field *f)
{
	struct envset s;
	struct err e;

	envset_init(&s);
	err_clear(&e);
	is_int(job_env_field(&s, f->name, strlen(f->name), f->val, f->len,
	    &e), f->want, "field %s", f->name);
	if (f->var != NULL)
		is_str(envset_get(&s, f->var), f->val, "%s", f->var);
	else
		ok(envset_envp(&s)[0] == NULL, "%s: nothing put", f->name);
	if (f->want == -1)
		is_int(e.code, EX_DATAERR, "%s: EX_DATAERR", f->name);
	envset_free(&s);
}

static void
test_fields(void)
{
	static const struct field t[] = {
		{ "src", "uploads/a.jpg", 13, 1, "IMGQ_SRC" },
		{ "my_field2", "x", 1, 1, "IMGQ_MY_FIELD2" },
		{ "empty", "", 0, 1, "IMGQ_EMPTY" },
		{ "state", "queued", 6, 0, NULL },
		{ "attempts", "2", 1, 0, NULL },
		{ "tmpdir", "/etc", 4, 0, NULL },
		{ "Bad", "x", 1, 0, NULL },
		{ "nul", "a\0b", 3, -1, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_field(&t[i]);
}

static void
test_large(void)
{
	struct envset s;
	struct err e;
	char *v;

	if ((v = malloc(JOB_ENV_VALUE_MAX + 1)) == NULL)
		abort();
	memset(v, 'x', JOB_ENV_VALUE_MAX + 1);
	envset_init(&s);
	err_clear(&e);
	is_int(job_env_field(&s, "big", 3, v, JOB_ENV_VALUE_MAX, &e), 1,
	    "a value of JOB_ENV_VALUE_MAX bytes is exported");
	is_int(job_env_field(&s, "bigger", 6, v, JOB_ENV_VALUE_MAX + 1, &e),
	    -1, "one byte more is not");
	is_str(e.msg, "field bigger not exported (too large or holds NUL "
	    "bytes)", "message names the field");
	envset_free(&s);
	free(v);
}

static void
test_layers(void)
{
	char *consumer[] = { "PATH=/bin", "IMGQ_SRC=env", "TMPDIR=/tmp",
	    "IMGQ_QUEUE=env", NULL };
	struct envset s;
	struct err e;

	envset_init(&s);
	err_clear(&e);
	ok(envset_put_all(&s, consumer, (size_t)-1, &e) == 0 &&
	    job_env_field(&s, "src", 3, "job", 3, &e) == 1 &&
	    job_env_field(&s, "queue", 5, "field", 5, &e) == 1 &&
	    job_env_run(&s, "0123456789abcdefghijklmnop", 3, "images",
	    "/tmp/imgq-pop.x", &e) == 0, "built");
	is_str(envset_get(&s, "IMGQ_SRC"), "job", "a field wins over ours");
	is_str(envset_get(&s, "IMGQ_QUEUE"), "images",
	    "the run wins over a field");
	is_str(envset_get(&s, "TMPDIR"), "/tmp/imgq-pop.x", "TMPDIR");
	is_str(envset_get(&s, "IMGQ_TMPDIR"), "/tmp/imgq-pop.x",
	    "IMGQ_TMPDIR");
	is_str(envset_get(&s, "IMGQ_ATTEMPT"), "3", "IMGQ_ATTEMPT");
	is_str(envset_get(&s, "IMGQ_JOB_ID"), "0123456789abcdefghijklmnop",
	    "IMGQ_JOB_ID");
	is_str(envset_get(&s, "PATH"), "/bin", "ours kept");
	envset_free(&s);
}

/* What of the consumer's environment the command gets. */
static void
test_base(void)
{
	char *consumer[] = { "PATH=/bin", "HOME=/h", "LC_ALL=C", "LC_=x",
	    "IMGQ_PRESETS=/p", "IMGQ_=x", "IMGQ_ADMIN_TOKEN=secret",
	    "REDIS_URL=redis://:pw@h/0", "AWS_ACCESS_KEY_ID=AK",
	    "AWS_SECRET_ACCESS_KEY=sk", "AWS_PROFILE=p", "AWS_REGION=r",
	    "AWS_ENDPOINT_URL=http://e", "https_proxy=http://p",
	    "HTTP_PROXY=http://evil", "PATHX=1", "OTHER=1", "noequals", NULL };
	char *pass[] = { "OTHER", "REDIS_URL", "IMGQ_ADMIN_TOKEN" };
	const char *want[] = { "PATH", "HOME", "LC_ALL", "IMGQ_PRESETS",
	    "AWS_REGION", "AWS_ENDPOINT_URL", "https_proxy" };
	struct envset s;
	struct err e;
	size_t i;

	envset_init(&s);
	err_clear(&e);
	ok(job_env_base(&s, consumer, pass, 0, &e) == 0,
	    "built, nothing asked");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(envset_get(&s, want[i]) != NULL, "%s passed", want[i]);
	is_int((int)(sizeof(want) / sizeof(want[0])), (int)s.n,
	    "nothing else");
	envset_free(&s);
	envset_init(&s);
	ok(job_env_base(&s, consumer, pass, 3, &e) == 0, "built, three asked");
	is_str(envset_get(&s, "OTHER"), "1", "an asked name passes");
	is_str(envset_get(&s, "REDIS_URL"), "redis://:pw@h/0",
	    "REDIS_URL when asked");
	ok(envset_get(&s, "IMGQ_ADMIN_TOKEN") == NULL,
	    "the operator token, even asked, does not");
	ok(envset_get(&s, "AWS_SECRET_ACCESS_KEY") == NULL,
	    "a key not asked does not");
	envset_free(&s);
	ok(!job_env_allowed("IMGQ_ADMIN_TOKEN", 16) &&
	    job_env_allowed("IMGQ_ADMIN_TOKENS", 17) &&
	    !job_env_allowed("PATH", 3) && job_env_allowed("PATHX", 4),
	    "names compare whole, by length");
}

int
main(void)
{
	test_fields();
	test_base();
	test_large();
	test_layers();
	return tap_done();
}
