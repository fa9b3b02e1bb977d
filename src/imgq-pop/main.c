/*
 * imgq-pop: reserve a job reliably, run a command with the job in its
 * environment, and settle the job by the command's exit status.
 */
#define _GNU_SOURCE	/* pipe2 */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "job_scratch.h"
#include "log.h"
#include "q.h"
#include "sys.h"

#define USAGE "usage: imgq-pop [-lv] [-a attempts] [-b backoff] " \
	"[-B backoff-max] [-c consumer] [-g grace] [-K kill-after] " \
	"[-L lease] [-n count] [-q queue] [-r retention] [-t time-limit] " \
	"[-w wait] command [arg ...]"

#define OUTPUTS_MAX	(64 * 1024)	/* bytes of stdout kept as outputs */
#define STDERR_KEEP	4096		/* bytes of stderr tail kept */
#define STDERR_LINES	10		/* lines of it in a dead letter */
#define ENV_VALUE_MAX	(64 * 1024)	/* larger fields are not exported */

extern char **environ;

struct conf {
	int		 loop;
	long long	 count;		/* 0: one job, unless loop */
	long long	 wait_ms;	/* -1: forever */
	const char	*queue;
	const char	*consumer;
	long long	 attempts;
	uint64_t	 lease_ms, time_limit_ms, kill_after_ms, grace_ms;
	uint64_t	 backoff_ms, backoff_max_ms, retention_ms, redis_retry_ms;
	char		**cmd;
	char		*path;		/* of cmd[0], found at start */
};

/* One run of the command. */
struct run {
	pid_t		 pid;
	int		 status;
	int		 exited;
	int		 timed_out;
	int		 handed_back;
	int		 exec_errno;
	char		*out;		/* stdout, up to OUTPUTS_MAX */
	size_t		 outlen;
	int		 out_truncated;
	char		 errtail[STDERR_KEEP];	/* ring */
	size_t		 errpos;
	int		 errwrapped;
};

static volatile sig_atomic_t stopping, got_signal;
static int sigpipe_fd[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
		stopping = 1;
		got_signal = sig;
	}
	if (write(sigpipe_fd[1], &c, 1) == -1)
		c = 0;	/* full: a wake-up is pending anyway */
	errno = saved;
}

static int
set_flags(int fd, int fl, int fdfl)
{
	int f;

	if (fl != 0 && ((f = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, f | fl) == -1))
		return -1;
	if (fdfl != 0 && ((f = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, f | fdfl) == -1))
		return -1;
	return 0;
}

static void
drain_sigpipe(void)
{
	char buf[64];

	while (read(sigpipe_fd[0], buf, sizeof(buf)) > 0)
		;
}

