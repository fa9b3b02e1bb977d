/*
 * pool.c: the supervision loop of imgq-prefork.
 *
 * One poll(2) loop; signal handlers only write the signal's number to a
 * self-pipe.  The table holds one entry per child position:
 *
 *	K_RUN	a process is running (retiring: TERM sent, KILL at kill_at)
 *	K_WAIT	waiting to be (re)started at restart_at
 *	K_HALT	exited with a halt-class code; not restarted until a reload
 *
 * A rolling reload starts a "surge" entry next to an old child, waits for
 * it to be ready, stops the old one and waits for it to end before the
 * next.  Every descriptor of ours is close-on-exec, so children inherit
 * only 0 (the listening socket or /dev/null), 1, 2 and the readiness fd.
 * The children's environment is childenv.c's, the probe is probe.c's.
 */
#define _GNU_SOURCE

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "prefork.h"
#include "sys.h"

#define BACKOFF_BASE_MS	100
#define BACKOFF_MAX_MS	10000
#define RETRY_FORK_MS	1000

extern char **environ;

enum kstate { K_RUN, K_WAIT, K_HALT };

struct kid {
	pid_t		 pid;		/* K_RUN */
	enum kstate	 state;
	int		 slot;		/* 1.., kept across restarts */
	unsigned	 gen;		/* reload generation it was started in */
	int		 retiring;	/* TERM sent; not to be replaced */
	int		 surge;		/* a reload's new child, not counted */
	pid_t		 replaces;	/* for a surge entry: the old pid */
	int		 ready;
	int		 notify;	/* read end of the readiness pipe */
	int		 killed;
	int		 spawned;
	uint64_t	 started, restart_at, kill_at;
	unsigned	 restarts, young;
	int		 status, has_status;
};

static struct {
	struct pf_conf	*c;
	struct kid	*k;
	size_t		 n, cap;
	long long	 want;
	unsigned	 gen;
	int		 reloading;
	pid_t		 rolling_wait;	/* old child stopped by the reload */
	struct pf_envs	 env;
	int		 stopping, killed_any, halt_code;
	uint64_t	 stop_at;
	struct pf_probe	 probe;
	pid_t		 self;		/* the supervisor, for its children */
} P;

static int selfpipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;
	ssize_t r;

	r = write(selfpipe[1], &b, 1);
	(void)r;
	errno = saved;
}

static const char *
fmt_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		(void)snprintf(buf, len, "%llums", (unsigned long long)ms);
	else
		(void)snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
	return buf;
}

static const char *
signame(int sig)
{
	switch (sig) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGHUP: return "SIGHUP";
	case SIGTTIN: return "SIGTTIN";
	case SIGTTOU: return "SIGTTOU";
	case SIGUSR1: return "SIGUSR1";
	default: return "signal";
	}
}

void
pf_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- starting children ---- */

void
pf_child_common(void)
{
	sigset_t none;

	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)setpgid(0, 0);
	/*
	 * A supervisor killed with -9 takes its children with it (TERM, so
	 * that an imgq-pop hands its job back): a restarted one starts a
	 * pool of its own, never a second beside an orphaned first.  The
	 * parent may have died before the request took effect.
	 */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != P.self)
		_exit(EX_TEMPFAIL);
}

static void __attribute__((noreturn))
child_exec(int wfd, char **envp)
{
	int fd, errnum;

	pf_child_common();
	if (P.c->lfd >= 0)
		fd = P.c->lfd;
	else if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		log_fatal("unable to open /dev/null: %s", strerror(errno));
		_exit(EX_OSERR);
	}
	if (dup2(fd, 0) == -1) {
		log_fatal("unable to set up standard input: %s",
		    strerror(errno));
		_exit(EX_OSERR);
	}
	if (wfd >= 0) {
		if (wfd == P.c->ready_fd)
			fd = fcntl(wfd, F_SETFD, 0);
		else
			fd = dup2(wfd, P.c->ready_fd);
		if (fd == -1) {
			log_fatal("unable to set up descriptor %d: %s",
			    P.c->ready_fd, strerror(errno));
			_exit(EX_OSERR);
		}
	}
	environ = envp;
	(void)execvp(P.c->argv[0], P.c->argv);
	errnum = errno;
	/*
	 * SIGPIPE was made default for the command: a closed stderr must not
	 * turn this configuration error into a death by signal (retried).
	 */
	(void)signal(SIGPIPE, SIG_IGN);
	log_fatal("unable to run %s: %s", P.c->argv[0], strerror(errnum));
	/* A command that is not there is a configuration error: halt. */
	_exit(errnum == ENOENT || errnum == EACCES || errnum == ENOTDIR ||
	    errnum == ENOEXEC || errnum == ELOOP || errnum == ENAMETOOLONG ?
	    EX_CONFIG : EX_OSERR);
}

