/* Unit tests of the core library: err, exit codes, env readers, log. */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "log.h"
#include "tap.h"

static int
status_of(int how)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		if (how < 0)
			raise(-how);
		_exit(how);
	}
	(void)waitpid(pid, &st, 0);
	return st;
}

static void
test_classes(void)
{
	static const struct { int code; enum ex_class c; } t[] = {
		{ 0, EXC_SUCCESS }, { 1, EXC_NEGATIVE }, { 64, EXC_HALT },
		{ 65, EXC_REJECT }, { 66, EXC_REJECT }, { 70, EXC_REJECT },
		{ 71, EXC_RETRY }, { 75, EXC_RETRY }, { 76, EXC_REJECT },
		{ 77, EXC_HALT }, { 78, EXC_HALT }, { 2, EXC_REJECT },
		{ 255, EXC_REJECT },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(ex_class_of_code(t[i].code), t[i].c, "class of code %d",
		    t[i].code);
		is_int(ex_class_of_status(status_of(t[i].code)), t[i].c,
		    "class of wait status exit %d", t[i].code);
	}
	is_int(ex_class_of_status(status_of(-SIGKILL)), EXC_RETRY,
	    "killed by a signal is a retry");
	is_str(ex_describe_status(status_of(75), buf, sizeof(buf)), "exit 75",
	    "describe exit");
	is_str(ex_describe_status(status_of(-SIGKILL), buf, sizeof(buf)),
	    "signal 9 (Killed)", "describe signal");
	is_str(ex_class_name(EXC_HALT), "halt", "class name");
	is_str(ex_code_name(75), "EX_TEMPFAIL", "code name");
	ok(ex_code_name(3) == NULL, "no name outside the table");
}

static void
test_env(void)
{
	struct err e;
	long long v = 7;
	int b = 0;

	unsetenv("IMGQ_T");
	ok(env_long("IMGQ_T", 0, 10, &v, &e) == 0 && v == 7,
	    "unset keeps default");
	setenv("IMGQ_T", "9", 1);
	ok(env_long("IMGQ_T", 0, 10, &v, &e) == 0 && v == 9, "set value");
	setenv("IMGQ_T", "99", 1);
	ok(env_long("IMGQ_T", 0, 10, &v, &e) == -1 && e.code == EX_CONFIG,
	    "bad value is EX_CONFIG");
	is_str(e.msg, "IMGQ_T: 99 is out of range 0..10", "names variable");
	setenv("IMGQ_T", "yes", 1);
	ok(env_bool("IMGQ_T", &b, &e) == 0 && b == 1, "bool yes");
	setenv("IMGQ_T", "maybe", 1);
	ok(env_bool("IMGQ_T", &b, &e) == -1 && e.code == EX_CONFIG,
	    "bool maybe");
}

static void
test_err_log(void)
{
	struct err e;
	char buf[16];

	err_clear(&e);
	ok(err_set(&e, EX_DATAERR, "bad\nline %d", 3) == -1, "err_set -1");
	is_str(e.msg, "bad line 3", "newline replaced");
	err_prefix(&e, "file %s", "x");
	is_str(e.msg, "file x: bad line 3", "prefix");
	is_int(e.code, EX_DATAERR, "prefix keeps code");
	err_errno(&e, EX_OSERR, 2, "open %s", "f");
	is_str(e.msg, "open f: No such file or directory", "errno message");
	is_str(log_escape("a\r\n\\\x01z", 6, buf, sizeof(buf)),
	    "a\\r\\n\\\\\\x01z", "escape");
	is_str(log_escape("0123456789abcdef", 16, buf, sizeof(buf)),
	    "0123456789ab...", "escape truncates");
}

static void
test_markup(void)
{
	struct buf b = { 0 };

	ok(buf_add_markup(&b, "a<b>&\"c'\0d", 10) == 0, "markup escaped");
	ok(b.len == 30 && memcmp(b.p, "a&lt;b&gt;&amp;&quot;c&apos;\0d",
	    30) == 0, "every special character, bytes as they are");
	b.max = b.len + 3;
	ok(buf_add_markup(&b, "<", 1) == -1 && b.over, "over the limit");
	buf_free(&b);
}

int
main(void)
{
	test_classes();
	test_markup();
	test_env();
	test_err_log();
	return tap_done();
}
