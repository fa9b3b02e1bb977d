/*
 * Unit tests of imgq-pop's settling decision (settle.c): how a run ended
 * to what becomes of the job, the backoff, and the stderr tail kept.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pop.h"
#include "tap.h"

/*
 * A wait status as Linux makes it: the exit code in the second byte, or
 * the signal in the low bits (how < 0: killed by -how).
 */
static int
status_of(int how)
{
	return how < 0 ? -how : (how & 0xff) << 8;
}

static void
test_decide(void)
{
	static const struct {
		int		 how;		/* exit code, or -signal */
		int		 exec_errno, handed_back, timed_out;
		enum q_outcome	 want;
		int		 exit_with, signo;
		const char	*why;
	} t[] = {
		{ 0, 0, 0, 0, Q_DONE, 0, 0, "exit 0 (EX_OK)" },
		{ 75, 0, 0, 0, Q_RETRY, 0, 0, "exit 75 (EX_TEMPFAIL)" },
		{ 71, 0, 0, 0, Q_RETRY, 0, 0, "exit 71 (EX_OSERR)" },
		{ 65, 0, 0, 0, Q_DEAD, 0, 0, "exit 65 (EX_DATAERR)" },
		{ 66, 0, 0, 0, Q_DEAD, 0, 0, "exit 66 (EX_NOINPUT)" },
		{ 70, 0, 0, 0, Q_DEAD, 0, 0, "exit 70 (EX_SOFTWARE)" },
		{ 1, 0, 0, 0, Q_DEAD, 0, 0, "exit 1 (EX_NEGATIVE)" },
		{ 2, 0, 0, 0, Q_DEAD, 0, 0, "exit 2" },
		{ 64, 0, 0, 0, Q_HALT, 64, 0, "exit 64 (EX_USAGE)" },
		{ 77, 0, 0, 0, Q_HALT, 77, 0, "exit 77 (EX_NOPERM)" },
		{ 78, 0, 0, 0, Q_HALT, 78, 0, "exit 78 (EX_CONFIG)" },
		{ -SIGKILL, 0, 0, 0, Q_RETRY, 0, SIGKILL,
		  "signal 9 (Killed)" },
		{ -SIGTERM, 0, 0, 1, Q_RETRY, 0, SIGTERM,
		  "time limit of 5000 ms exceeded (signal 15 (Terminated))" },
		{ 0, 0, 0, 1, Q_RETRY, 0, 0,
		  "time limit of 5000 ms exceeded (exit 0)" },
		{ -SIGTERM, 0, 1, 0, Q_HALT, 0, SIGTERM,
		  "signal 15 (Terminated)" },
		{ 65, 0, 1, 1, Q_HALT, 0, 0, "time limit of 5000 ms exceeded "
		  "(exit 65)" },
		{ 127, ENOENT, 0, 0, Q_HALT, 78, 0, "exit 127" },
		{ 127, EACCES, 0, 0, Q_HALT, 78, 0, "exit 127" },
		{ 127, ENOEXEC, 0, 0, Q_HALT, 71, 0, "exit 127" },
	};
	struct pop_verdict v;
	struct pop_run r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.status = status_of(t[i].how);
		r.exec_errno = t[i].exec_errno;
		r.handed_back = t[i].handed_back;
		r.timed_out = t[i].timed_out;
		pop_decide(&r, 5000, &v);
		ok(v.how == t[i].want && v.exit_with == t[i].exit_with &&
		    v.signo == t[i].signo && v.exit_code == (t[i].how >= 0 ?
		    t[i].how : -1), "%d (errno %d, back %d, limit %d): "
		    "outcome %d, exit %d", t[i].how, t[i].exec_errno,
		    t[i].handed_back, t[i].timed_out, (int)v.how,
		    v.exit_with);
		is_str(v.why, t[i].why, "reason of %d", t[i].how);
	}
}