/* -r, with -j: a limit drawn per child, so that they do not retire at once. */
static long long
requests(void)
{
	uint32_t r = 0;

	if (P.c->requests <= 0 || P.c->jitter <= 0)
		return P.c->requests;
	(void)sys_random(&r, sizeof(r), NULL);
	return P.c->requests + (long long)(r % (uint32_t)(P.c->jitter + 1));
}

static void
spawn(struct kid *k, uint64_t now)
{
	int pfd[2] = { -1, -1 };
	struct envset env;
	struct err e;
	pid_t pid;

	if (P.c->ready_fd > 0 && pipe2(pfd, O_CLOEXEC) == -1) {
		log_error("child %d: unable to make a pipe: %s", k->slot,
		    strerror(errno));
		goto retry;
	}
	err_clear(&e);
	if (pf_env_child(&P.env, k->slot, requests(), P.c->ready_fd, &env,
	    &e) == -1) {
		log_error("child %d: %s", k->slot, e.msg);
		goto retry;
	}
	pid = fork();
	if (pid == 0)
		child_exec(pfd[1], envset_envp(&env));
	envset_free(&env);
	if (pfd[1] >= 0)
		(void)close(pfd[1]);
	pfd[1] = -1;
	if (pid == -1) {
		log_error("child %d: unable to fork: %s", k->slot,
		    strerror(errno));
		goto retry;
	}
	(void)setpgid(pid, pid);	/* also done by the child: no race */
	if (pfd[0] >= 0)
		pf_set_nonblock(pfd[0]);
	if (k->spawned)
		k->restarts++;
	k->spawned = 1;
	k->pid = pid;
	k->state = K_RUN;
	k->started = now;
	k->notify = pfd[0];
	k->ready = P.c->ready_fd == 0;
	k->gen = P.gen;
	k->retiring = 0;
	k->killed = 0;
	log_info("child %d started: pid %ld", k->slot, (long)pid);
	return;
retry:
	if (pfd[0] >= 0)
		(void)close(pfd[0]);
	if (pfd[1] >= 0)
		(void)close(pfd[1]);
	k->state = K_WAIT;
	k->restart_at = now + RETRY_FORK_MS;
}

/* ---- the table ---- */

static struct kid *
kid_add(int slot, uint64_t now)
{
	struct kid *nk;

	if (P.n == P.cap) {
		P.cap = P.cap == 0 ? 16 : P.cap * 2;
		if ((nk = realloc(P.k, P.cap * sizeof(*nk))) == NULL) {
			log_error("out of memory");
			return NULL;
		}
		P.k = nk;
	}
	nk = &P.k[P.n++];
	memset(nk, 0, sizeof(*nk));
	nk->slot = slot;
	nk->state = K_WAIT;
	nk->restart_at = now;
	nk->notify = -1;
	nk->gen = P.gen;
	return nk;
}

static void
kid_remove(struct kid *k)
{
	if (k->notify >= 0)
		(void)close(k->notify);
	*k = P.k[--P.n];
}

static struct kid *
kid_by_pid(pid_t pid)
{
	size_t i;

	for (i = 0; i < P.n; i++)
		if (P.k[i].state == K_RUN && P.k[i].pid == pid)
			return &P.k[i];
	return NULL;
}

static int
free_slot(void)
{
	int s;
	size_t i;

	for (s = 1;; s++) {
		for (i = 0; i < P.n; i++)
			if (P.k[i].slot == s && !P.k[i].retiring)
				break;
		if (i == P.n)
			return s;
	}
}

/* Entries that count towards the wanted number. */
static long long
active(void)
{
	long long a = 0;
	size_t i;

	for (i = 0; i < P.n; i++)
		if (!P.k[i].retiring && !P.k[i].surge)
			a++;
	return a;
}

