/*
 * sandbox.c: the seccomp filter (sandbox.h), built with libseccomp.
 *
 * An allow-list: the calls below, measured with strace -f -c over the
 * malformed-image suite, the photo corpus and tests/imgq-resize.bats,
 * threads (-T) and HEIC included.  The default is SECCOMP_RET_TRAP
 * rather than a plain kill so that a refused call is reported as one
 * line and exit 70 (a reject, imgq(7)), like any other fatal error; the
 * trap cannot be dodged, the kernel skips the call before the signal.
 */
#define _GNU_SOURCE	/* CLONE_THREAD, SYS_* names */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "sandbox.h"

/* Allowed whatever the arguments. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(pread64),
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pwrite64),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
	SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(times), SCMP_SYS(getrusage),
	SCMP_SYS(sysinfo), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getrlimit),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/*
 * Refused with EPERM: looking for optional files (GraphicsMagick's
 * log.mgk and "PNG:img" as a path, glibc's CPU count), which the code
 * survives.
 */
static const int probes[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2),
	SCMP_SYS(creat), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(stat), SCMP_SYS(lstat),
	SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(ioctl),
};

/* Names for the message of a trap (a signal handler cannot look up). */
static const struct {
	long		nr;
	const char	*name;
} names[] = {
	{ SYS_execve, "execve" }, { SYS_execveat, "execveat" },
	{ SYS_socket, "socket" }, { SYS_connect, "connect" },
	{ SYS_socketpair, "socketpair" }, { SYS_sendto, "sendto" },
	{ SYS_clone, "clone" }, { SYS_ptrace, "ptrace" },
	{ SYS_kill, "kill" }, { SYS_tgkill, "tgkill" },
	{ SYS_mmap, "mmap" }, { SYS_mprotect, "mprotect" },
	{ SYS_prlimit64, "prlimit64" }, { SYS_prctl, "prctl" }, { SYS_unlink, "unlink" },
	{ SYS_rename, "rename" }, { SYS_mkdir, "mkdir" },
#ifdef SYS_fork
	{ SYS_fork, "fork" }, { SYS_vfork, "vfork" },
#endif
};

static char pre[64];

static size_t
put(char *b, size_t at, size_t cap, const char *s)
{
	while (*s != '\0' && at < cap)
		b[at++] = *s++;
	return at;
}

static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char b[160], num[24];
	size_t n, i, d = sizeof(num);
	const char *name = NULL;
	unsigned long v = (unsigned long)si->si_syscall;

	(void)sig;
	(void)ctx;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == si->si_syscall)
			name = names[i].name;
	num[--d] = '\0';
	do
		num[--d] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && d > 0);
	n = put(b, 0, sizeof(b), pre);
	n = put(b, n, sizeof(b), "sandbox: system call ");
	n = put(b, n, sizeof(b), name != NULL ? name : num + d);
	n = put(b, n, sizeof(b), " refused\n");
	if (write(2, b, n) < 0)
		_exit(EX_SOFTWARE);
	_exit(EX_SOFTWARE);
}

static int
add(scmp_filter_ctx f, uint32_t act, const int *nr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(f, act, nr[i], 0) < 0)
			return -1;
	return 0;
}

/* What needs a look at the arguments. */
static int
add_checked(scmp_filter_ctx f)
{
	uint32_t ok = SCMP_ACT_ALLOW;

	if (seccomp_rule_add(f, ok, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0 ||
	    seccomp_rule_add(f, ok, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0 ||
	    /* threads, never a process */
	    seccomp_rule_add(f, ok, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0 ||
	    /* glibc then falls back to clone(2), whose flags can be seen */
	    seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) < 0 ||
	    /* reading a limit, never setting one */
	    seccomp_rule_add(f, ok, SCMP_SYS(prlimit64), 2,
	    SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0)) < 0 ||
	    /* dav1d names its threads */
	    seccomp_rule_add(f, ok, SCMP_SYS(prctl), 1,
	    SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)) < 0 ||
	    /* abort(3) and raise(3): a signal to itself only */
	    seccomp_rule_add(f, ok, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid())) < 0)
		return -1;
	return 0;
}

int
sandbox_enter(struct err *e)
{
	struct sigaction sa;
	scmp_filter_ctx f;
	int rc;

	(void)snprintf(pre, sizeof(pre), "%s: fatal: ", log_prog());
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		return err_errno(e, EX_OSERR, errno, "sandbox: SIGSYS");
	if ((f = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		return err_set(e, EX_OSERR, "sandbox: seccomp_init failed");
	/*
	 * Where the kernel would turn the store-bypass mitigation on for a
	 * seccomp process, it is left off: it guards a process's secrets
	 * from code in that process, and here there are none to guard, while
	 * it slows memory-bound decoding.  Best effort: older kernels lack it.
	 */
	(void)seccomp_attr_set(f, SCMP_FLTATR_CTL_SSB, 1);
	if (seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1) < 0 ||
	    add(f, SCMP_ACT_ALLOW, allowed,
	    sizeof(allowed) / sizeof(allowed[0])) == -1 ||
	    add(f, SCMP_ACT_ERRNO(EPERM), probes,
	    sizeof(probes) / sizeof(probes[0])) == -1 ||
	    add_checked(f) == -1) {
		seccomp_release(f);
		return err_set(e, EX_OSERR, "sandbox: cannot build the filter");
	}
	rc = seccomp_load(f);
	seccomp_release(f);
	if (rc < 0)
		return err_errno(e, EX_OSERR, -rc, "sandbox: cannot load "
		    "the seccomp filter (-S runs without)");
	return 0;
}
