/*
 * escape.so: what code run by an exploited decoder would try, loaded
 * into imgq-resize with LD_PRELOAD by tests/imgq-resize.bats (never part
 * of a build, and no input can reach it).
 *
 * It takes the place of write(2): at the first write to a descriptor
 * other than 2 (or, with IMGQ_TEST_ESCAPE_ON=flush, the first fflush(3)
 * of standard output), that is once the outputs are made and the sandbox
 * is in place, it attempts what IMGQ_TEST_ESCAPE names and reports on
 * standard error: "escape: open: ok" or "escape: open: Operation not
 * permitted".
 *   execve   runs sh -c 'echo escaped >&2' (the process is replaced)
 *   socket   socket(AF_INET, SOCK_STREAM)
 *   open     open("/etc/passwd") for reading
 *   fork     a child process, which exits at once
 *   abort    abort(3): a decoder that dies by a signal
 * Then the write goes on as asked.
 */
#define _GNU_SOURCE

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void
report(const char *what, int rc)
{
	char b[200];
	int n;

	n = snprintf(b, sizeof(b), "escape: %s: %s\n", what,
	    rc == -1 ? strerror(errno) : "ok");
	if (n > 0 && (size_t)n < sizeof(b))
		(void)syscall(SYS_write, 2, b, (size_t)n);
}

static void
attempt(const char *what)
{
	char *argv[] = { "sh", "-c", "echo escaped >&2", NULL };
	pid_t pid;
	int rc;

	if (strcmp(what, "execve") == 0) {
		(void)unsetenv("LD_PRELOAD");
		report(what, execve("/bin/sh", argv, environ));
	} else if (strcmp(what, "socket") == 0) {
		report(what, socket(AF_INET, SOCK_STREAM, 0));
	} else if (strcmp(what, "open") == 0) {
		report(what, open("/etc/passwd", O_RDONLY));
	} else if (strcmp(what, "fork") == 0) {
		if ((pid = fork()) == 0)
			_exit(0);
		rc = pid == -1 ? -1 : 0;
		if (pid > 0)
			(void)waitpid(pid, NULL, 0);
		report(what, rc);
	} else if (strcmp(what, "abort") == 0) {
		abort();
	}
}

static void
once(const char *at)
{
	static int done;
	const char *what, *on = getenv("IMGQ_TEST_ESCAPE_ON");

	if (strcmp(on != NULL ? on : "write", at) != 0)
		return;
	if (!done && (what = getenv("IMGQ_TEST_ESCAPE")) != NULL) {
		done = 1;
		attempt(what);
	}
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	if (fd != 2)
		once("write");
	return syscall(SYS_write, fd, buf, n);
}

/*
 * stdio's own writes do not go through write(): -i prints with printf.
 * Only with IMGQ_TEST_ESCAPE_ON=flush (with -o, the unconfined parent
 * prints the paths).
 */
int
fflush(FILE *f)
{
	static int (*next)(FILE *);

	if (f == stdout)
		once("flush");
	if (next == NULL)
		*(void **)&next = dlsym(RTLD_NEXT, "fflush");
	return next(f);
}