/* A surge child whose old child is gone takes its place. */
static void
promote(pid_t old)
{
	size_t i;

	for (i = 0; i < P.n; i++)
		if (P.k[i].surge && P.k[i].replaces == old)
			P.k[i].surge = 0;
}

static void
retire(struct kid *k, uint64_t now)
{
	(void)kill(k->pid, SIGTERM);
	k->retiring = 1;
	k->kill_at = now + P.c->grace_ms;
	promote(k->pid);
}

/* ---- events ---- */

static void
child_exited(struct kid *k, int st, uint64_t now)
{
	char desc[128], age[32], delay[32];
	enum ex_class cls = ex_class_of_status(st);
	const char *cn = ex_class_name(cls);
	pid_t pid = k->pid;
	uint64_t d;
	size_t i;

	(void)ex_describe_status(st, desc, sizeof(desc));
	(void)fmt_ms(now - k->started, age, sizeof(age));
	if (k->notify >= 0) {
		(void)close(k->notify);
		k->notify = -1;
	}
	k->pid = 0;
	k->status = st;
	k->has_status = 1;
	if (P.stopping || k->retiring) {
		log_info("child %d ended after %s: pid %ld, %s, %s", k->slot,
		    age, (long)pid, desc, cn);
		if (P.rolling_wait == pid)
			P.rolling_wait = 0;
		promote(pid);
		kid_remove(k);
		return;
	}
	for (i = 0; i < P.n; i++)
		if (P.k[i].surge && P.k[i].replaces == pid) {
			log_warn("child %d exited after %s: pid %ld, %s, %s; "
			    "its replacement takes over", k->slot, age,
			    (long)pid, desc, cn);
			P.k[i].surge = 0;
			kid_remove(k);
			return;
		}
	if (cls == EXC_HALT) {
		log_error("child %d halted after %s: pid %ld, %s, %s; "
		    "not restarted", k->slot, age, (long)pid, desc, cn);
		P.halt_code = WEXITSTATUS(st);
		if (k->surge) {
			log_error("reload: abandoned, the children of the "
			    "previous generation keep running, with its "
			    "environment");
			for (i = 0; i < P.n; i++)
				P.k[i].gen = P.gen;
			P.reloading = 0;
			pf_env_settle(&P.env, 0);
			kid_remove(k);
			return;
		}
		k->state = K_HALT;
		return;
	}
	if (now - k->started >= P.c->uptime_ms) {
		k->young = 0;
		d = 0;
	} else {
		k->young++;
		d = BACKOFF_BASE_MS;
		for (i = 1; i < k->young && d < BACKOFF_MAX_MS; i++)
			d *= 2;
		if (d > BACKOFF_MAX_MS)
			d = BACKOFF_MAX_MS;
	}
	k->state = K_WAIT;
	k->restart_at = now + d;
	log_msg(cls == EXC_SUCCESS ? LOG_LVL_INFO : LOG_LVL_WARN,
	    "child %d exited after %s: pid %ld, %s, %s; restart %s%s",
	    k->slot, age, (long)pid, desc, cn, d == 0 ? "now" : "in ",
	    d == 0 ? "" : fmt_ms(d, delay, sizeof(delay)));
}

static void
scale_to(long long n, const char *why)
{
	if (n == P.want)
		return;
	log_info("scale %lld -> %lld: %s", P.want, n, why);
	P.want = n;
}

static void
probe_done(int st, uint64_t now)
{
	char why[128] = "";
	long long n;

	n = pf_probe_done(&P.probe, st, !P.stopping, P.want, now, why,
	    sizeof(why));
	if (!P.stopping)
		scale_to(n, why);
}

static void
reap(uint64_t now)
{
	struct kid *k;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == P.probe.pid)
			probe_done(st, now);
		else if ((k = kid_by_pid(pid)) != NULL)
			child_exited(k, st, now);
	}
}