static void
test_backoff(void)
{
	static const struct {
		uint64_t	 base, max;
		long long	 attempt;
		uint32_t	 rnd;
		long long	 want;
	} t[] = {
		{ 1000, 3600000, 1, 0, 500 },
		{ 1000, 3600000, 1, UINT32_MAX, 999 },
		{ 1000, 3600000, 2, 0, 1000 },
		{ 1000, 3600000, 3, 0, 2000 },
		{ 1000, 3000, 5, 0, 1500 },
		{ 1000, 3000, 5, 2147483648u, 2250 },
		{ 0, 3600000, 4, UINT32_MAX, 0 },
		{ 1000, 3600000, 40, 0, 1800000 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(pop_backoff(t[i].base, t[i].max, t[i].attempt,
		    t[i].rnd), t[i].want, "backoff %llu..%llu, attempt %lld",
		    (unsigned long long)t[i].base,
		    (unsigned long long)t[i].max, t[i].attempt);
}

static void
test_stderr(void)
{
	char buf[STDERR_KEEP], want[STDERR_KEEP];
	struct pop_run *r;
	size_t n, i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	memcpy(r->errtail, "a\nb\n\n", 5);
	r->errpos = 5;
	n = pop_stderr_lines(r, buf);
	ok(n == 3 && memcmp(buf, "a\nb", 3) == 0, "trailing newlines go");
	r->errpos = 0;
	for (i = 0; i < 12; i++) {
		r->errtail[r->errpos++] = (char)('a' + i);
		r->errtail[r->errpos++] = '\n';
	}
	n = pop_stderr_lines(r, buf);
	ok(n == 19 && memcmp(buf, "c\nd\ne\nf\ng\nh\ni\nj\nk\nl", 19) == 0,
	    "the last %d lines", STDERR_LINES);
	/* Wrapped: the ring's oldest byte is at errpos. */
	memset(r->errtail, 'x', STDERR_KEEP);
	memcpy(r->errtail, "y\nz", 3);
	r->errtail[STDERR_KEEP - 1] = '\n';
	r->errpos = 3;
	r->errwrapped = 1;
	memset(want, 'x', STDERR_KEEP - 4);
	memcpy(want + STDERR_KEEP - 4, "\ny\nz", 4);
	n = pop_stderr_lines(r, buf);
	ok(n == STDERR_KEEP && memcmp(buf, want, STDERR_KEEP) == 0,
	    "a wrapped ring is read oldest first");
	free(r);
}

/* The reason of an exit 65 whose stderr came in the pieces given. */
static const char *
reason_of(struct pop_verdict *v, const char *a, const char *b)
{
	struct pop_run r;

	memset(&r, 0, sizeof(r));
	r.status = status_of(65);
	pop_keep_errline(&r, a, strlen(a));
	pop_keep_errline(&r, b, strlen(b));
	pop_decide(&r, 5000, v);
	return v->why;
}

static void
test_errline(void)
{
	struct pop_verdict v;
	char line[ERRLINE_MAX + 8], want[ERRLINE_MAX + 64];

	is_str(reason_of(&v, "\n\nimgq-resize: not an", " image\r\nnext\n"),
	    "exit 65 (EX_DATAERR): imgq-resize: not an image",
	    "the first non-empty line, in pieces");
	is_str(reason_of(&v, "", ""), "exit 65 (EX_DATAERR)",
	    "no stderr, no colon");
	is_str(reason_of(&v, "a\tb\033[31mc\177d", ""),
	    "exit 65 (EX_DATAERR): a?b?[31mc?d", "control characters as ?");
	memset(line, 'x', ERRLINE_MAX);
	line[ERRLINE_MAX] = '\0';
	(void)snprintf(want, sizeof(want), "exit 65 (EX_DATAERR): %s", line);
	is_str(reason_of(&v, line, "\n"), want, "%d bytes kept whole",
	    ERRLINE_MAX);
	/* A two-byte character across the limit goes whole. */
	line[ERRLINE_MAX - 1] = '\0';
	(void)snprintf(want, sizeof(want), "exit 65 (EX_DATAERR): %s...",
	    line);
	is_str(reason_of(&v, line, "\303\251 and more"), want,
	    "a longer line cut on a character boundary");
}

int
main(void)
{
	test_decide();
	test_backoff();
	test_stderr();
	test_errline();
	return tap_done();
}