static int
setup_signals(struct err *e)
{
	struct sigaction sa;

	if (pipe(sigpipe_fd) == -1 ||
	    set_flags(sigpipe_fd[0], O_NONBLOCK, FD_CLOEXEC) == -1 ||
	    set_flags(sigpipe_fd[1], O_NONBLOCK, FD_CLOEXEC) == -1)
		return err_errno(e, EX_OSERR, errno, "self-pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1)
		return err_errno(e, EX_OSERR, errno, "sigaction");
	return 0;
}

static void
usage(const char *why)
{
	if (why != NULL)
		log_fatal("%s", why);
	fprintf(stderr, "%s\n", USAGE);
	exit(EX_USAGE);
}

static void
die(const struct err *e)
{
	log_fatal("%s", e->msg);
	exit(e->code != 0 ? e->code : EX_SOFTWARE);
}

static void
dur_opt(const char *arg, uint64_t min, uint64_t max, uint64_t *out,
    const char *what)
{
	struct err e;

	err_clear(&e);
	if (parse_duration_ms(arg, min, max, out, &e) == -1) {
		log_fatal("%s: %s", what, e.msg);
		usage(NULL);
	}
}

static void
conf_env(struct conf *c)
{
	struct err e;

	err_clear(&e);
	c->queue = env_str("IMGQ_QUEUE");
	if (env_long("IMGQ_ATTEMPTS", 1, 1000, &c->attempts, &e) == -1 ||
	    env_duration_ms("IMGQ_LEASE", 1000, 86400000, &c->lease_ms,
	    &e) == -1 ||
	    env_duration_ms("IMGQ_TIME_LIMIT", 0, 604800000,
	    &c->time_limit_ms, &e) == -1 ||
	    env_duration_ms("IMGQ_KILL_AFTER", 0, 3600000, &c->kill_after_ms,
	    &e) == -1 ||
	    env_duration_ms("IMGQ_GRACE", 0, 86400000, &c->grace_ms,
	    &e) == -1 ||
	    env_duration_ms("IMGQ_BACKOFF", 0, 86400000, &c->backoff_ms,
	    &e) == -1 ||
	    env_duration_ms("IMGQ_BACKOFF_MAX", 0, 604800000,
	    &c->backoff_max_ms, &e) == -1 ||
	    env_duration_ms("IMGQ_RETENTION", 1000, 31536000000ULL,
	    &c->retention_ms, &e) == -1 ||
	    env_duration_ms("IMGQ_REDIS_RETRY", 0, 86400000,
	    &c->redis_retry_ms, &e) == -1)
		die(&e);
}

static void
parse_args(int argc, char **argv, struct conf *c)
{
	struct err e;
	uint64_t w;
	int ch;

	err_clear(&e);
	while ((ch = getopt(argc, argv, "+a:b:B:c:g:K:lL:n:q:r:t:vw:")) !=
	    -1) {
		switch (ch) {
		case 'a':
			if (parse_long(optarg, 1, 1000, &c->attempts, &e) == -1)
				usage(e.msg);
			break;
		case 'b':
			dur_opt(optarg, 0, 86400000, &c->backoff_ms, "-b");
			break;
		case 'B':
			dur_opt(optarg, 0, 604800000, &c->backoff_max_ms,
			    "-B");
			break;
		case 'c':
			c->consumer = optarg;
			break;
		case 'g':
			dur_opt(optarg, 0, 86400000, &c->grace_ms, "-g");
			break;
		case 'K':
			dur_opt(optarg, 0, 3600000, &c->kill_after_ms, "-K");
			break;
		case 'l':
			c->loop = 1;
			break;
		case 'L':
			dur_opt(optarg, 1000, 86400000, &c->lease_ms, "-L");
			break;
		case 'n':
			if (parse_long(optarg, 1, (long long)1 << 62,
			    &c->count, &e) == -1)
				usage(e.msg);
			break;
		case 'q':
			c->queue = optarg;
			break;
		case 'r':
			dur_opt(optarg, 1000, 31536000000ULL, &c->retention_ms,
			    "-r");
			break;
		case 't':
			dur_opt(optarg, 0, 604800000, &c->time_limit_ms, "-t");
			break;
		case 'v':
			log_set_level(LOG_LVL_INFO);
			break;
		case 'w':
			dur_opt(optarg, 0, 31536000000ULL, &w, "-w");
			c->wait_ms = (long long)w;
			break;
		default:
			usage(NULL);
		}
	}
	if (optind >= argc)
		usage("no command given");
	c->cmd = argv + optind;
	if (c->queue != NULL && !q_queue_valid(c->queue))
		usage("bad queue name");
}

/* ----- the child ----- */

/* Frees an environment of job_env: its first n strings are its own. */
static void
free_env(char **env, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(env[i]);
	free(env);
}

/*
 * The command's environment: ours, with the job's variables set, and the
 * scratch folder as IMGQ_TMPDIR and TMPDIR.
 */
static char **
job_env(const struct conf *c, const struct q_job *job, const char *tmp,
    size_t *nmine)
{
	char **env, name[JOB_FIELD_NAME_MAX + 8], *s, num[24];
	size_t n, i, k, nl, cap;

	for (n = 0; environ[n] != NULL; n++)
		;
	cap = n + job->nfields + 6;
	if ((env = calloc(cap, sizeof(*env))) == NULL)
		return NULL;
	k = 0;
	for (i = 0; i < job->nfields + 5; i++) {
		const char *nm, *val;
		size_t vl;

		if (i < job->nfields) {
			const struct q_field *f = &job->fields[i];

			nl = strlen(f->name);
			if (job_field_reserved(f->name, nl) ||
			    job_env_name(f->name, nl, name, sizeof(name)) ==
			    -1)
				continue;
			if (f->len > ENV_VALUE_MAX ||
			    memchr(f->val, '\0', f->len) != NULL) {
				log_warn("job %s: field %s not exported (too "
				    "large or holds NUL bytes)", job->id,
				    f->name);
				continue;
			}
			nm = name, val = f->val, vl = f->len;
		} else if (i == job->nfields) {
			nm = "IMGQ_JOB_ID", val = job->id, vl = JOB_ID_LEN;
		} else if (i == job->nfields + 1) {
			(void)snprintf(num, sizeof(num), "%lld", job->attempt);
			nm = "IMGQ_ATTEMPT", val = num, vl = strlen(num);
		} else if (i == job->nfields + 2) {
			nm = "IMGQ_QUEUE";
			val = c->queue ? c->queue : Q_DEFAULT_QUEUE;
			vl = strlen(val);
		} else {
			nm = i == job->nfields + 3 ? "IMGQ_TMPDIR" : "TMPDIR";
			val = tmp, vl = strlen(tmp);
		}
		nl = strlen(nm);
		if ((s = malloc(nl + vl + 2)) == NULL) {
			free_env(env, k);
			return NULL;
		}
		memcpy(s, nm, nl);
		s[nl] = '=';
		memcpy(s + nl + 1, val, vl);
		s[nl + 1 + vl] = '\0';
		env[k++] = s;
	}
	*nmine = k;
	/* Then ours, except what the job sets. */
	for (i = 0; i < n; i++) {
		size_t j, el = strcspn(environ[i], "=");
		int dup = 0;

		for (j = 0; j < k && !dup; j++)
			if (strncmp(env[j], environ[i], el + 1) == 0)
				dup = 1;
		if (!dup)
			env[k++] = environ[i];
	}
	env[k] = NULL;
	return env;
}

/* The exec error of the last child (vfork: the child shares our memory). */
static volatile int exec_errno;

/* The command's standard input, opened once (close-on-exec). */
static int devnull_fd = -1;

/*
 * In the child of vfork(2): only system calls, no memory of ours changed
 * but exec_errno, then exec or _exit.  (vfork spares the copy of the page
 * tables and the copy-on-write faults of fork for each job.)
 */
static void __attribute__((noreturn))
child(const char *path, char **cmd, char **env, int out, int errfd)
{
	sigset_t none;
	struct sigaction sa;

	(void)setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* The originals are close-on-exec; dup2 clears it on 0 to 2. */
	if (dup2(devnull_fd, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(errfd, 2) == -1) {
		exec_errno = errno;
		_exit(127);
	}
	execve(path, cmd, env);
	exec_errno = errno;
	_exit(127);
}

/*
 * Starts the command; returns its pid, or -1.  All signals are blocked
 * across vfork so that no handler of ours runs in the child.
 */
static pid_t
spawn(const char *path, char **cmd, char **env, int out, int errfd,
    int *err_out)
{
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	exec_errno = 0;
	pid = vfork();
	if (pid == 0)
		child(path, cmd, env, out, errfd);
	*err_out = pid == -1 ? errno : exec_errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/*
 * The command's path, searched in PATH once at start (as execvp would);
 * NULL with errno set when there is none.
 */
static char *
find_cmd(const char *name)
{
	const char *path = env_str("PATH"), *p, *end;
	char *full;
	size_t n, nl = strlen(name);
	int saved = ENOENT;

	if (strchr(name, '/') != NULL)
		return strdup(name);
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if ((full = malloc(n + nl + 3)) == NULL)
			return NULL;
		if (n == 0)
			full[0] = '.', n = 1;
		else
			memcpy(full, p, n);
		full[n] = '/';
		memcpy(full + n + 1, name, nl + 1);
		if (access(full, X_OK) == 0) {
			struct stat st;

			if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
				return full;
		} else if (errno == EACCES)
			saved = EACCES;
		free(full);
		if (end == NULL)
			break;
	}
	errno = saved;
	return NULL;
}

/* ----- the parent's watch over the child ----- */

static void
keep_err(struct run *r, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		r->errtail[r->errpos++] = buf[i];
		if (r->errpos == sizeof(r->errtail)) {
			r->errpos = 0;
			r->errwrapped = 1;
		}
	}
}

/* The last STDERR_LINES lines of what was kept, into buf. */
static size_t
err_lines(const struct run *r, char *buf)
{
	size_t n = 0, i, start, lines = 0;

	if (r->errwrapped) {
		memcpy(buf, r->errtail + r->errpos, STDERR_KEEP - r->errpos);
		memcpy(buf + STDERR_KEEP - r->errpos, r->errtail, r->errpos);
		n = STDERR_KEEP;
	} else {
		memcpy(buf, r->errtail, r->errpos);
		n = r->errpos;
	}
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	start = 0;
	for (i = n; i > 0; i--)
		if (buf[i - 1] == '\n' && ++lines == STDERR_LINES) {
			start = i;
			break;
		}
	memmove(buf, buf + start, n - start);
	return n - start;
}

/* Reads what fd has; 0 at EOF, 1 when more may come. */
static int
pump(int fd, struct run *r, int is_out)
{
	char buf[8192];
	ssize_t k;

	for (;;) {
		k = read(fd, buf, sizeof(buf));
		if (k == 0)
			return 0;
		if (k < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		if (is_out) {
			size_t take = (size_t)k;

			if (r->outlen + take > OUTPUTS_MAX) {
				take = OUTPUTS_MAX - r->outlen;
				r->out_truncated = 1;
			}
			memcpy(r->out + r->outlen, buf, take);
			r->outlen += take;
		} else {
			(void)sys_write_all(2, buf, (size_t)k, NULL);
			keep_err(r, buf, (size_t)k);
		}
	}
}

static void
signal_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) == -1)
		(void)kill(pid, sig);
}