static void
notify_read(struct kid *k)
{
	char buf[256];
	ssize_t r;

	for (;;) {
		r = read(k->notify, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return;			/* EAGAIN: more later */
		if (r == 0) {
			log_warn("child %d: pid %ld closed descriptor %d "
			    "without a readiness line", k->slot, (long)k->pid,
			    P.c->ready_fd);
			break;
		}
		if (memchr(buf, '\n', (size_t)r) != NULL) {
			k->ready = 1;
			log_info("child %d ready: pid %ld", k->slot,
			    (long)k->pid);
			break;
		}
	}
	(void)close(k->notify);
	k->notify = -1;
}

static void
stop_all(int sig, uint64_t now)
{
	char g[32];
	size_t i;

	if (P.stopping) {
		log_info("%s: already stopping", signame(sig));
		return;
	}
	P.stopping = 1;
	P.stop_at = now + P.c->grace_ms;
	log_info("stopping: %s, grace period %s", signame(sig),
	    fmt_ms(P.c->grace_ms, g, sizeof(g)));
	for (i = P.n; i-- > 0;) {
		struct kid *k = &P.k[i];

		if (k->state != K_RUN)
			kid_remove(k);
		else if (!k->retiring)
			retire(k, now);
		if (i < P.n && P.k[i].state == K_RUN &&
		    P.k[i].kill_at > P.stop_at)
			P.k[i].kill_at = P.stop_at;
	}
	if (P.probe.pid > 0)
		(void)kill(-P.probe.pid, SIGKILL);
}

static void
reload(void)
{
	struct err e;
	size_t i;

	if (P.stopping)
		return;
	err_clear(&e);
	if (pf_env_load(&P.env, P.c->envfile, P.reloading, &e) == -1) {
		log_error("reload: %s; nothing restarted", e.msg);
		return;
	}
	P.gen++;
	P.reloading = 1;
	log_info("reload: generation %u%s", P.gen, P.c->envfile != NULL ?
	    ", environment file re-read" : "");
	for (i = 0; i < P.n; i++)
		if (P.k[i].state == K_HALT) {
			P.k[i].state = K_WAIT;
			P.k[i].young = 0;
			P.k[i].restart_at = 0;
		}
}

static void
table(uint64_t now)
{
	char age[32], last[160], desc[128];
	struct kid *k;
	size_t i;

	log_info("pool: %lld wanted, %zu entries, generation %u%s%s", P.want,
	    P.n, P.gen, P.stopping ? ", stopping" : "",
	    P.reloading ? ", reloading" : "");
	for (i = 0; i < P.n; i++) {
		k = &P.k[i];
		last[0] = '\0';
		if (k->has_status)
			(void)snprintf(last, sizeof(last), ", last %s, %s",
			    ex_describe_status(k->status, desc, sizeof(desc)),
			    ex_class_name(ex_class_of_status(k->status)));
		if (k->state == K_RUN)
			log_info("child %d: pid %ld, %s, up %s, restarts %u%s%s",
			    k->slot, (long)k->pid,
			    k->retiring ? "stopping" : k->ready ? "ready" :
			    "starting", fmt_ms(now - k->started, age,
			    sizeof(age)), k->restarts, last,
			    k->surge ? ", reload" : "");
		else if (k->state == K_WAIT)
			log_info("child %d: waiting, restart in %s, restarts "
			    "%u%s", k->slot, fmt_ms(k->restart_at > now ?
			    k->restart_at - now : 0, age, sizeof(age)),
			    k->restarts, last);
		else
			log_info("child %d: halted, restarts %u%s", k->slot,
			    k->restarts, last);
	}
}

static void
on_byte(int sig, uint64_t now)
{
	long long lo = P.c->probe != NULL ? P.c->min : 0;
	long long hi = P.c->probe != NULL ? P.c->max : PF_MAX_CHILDREN;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		stop_all(sig, now);
		break;
	case SIGHUP:
		reload();
		break;
	case SIGTTIN:
	case SIGTTOU:
		if (P.stopping)
			break;
		if (sig == SIGTTIN ? P.want >= hi : P.want <= lo)
			log_warn("%s: already at %lld children, the %s",
			    signame(sig), P.want, sig == SIGTTIN ? "maximum" :
			    "minimum");
		else
			scale_to(P.want + (sig == SIGTTIN ? 1 : -1),
			    signame(sig));
		break;
	case SIGUSR1:
		table(now);
		break;
	default:
		break;
	}
}

/* ---- keeping the table at the wanted count ---- */

/* The surplus entry to drop first: waiting, halted, not ready, youngest. */
static struct kid *
surplus_pick(void)
{
	struct kid *best = NULL, *k;
	size_t i;
	int rank, brank = -1;

	for (i = 0; i < P.n; i++) {
		k = &P.k[i];
		if (k->retiring || k->surge)
			continue;
		rank = k->state == K_WAIT ? 4 : k->state == K_HALT ? 3 :
		    !k->ready ? 2 : k->gen != P.gen ? 1 : 0;
		if (rank > brank || (rank == brank && k->slot > best->slot)) {
			best = k;
			brank = rank;
		}
	}
	return best;
}

