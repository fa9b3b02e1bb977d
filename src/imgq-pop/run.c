/*
 * run.c: running a job's command and watching it.  The command gets the
 * job in its environment (job_env.h), /dev/null as its input, its output
 * kept as the job's outputs, its stderr passed on and its tail kept for
 * the record.  While it runs the lease is renewed (a heartbeat every third
 * of the lease), the time limit and a graceful stop are enforced on its
 * process group.
 */
#define _GNU_SOURCE	/* pipe2, vfork */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "envset.h"
#include "exitcode.h"
#include "job_env.h"
#include "log.h"
#include "pop.h"
#include "sys.h"

extern char **environ;

/* The exec error of the last child (vfork: the child shares our memory). */
static volatile int exec_errno;

/* The command's standard input, opened once (close-on-exec). */
static int devnull_fd = -1;

/* The deadlines of one run, 0 when none. */
struct watch {
	uint64_t	 next_beat, limit, kill_at, grace_end, exited_at;
	int		 out_open, err_open;
};

int
pop_run_init(struct err *e)
{
	if ((devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return err_errno(e, EX_OSERR, errno, "/dev/null");
	return 0;
}

/*
 * The command's environment: the settings of ours it needs and those the
 * operator passes (job_env.h), beneath the job's variables, the S3
 * credentials' file and the scratch folder as IMGQ_TMPDIR and TMPDIR
 * (envset.h: the later wins).
 */
static int
job_environment(const struct pop_conf *c, const struct q_job *job,
    const char *tmp, struct envset *s, struct err *e)
{
	const struct q_field *f;
	struct err fe;
	size_t i;

	envset_init(s);
	if (job_env_base(s, environ, c->pass, c->npass, e) == -1)
		goto fail;
	for (i = 0; i < job->nfields; i++) {
		f = &job->fields[i];
		err_clear(&fe);
		if (job_env_field(s, f->name, strlen(f->name), f->val, f->len,
		    &fe) != -1)
			continue;
		if (fe.code != EX_DATAERR) {
			*e = fe;
			goto fail;
		}
		log_warn("job %s: %s", job->id, fe.msg);
	}
	/*
	 * The ingest's operator credential is in the settings file the
	 * whole deployment shares; no job has any use for it (nor may a
	 * job's field named admin_token stand in for it).
	 */
	envset_unset(s, JOB_ENV_NEVER);
	if (pop_cred_put(s, tmp, e) == 0 &&
	    job_env_run(s, job->id, job->attempt, c->q.queue, tmp, e) == 0)
		return 0;
fail:
	envset_free(s);
	return -1;
}

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

char *
pop_find_cmd(const char *name, const char *path)
{
	const char *p, *end;
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

static void
keep_err(struct pop_run *r, const char *buf, size_t n)
{
	size_t i;

	pop_keep_errline(r, buf, n);
	for (i = 0; i < n; i++) {
		r->errtail[r->errpos++] = buf[i];
		if (r->errpos == sizeof(r->errtail)) {
			r->errpos = 0;
			r->errwrapped = 1;
		}
	}
}

/* Reads what fd has; 0 at EOF, 1 when more may come. */
static int
pump(int fd, struct pop_run *r, int is_out)
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

/*
 * What the command left running in its process group (a "cmd &" that
 * outlived it) ends with the job, before its scratch folder goes: TERM,
 * then KILL after the kill-after time.  A process that left the group
 * (setsid) is beyond this; imgq-pop(1) says so.
 */
static void
end_group(const struct pop_conf *c, const struct q_job *job, pid_t pgid)
{
	struct timespec ts = { 0, 10 * 1000000L };
	uint64_t until;

	if (pgid <= 0 || kill(-pgid, SIGTERM) == -1)
		return;		/* nothing is left of it */
	log_info("job %s: ending what the command left running", job->id);
	until = sys_now_ms() + c->kill_after_ms;
	while (kill(-pgid, 0) == 0 && sys_now_ms() < until)
		(void)nanosleep(&ts, NULL);
	(void)kill(-pgid, SIGKILL);
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

/* The next deadline of the run, as a poll(2) timeout. */
static int
timeout(const struct pop_run *r, const struct watch *w)
{
	uint64_t dl, now = sys_now_ms();

	if (r->exited)
		dl = now + 200;		/* leftovers of grandkids */
	else
		dl = min_deadline(min_deadline(w->next_beat, w->limit),
		    min_deadline(w->kill_at, w->grace_end));
	return dl == 0 ? -1 : dl > now ? (int)(dl - now) : 0;
}

/*
 * Heartbeat, time limit, end of the grace period, KILL after TERM; the
 * S3 credentials of a long job refreshed in its folder.
 */
static void
tick(const struct pop_conf *c, struct q *q, const struct q_job *job,
    struct pop_run *r, struct watch *w, const char *dir, uint64_t now)
{
	struct err be;
	int rc;

	pop_cred_refresh(dir);
	if (now >= w->next_beat) {
		err_clear(&be);
		rc = q_beat(q, &be);
		if (rc == 0)
			log_warn("job %s: lease lost (this consumer was "
			    "reaped); the result will be discarded", job->id);
		else if (rc == -1)
			log_warn("job %s: heartbeat failed: %s", job->id,
			    be.msg);
		w->next_beat = now + c->lease_ms / 3;
	}
	if (w->limit != 0 && now >= w->limit) {
		log_warn("job %s: time limit of %llu ms reached; terminating "
		    "the command", job->id,
		    (unsigned long long)c->time_limit_ms);
		r->timed_out = 1;
		signal_group(r->pid, SIGTERM);
		w->limit = 0;
		w->kill_at = now + c->kill_after_ms;
	}
	if (w->grace_end != 0 && now >= w->grace_end && !r->handed_back) {
		log_warn("job %s: grace period over; terminating the command "
		    "and handing the job back", job->id);
		r->handed_back = 1;
		signal_group(r->pid, SIGTERM);
		w->kill_at = now + c->kill_after_ms;
		w->grace_end = 0;
	}
	if (w->kill_at != 0 && now >= w->kill_at) {
		signal_group(r->pid, SIGKILL);
		w->kill_at = 0;
	}
}

/*
 * Until the command has exited and its output is read: a grandchild that
 * holds the pipes open after it gets a second.
 */
static void
watch(const struct pop_conf *c, struct q *q, const struct q_job *job,
    struct pop_run *r, const char *dir, int outfd, int errfd)
{
	struct watch w = { 0, 0, 0, 0, 0, 1, 1 };
	struct pollfd pfd[3];
	uint64_t now;
	int rc, st;

	now = sys_now_ms();
	w.next_beat = now + c->lease_ms / 3;
	if (c->time_limit_ms > 0)
		w.limit = now + c->time_limit_ms;
	while (!r->exited || w.out_open || w.err_open) {
		int n = 0, iout = -1, ierr = -1;

		if (pop_stopping && w.grace_end == 0 && !r->exited) {
			w.grace_end = sys_now_ms() + c->grace_ms;
			log_info("job %s: stopping; waiting up to %llu ms for "
			    "the command", job->id,
			    (unsigned long long)c->grace_ms);
		}
		pfd[n].fd = pop_sigfd, pfd[n++].events = POLLIN;
		if (w.out_open) {
			iout = n;
			pfd[n].fd = outfd, pfd[n++].events = POLLIN;
		}
		if (w.err_open) {
			ierr = n;
			pfd[n].fd = errfd, pfd[n++].events = POLLIN;
		}
		rc = poll(pfd, (nfds_t)n, timeout(r, &w));
		if (rc == -1 && errno != EINTR)
			break;
		if (rc > 0) {
			/* Only what is ready: each read is a system call. */
			if (iout >= 0 && pfd[iout].revents != 0 &&
			    pump(outfd, r, 1) == 0)
				w.out_open = 0;
			if (ierr >= 0 && pfd[ierr].revents != 0 &&
			    pump(errfd, r, 0) == 0)
				w.err_open = 0;
			if (pfd[0].revents != 0)
				pop_drain_signals();
		}
		if (!r->exited && waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->status = st;
			r->exited = 1;
		}
		now = sys_now_ms();
		if (!r->exited) {
			tick(c, q, job, r, &w, dir, now);
			continue;
		}
		if (w.exited_at == 0)
			w.exited_at = now;
		if (rc == 0 || now - w.exited_at >= 1000)
			break;
	}
	if (!r->exited && waitpid(r->pid, &r->status, 0) == r->pid)
		r->exited = 1;
}

int
pop_run_job(const struct pop_conf *c, struct q *q, struct job_scratch *sc,
    const struct q_job *job, struct pop_run *r, struct err *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, st, i;
	struct envset env;
	struct err pe;

	memset(r, 0, sizeof(*r));
	if ((r->out = malloc(OUTPUTS_MAX)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	if (job_scratch_make(sc, e) == -1) {
		free(r->out);
		r->out = NULL;
		return -1;
	}
	if (job_environment(c, job, sc->path, &env, e) == -1) {
		free(r->out);
		r->out = NULL;
		drop_scratch(sc, job);
		return -1;
	}
	/* The child's ends become its 1 and 2 by dup2, which clears
	 * close-on-exec; our ends read without blocking. */
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1 ||
	    fcntl(outp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1) {
		err_errno(e, EX_OSERR, errno, "pipe");
		goto fail;
	}
	pop_drain_signals();
	if ((r->pid = spawn(c->path, c->cmd, envset_envp(&env), outp[1],
	    errp[1], &st)) == -1) {
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
	watch(c, q, job, r, sc->path, outp[0], errp[0]);
	end_group(c, job, r->pid);
	close(outp[0]);
	close(errp[0]);
	envset_free(&env);
	drop_scratch(sc, job);
	return 0;
fail:
	free(r->out);
	r->out = NULL;
	for (i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
	}
	envset_free(&env);
	drop_scratch(sc, job);
	return -1;
}