static uint64_t
min_deadline(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* Removes the run's scratch folder; a failure is only a warning. */
static void
drop_scratch(struct job_scratch *sc, const struct q_job *job)
{
	struct err e;

	err_clear(&e);
	if (job_scratch_remove(sc, &e) == -1)
		log_warn("job %s: %s (the next imgq-pop to start removes it)",
		    job->id, e.msg);
}

/*
 * Runs the command for the job and watches it: heartbeats, time limit,
 * graceful stop.  Returns -1 only when the command could not be started.
 */
static int
run_job(const struct conf *c, struct q *q, struct job_scratch *sc,
    const struct q_job *job, struct run *r, struct err *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct pollfd pfd[3];
	uint64_t now, next_beat, limit = 0, kill_at = 0, grace_end = 0;
	uint64_t exited_at = 0;
	struct err pe;
	char **env;
	size_t nmine = 0;
	int out_open = 1, err_open = 1, rc, st;

	memset(r, 0, sizeof(*r));
	if ((r->out = malloc(OUTPUTS_MAX)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	if (job_scratch_make(sc, e) == -1) {
		free(r->out);
		r->out = NULL;
		return -1;
	}
	if ((env = job_env(c, job, sc->path, &nmine)) == NULL) {
		free(r->out);
		r->out = NULL;
		drop_scratch(sc, job);
		return err_set(e, EX_OSERR, "out of memory");
	}
	/* The child's ends become its 1 and 2 by dup2, which clears
	 * close-on-exec; our ends read without blocking. */
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1 ||
	    fcntl(outp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1) {
		err_errno(e, EX_OSERR, errno, "pipe");
		goto fail;
	}
	drain_sigpipe();
	if ((r->pid = spawn(c->path, c->cmd, env, outp[1], errp[1],
	    &st)) == -1) {
		err_errno(e, EX_OSERR, st, "fork");
		goto fail;
	}
	r->exec_errno = st;
	/*
	 * While the command runs (on the other core, if there is one): free
	 * the last run's folder and make the next one, both off the path
	 * from a job's arrival to its command's start.  A failure here is
	 * met again, and reported, by the next job_scratch_make.
	 */
	job_scratch_release(sc);
	err_clear(&pe);
	(void)job_scratch_prepare(sc, &pe);
	close(outp[1]);
	close(errp[1]);
	now = sys_now_ms();
	next_beat = now + c->lease_ms / 3;
	if (c->time_limit_ms > 0)
		limit = now + c->time_limit_ms;
	while (!r->exited || out_open || err_open) {
		uint64_t dl;
		int n = 0, to, iout = -1, ierr = -1;

		if (stopping && grace_end == 0 && !r->exited) {
			grace_end = sys_now_ms() + c->grace_ms;
			log_info("job %s: stopping; waiting up to %llu ms for "
			    "the command", job->id,
			    (unsigned long long)c->grace_ms);
		}
		dl = r->exited ? 0 : min_deadline(min_deadline(next_beat,
		    limit), min_deadline(kill_at, grace_end));
		if (r->exited)
			dl = sys_now_ms() + 200; /* leftovers of grandkids */
		now = sys_now_ms();
		to = dl == 0 ? -1 : dl > now ? (int)(dl - now) : 0;
		pfd[n].fd = sigpipe_fd[0], pfd[n++].events = POLLIN;
		if (out_open) {
			iout = n;
			pfd[n].fd = outp[0], pfd[n++].events = POLLIN;
		}
		if (err_open) {
			ierr = n;
			pfd[n].fd = errp[0], pfd[n++].events = POLLIN;
		}
		rc = poll(pfd, (nfds_t)n, to);
		if (rc == -1 && errno != EINTR)
			break;
		if (rc > 0) {
			/* Only what is ready: each read is a system call. */
			if (iout >= 0 && pfd[iout].revents != 0 &&
			    pump(outp[0], r, 1) == 0)
				out_open = 0;
			if (ierr >= 0 && pfd[ierr].revents != 0 &&
			    pump(errp[0], r, 0) == 0)
				err_open = 0;
			if (pfd[0].revents != 0)
				drain_sigpipe();
		}
		if (!r->exited && waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->status = st;
			r->exited = 1;
		}
		now = sys_now_ms();
		if (r->exited) {
			/* Pipes held open by a grandchild: give it a second. */
			if (exited_at == 0)
				exited_at = now;
			if (rc == 0 || now - exited_at >= 1000)
				break;
			continue;
		}
		if (now >= next_beat) {
			struct err be;

			err_clear(&be);
			rc = q_beat(q, &be);
			if (rc == 0)
				log_warn("job %s: lease lost (this consumer "
				    "was reaped); the result will be "
				    "discarded", job->id);
			else if (rc == -1)
				log_warn("job %s: heartbeat failed: %s",
				    job->id, be.msg);
			next_beat = now + c->lease_ms / 3;
		}
		if (limit != 0 && now >= limit) {
			log_warn("job %s: time limit of %llu ms reached; "
			    "terminating the command", job->id,
			    (unsigned long long)c->time_limit_ms);
			r->timed_out = 1;
			signal_group(r->pid, SIGTERM);
			limit = 0;
			kill_at = now + c->kill_after_ms;
		}
		if (grace_end != 0 && now >= grace_end && !r->handed_back) {
			log_warn("job %s: grace period over; terminating the "
			    "command and handing the job back", job->id);
			r->handed_back = 1;
			signal_group(r->pid, SIGTERM);
			kill_at = now + c->kill_after_ms;
			grace_end = 0;
		}
		if (kill_at != 0 && now >= kill_at) {
			signal_group(r->pid, SIGKILL);
			kill_at = 0;
		}
	}
	if (!r->exited && waitpid(r->pid, &r->status, 0) == r->pid)
		r->exited = 1;
	close(outp[0]);
	close(errp[0]);
	free_env(env, nmine);
	drop_scratch(sc, job);
	return 0;
fail:
	free(r->out);
	r->out = NULL;
	for (st = 0; st < 2; st++) {
		if (outp[st] != -1)
			close(outp[st]);
		if (errp[st] != -1)
			close(errp[st]);
	}
	free_env(env, nmine);
	drop_scratch(sc, job);
	return -1;
}

/* ----- settling ----- */

static long long
backoff(const struct conf *c, long long attempt)
{
	unsigned char rnd[4] = { 0, 0, 0, 0 };
	unsigned long long d = c->backoff_ms, half;
	uint32_t x;

	while (--attempt > 0 && d < c->backoff_max_ms)
		d *= 2;
	if (d > c->backoff_max_ms)
		d = c->backoff_max_ms;
	(void)sys_random(rnd, sizeof(rnd), NULL);
	x = (uint32_t)rnd[0] << 24 | (uint32_t)rnd[1] << 16 |
	    (uint32_t)rnd[2] << 8 | rnd[3];
	/* Equal jitter: at least half the step, up to all of it. */
	half = d / 2;
	return (long long)(d - half + (half * x) / 4294967296ULL);
}

/* Drops a trailing partial line; outputs are whole lines. */
static size_t
whole_lines(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] != '\n')
		n--;
	return n;
}

/*
 * Settles the job from the run; returns the exit code imgq-pop should end
 * with after it (0: go on).  With next, the next job is reserved in the
 * same round trip when one is ready (*got_next 1), unless this one halts.
 */
static int
settle(const struct conf *c, struct q *q, const struct q_job *job,
    struct run *r, struct q_job *next, int *got_next)
{
	struct q_settle s;
	struct err e;
	char why[256], desc[128], state[16], tail[STDERR_KEEP];
	const char *name;
	int exit_with = 0, code = -1, rc;
	enum ex_class cls;

	memset(&s, 0, sizeof(s));
	err_clear(&e);
	s.exit_code = -1;
	ex_describe_status(r->status, desc, sizeof(desc));
	if (WIFEXITED(r->status))
		code = WEXITSTATUS(r->status);
	cls = ex_class_of_status(r->status);
	if (r->exec_errno != 0) {
		log_fatal("cannot run %s: %s; job %s is back in the queue",
		    c->cmd[0], strerror(r->exec_errno), job->id);
		s.how = Q_HALT;
		exit_with = r->exec_errno == ENOENT ||
		    r->exec_errno == EACCES ? EX_CONFIG : EX_OSERR;
	} else if (r->handed_back) {
		s.how = Q_HALT;
	} else if (r->timed_out) {
		s.how = Q_RETRY;
		(void)snprintf(why, sizeof(why), "time limit of %llu ms "
		    "exceeded (%s)", (unsigned long long)c->time_limit_ms,
		    desc);
	} else if (cls == EXC_SUCCESS) {
		s.how = Q_DONE;
	} else if (cls == EXC_RETRY) {
		s.how = Q_RETRY;
	} else if (cls == EXC_HALT) {
		s.how = Q_HALT;
		exit_with = code;
	} else {
		s.how = Q_DEAD;
	}
	if (!r->timed_out) {
		name = code >= 0 ? ex_code_name(code) : NULL;
		if (name != NULL)
			(void)snprintf(why, sizeof(why), "%s (%s)", desc, name);
		else
			(void)snprintf(why, sizeof(why), "%s", desc);
	}
	if (WIFSIGNALED(r->status))
		s.signo = WTERMSIG(r->status);
	s.exit_code = code;
	if (s.how != Q_DONE)
		s.error = why;
	if (s.how == Q_RETRY)
		s.delay_ms = backoff(c, job->attempt);
	if (s.how == Q_DONE) {
		s.outputs = r->out;
		s.outputs_len = whole_lines(r->out, r->outlen);
		if (r->out_truncated)
			log_warn("job %s: outputs truncated to %d bytes",
			    job->id, OUTPUTS_MAX);
	}
	s.stderr_len = err_lines(r, tail);
	s.stderr_tail = tail;
	if (got_next != NULL)
		*got_next = 0;
	if (next != NULL && s.how != Q_HALT) {
		int got = q_settle_next(q, job, &s, state, sizeof(state), &rc,
		    next, &e);

		if (got == -1)
			rc = -1;
		else
			*got_next = got;
	} else
		rc = q_settle(q, job, &s, state, sizeof(state), &e);
	if (rc == -1) {
		log_error("job %s: cannot settle: %s", job->id, e.msg);
		return e.code;
	}
	if (rc == 0)
		log_warn("job %s: lease lost: the job was handed to another "
		    "consumer; this run's result (%s) is discarded", job->id,
		    desc);
	else if (strcmp(state, "done") == 0)
		log_info("job %s: done", job->id);
	else
		log_info("job %s: %s: %s", job->id, state, why);
	if (exit_with != 0 && r->exec_errno == 0)
		log_fatal("command %s: halting; job %s is back in the queue",
		    why, job->id);
	return exit_with;
}

/*
 * Opens the base of the scratch folders (TMPDIR, or /tmp) and removes the
 * folders that imgq-pop runs killed with -9 left there.
 */
static void
scratch_start(struct job_scratch *sc)
{
	struct err e;
	long long n = 0;

	err_clear(&e);
	if (job_scratch_open(sc, env_str("TMPDIR"), &e) == -1)
		die(&e);
	if (job_scratch_sweep(sc, &n, &e) == -1)
		log_warn("%s", e.msg);
	if (n > 0)
		log_info("removed %lld scratch folder%s left by imgq-pop runs "
		    "that were killed", n, n == 1 ? "" : "s");
}

int
main(int argc, char **argv)
{
	struct conf c = { 0 };
	struct err e;
	struct q *q;
	struct q_job job, next;
	struct run r;
	struct job_scratch sc;
	uint64_t t0;
	long long done = 0, left;
	int rc, ex = 0, have_next = 0, more;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	log_init(argv[0]);
	log_set_level(LOG_LVL_WARN);
	sys_ignore_sigpipe();
	err_clear(&e);
	c.wait_ms = -1;
	c.attempts = 5;
	c.lease_ms = 30000;
	c.time_limit_ms = 3600000;
	c.kill_after_ms = 5000;
	c.grace_ms = 30000;
	c.backoff_ms = 1000;
	c.backoff_max_ms = 3600000;
	c.retention_ms = 7ULL * 86400000;
	c.redis_retry_ms = 30000;
	conf_env(&c);
	parse_args(argc, argv, &c);
	if (c.backoff_max_ms < c.backoff_ms)
		c.backoff_max_ms = c.backoff_ms;
	if (env_str("REDIS_URL") == NULL) {
		log_fatal("REDIS_URL is not set");
		return EX_CONFIG;
	}
	if ((c.path = find_cmd(c.cmd[0])) == NULL) {
		char esc[128];

		log_escape(c.cmd[0], strlen(c.cmd[0]), esc, sizeof(esc));
		log_fatal("cannot run %s: %s", esc, strerror(errno));
		return errno == ENOMEM ? EX_OSERR : EX_CONFIG;
	}
	scratch_start(&sc);
	if ((devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		err_errno(&e, EX_OSERR, errno, "/dev/null");
		die(&e);
	}
	if (setup_signals(&e) == -1)
		die(&e);
	if ((q = q_open_retry(env_str("REDIS_URL"), c.queue,
	    (long long)c.redis_retry_ms, &e)) == NULL)
		die(&e);
	q_set_retention(q, (long long)c.retention_ms);
	if (q_consumer(q, c.consumer, (long long)c.lease_ms, (int)c.attempts,
	    &e) == -1)
		die(&e);
	/* The first job's folder, made while we wait (see run_job). */
	(void)job_scratch_prepare(&sc, &e);
	err_clear(&e);
	t0 = sys_now_ms();
	for (;;) {
		/* A job reserved with the last settle is handed back below. */
		if (stopping && !have_next)
			break;
		left = -1;
		if (c.wait_ms >= 0) {
			left = c.wait_ms - (long long)(sys_now_ms() - t0);
			if (left < 0)
				left = 0;
		}
		drain_sigpipe();
		if (stopping && !have_next)
			break;
		if (have_next) {
			/* Reserved with the last settle. */
			job = next;
			have_next = 0;
			rc = 1;
		} else
			rc = q_reserve(q, left, sigpipe_fd[0], &job, &e);
		if (rc == -1) {
			log_fatal("%s", e.msg);
			ex = e.code;
			break;
		}
		if (rc == 0) {
			if (stopping)
				break;
			if (c.wait_ms >= 0 && (long long)(sys_now_ms() - t0) >=
			    c.wait_ms) {
				if (done == 0)
					ex = EX_NEGATIVE;
				break;
			}
			continue;	/* a SIGCHLD woke the wait */
		}
		if (stopping) {
			memset(&r, 0, sizeof(r));
			r.handed_back = 1;
			ex = settle(&c, q, &job, &r, NULL, NULL);
			q_job_free(&job);
			break;
		}
		log_info("job %s: attempt %lld", job.id, job.attempt);
		if (run_job(&c, q, &sc, &job, &r, &e) == -1) {
			/* Could not start it: hand it back, exit. */
			log_fatal("job %s: %s", job.id, e.msg);
			memset(&r, 0, sizeof(r));
			r.handed_back = 1;
			(void)settle(&c, q, &job, &r, NULL, NULL);
			q_job_free(&job);
			ex = e.code;
			break;
		}
		/* Another job after this one: take it in the same trip. */
		more = !stopping && (c.loop || done + 1 < (c.count > 0 ?
		    c.count : 1));
		ex = settle(&c, q, &job, &r, more ? &next : NULL, &have_next);
		free(r.out);
		q_job_free(&job);
		if (ex != 0) {
			if (have_next) {
				/* Cannot happen (a halt is settled alone). */
				q_job_free(&next);
				have_next = 0;
			}
			break;
		}
		done++;
		t0 = sys_now_ms();	/* -w is the idle time between jobs */
		if (!c.loop && done >= (c.count > 0 ? c.count : 1))
			break;
	}
	err_clear(&e);
	if (q_consumer_stop(q, &e) == -1 && ex == 0)
		log_warn("cannot unregister the consumer: %s", e.msg);
	q_close(q);
	job_scratch_close(&sc);
	free(c.path);
	return ex;
}