/*
 * A reload's new child is ready when it says so (-d) or, without a
 * readiness descriptor, when it has run for the good-run time: a new
 * configuration that makes children die at once stops the reload there.
 */
static int
surge_ready(const struct kid *k, uint64_t now)
{
	if (P.c->ready_fd > 0)
		return k->ready;
	return now - k->started >= P.c->uptime_ms;
}

/* One step of a reload; returns 1 when another may follow at once. */
static int
rolling_step(uint64_t now)
{
	struct kid *k, *old = NULL, *nk;
	size_t i;

	if (!P.reloading)
		return 0;
	for (i = 0; i < P.n; i++) {
		k = &P.k[i];
		if (!k->surge)
			continue;
		if (k->state == K_RUN && surge_ready(k, now) &&
		    (old = kid_by_pid(k->replaces)) != NULL) {
			log_info("reload: child %d pid %ld replaces pid %ld",
			    k->slot, (long)k->pid, (long)old->pid);
			P.rolling_wait = old->pid;
			retire(old, now);
		}
		return 0;
	}
	if (P.rolling_wait != 0)
		return 0;
	for (i = 0; i < P.n; i++) {
		k = &P.k[i];
		if (k->state == K_RUN && !k->retiring && k->gen != P.gen &&
		    (old == NULL || k->slot < old->slot))
			old = k;
	}
	if (old == NULL) {
		log_info("reload: generation %u running", P.gen);
		P.reloading = 0;
		pf_env_settle(&P.env, 1);
		return 0;
	}
	{
		int slot = old->slot;
		pid_t opid = old->pid;

		if ((nk = kid_add(slot, now)) == NULL)
			return 0;
		nk->surge = 1;
		nk->replaces = opid;
		spawn(nk, now);
	}
	return 1;
}

static void
reconcile(uint64_t now)
{
	struct kid *k;
	long long a;
	size_t i;

	if (P.stopping)
		return;
	for (a = active(); a < P.want; a++)
		if (kid_add(free_slot(), now) == NULL)
			break;
	for (; a > P.want && (k = surplus_pick()) != NULL; a--) {
		if (k->state == K_RUN)
			retire(k, now);
		else
			kid_remove(k);
	}
	while (rolling_step(now))
		;
	for (i = 0; i < P.n; i++)
		if (P.k[i].state == K_WAIT && P.k[i].restart_at <= now)
			spawn(&P.k[i], now);
}

static int
all_halted(void)
{
	size_t i;

	if (P.n == 0)
		return 0;
	for (i = 0; i < P.n; i++)
		if (P.k[i].state != K_HALT)
			return 0;
	return 1;
}

static void
timers(uint64_t now)
{
	char g[32];
	size_t i;

	for (i = 0; i < P.n; i++) {
		struct kid *k = &P.k[i];

		if (k->state != K_RUN || !k->retiring || k->killed ||
		    now < k->kill_at)
			continue;
		log_warn("child %d killed: pid %ld still running %s after "
		    "SIGTERM", k->slot, (long)k->pid,
		    fmt_ms(P.c->grace_ms, g, sizeof(g)));
		(void)kill(-k->pid, SIGKILL);
		(void)kill(k->pid, SIGKILL);
		k->killed = 1;
		if (P.stopping)
			P.killed_any = 1;
	}
	if (P.probe.pid > 0 && now >= P.probe.kill_at) {
		log_warn("probe killed: still running after %s",
		    fmt_ms(P.probe.kill_at - P.probe.next + P.c->interval_ms, g,
		    sizeof(g)));
		(void)kill(-P.probe.pid, SIGKILL);
		P.probe.kill_at = UINT64_MAX;
	}
	if (P.c->probe != NULL && !P.stopping && P.probe.pid == 0 &&
	    now >= P.probe.next)
		pf_probe_start(&P.probe, P.c, pf_env_envp(&P.env), now);
}

static int
next_timeout(uint64_t now)
{
	uint64_t t = UINT64_MAX;
	size_t i;

	for (i = 0; i < P.n; i++) {
		struct kid *k = &P.k[i];

		if (k->state == K_WAIT && !P.stopping && k->restart_at < t)
			t = k->restart_at;
		if (k->state == K_RUN && k->retiring && !k->killed &&
		    k->kill_at < t)
			t = k->kill_at;
		if (k->state == K_RUN && k->surge && P.c->ready_fd == 0 &&
		    k->started + P.c->uptime_ms < t)
			t = k->started + P.c->uptime_ms;
	}
	if (P.probe.pid > 0 && P.probe.kill_at < t)
		t = P.probe.kill_at;
	if (P.c->probe != NULL && !P.stopping && P.probe.pid == 0 &&
	    P.probe.next < t)
		t = P.probe.next;
	if (t == UINT64_MAX)
		return -1;
	if (t <= now)
		return 0;
	return t - now > 60000 ? 60000 : (int)(t - now);
}

static int
setup_signals(struct err *e)
{
	static const int sigs[] = {
		SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1
	};
	struct sigaction sa;
	size_t i;

	if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return err_errno(e, EX_OSERR, errno, "pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	(void)sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return err_errno(e, EX_OSERR, errno, "sigaction");
	sys_ignore_sigpipe();
	return 0;
}

static int
finish(int code)
{
	size_t i;

	if (P.probe.pid > 0)
		(void)kill(-P.probe.pid, SIGKILL);
	for (i = 0; i < P.n; i++)
		if (P.k[i].notify >= 0)
			(void)close(P.k[i].notify);
	if (P.c->unixpath != NULL)
		(void)unlink(P.c->unixpath);
	free(P.k);
	pf_env_free(&P.env);
	return code;
}

int
pf_run(struct pf_conf *c)
{
	struct pollfd *pfd = NULL, *np;
	unsigned char bytes[64];
	size_t i, npfd, cap = 0;
	struct err e;
	uint64_t now;
	ssize_t r;
	int to;

	memset(&P, 0, sizeof(P));
	P.self = getpid();
	P.c = c;
	P.want = c->count;
	pf_probe_init(&P.probe, c);
	P.gen = 1;
	err_clear(&e);
	if (setup_signals(&e) == -1 ||
	    pf_env_load(&P.env, c->envfile, 0, &e) == -1) {
		log_fatal("%s", e.msg);
		return finish(e.code);
	}
	for (;;) {
		now = sys_now_ms();
		reconcile(now);
		if (P.stopping && P.n == 0 && P.probe.pid == 0) {
			log_info("stopped%s", P.killed_any ? ", not every "
			    "child ended within the grace period" : "");
			free(pfd);
			return finish(P.killed_any ? EX_TEMPFAIL : EX_OK);
		}
		if (!P.stopping && all_halted()) {
			log_fatal("every child halted: last exit %d (%s)",
			    P.halt_code, ex_code_name(P.halt_code));
			free(pfd);
			return finish(P.halt_code);
		}
		if (cap < P.n + 2) {
			cap = P.n + 16;
			if ((np = realloc(pfd, cap * sizeof(*np))) == NULL) {
				log_fatal("out of memory");
				free(pfd);
				return finish(EX_OSERR);
			}
			pfd = np;
		}
		npfd = 0;
		pfd[npfd].fd = selfpipe[0];
		pfd[npfd++].events = POLLIN;
		pfd[npfd].fd = P.probe.fd;	/* -1 is ignored by poll */
		pfd[npfd++].events = POLLIN;
		for (i = 0; i < P.n; i++) {
			pfd[npfd].fd = P.k[i].notify;
			pfd[npfd++].events = POLLIN;
		}
		to = next_timeout(now);
		if (poll(pfd, npfd, to) == -1 && errno != EINTR) {
			log_fatal("poll: %s", strerror(errno));
			free(pfd);
			return finish(EX_OSERR);
		}
		now = sys_now_ms();
		/* Readiness lines first: reaping closes those pipes. */
		for (i = 0; i < P.n && i + 2 < npfd; i++)
			if (P.k[i].notify >= 0 && pfd[i + 2].fd ==
			    P.k[i].notify && (pfd[i + 2].revents &
			    (POLLIN | POLLHUP)))
				notify_read(&P.k[i]);
		if (P.probe.fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)))
			pf_probe_read(&P.probe);
		reap(now);
		while ((r = read(selfpipe[0], bytes, sizeof(bytes))) > 0)
			for (i = 0; i < (size_t)r; i++)
				on_byte(bytes[i], now);
		timers(now);
	}
}
