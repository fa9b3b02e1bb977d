/*
 * imgq-pop: reserve a job reliably, run a command with the job in its
 * environment, and settle the job by the command's exit status.  This
 * file reads the configuration, sets up and loops over jobs; run.c runs
 * the command, settle.c settles the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "job_env.h"
#include "job_scratch.h"
#include "log.h"
#include "pop.h"
#include "q.h"
#include "sys.h"

#define USAGE "usage: imgq-pop [-lv] [-a attempts] [-b backoff] " \
	"[-B backoff-max] [-c consumer] [-E name] [-g grace] [-K kill-after] " \
	"[-L lease] [-n count] [-q queue] [-r retention] [-t time-limit] " \
	"[-w wait] command [arg ...]"

volatile sig_atomic_t pop_stopping;
int pop_sigfd = -1;
static int sigpipe_fd[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
		pop_stopping = 1;
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

void
pop_drain_signals(void)
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
	pop_sigfd = sigpipe_fd[0];
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

#define usage(why)	cli_usage(USAGE, why)
#define die(e)		cli_die(e)

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

/* A variable's name: [A-Za-z_][A-Za-z0-9_]*, not the operator token. */
static int
pass_add(struct pop_conf *c, const char *name, size_t n, struct err *e)
{
	char **v;
	size_t i;

	if (n == 0 || (name[0] >= '0' && name[0] <= '9'))
		return err_set(e, EX_USAGE, "not a variable name: %.*s",
		    (int)(n > 64 ? 64 : n), name);
	for (i = 0; i < n; i++)
		if (name[i] != '_' && !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= '0' && name[i] <= '9'))
			return err_set(e, EX_USAGE, "not a variable name: "
			    "%.*s", (int)(n > 64 ? 64 : n), name);
	if (n == strlen(JOB_ENV_NEVER) && memcmp(name, JOB_ENV_NEVER, n) == 0)
		return err_set(e, EX_USAGE, "%s is never passed to a job",
		    JOB_ENV_NEVER);
	if ((v = realloc(c->pass, (c->npass + 1) * sizeof(*v))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	c->pass = v;
	if ((v[c->npass] = strndup(name, n)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	c->npass++;
	return 0;
}

/* IMGQ_POP_PASS_ENV: names separated by spaces or commas. */
static void
pass_env(struct pop_conf *c)
{
	const char *p = env_str("IMGQ_POP_PASS_ENV");
	struct err e;
	size_t n;

	err_clear(&e);
	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		if ((n = strcspn(p, " \t,")) == 0)
			break;
		if (pass_add(c, p, n, &e) == -1) {
			if (e.code == EX_USAGE)
				e.code = EX_CONFIG;
			err_prefix(&e, "IMGQ_POP_PASS_ENV");
			die(&e);
		}
		p += n;
	}
}

static void
conf_env(struct pop_conf *c)
{
	struct err e;

	err_clear(&e);
	if (q_conf_from_env(&c->q, &e) == -1 ||
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
	    &c->backoff_max_ms, &e) == -1)
		die(&e);
	pass_env(c);
}

static void
parse_args(int argc, char **argv, struct pop_conf *c)
{
	struct err e;
	uint64_t w;
	int ch, verbose = 0;

	err_clear(&e);
	while ((ch = getopt(argc, argv, "+a:b:B:c:E:g:K:lL:n:q:r:t:vw:")) !=
	    -1) {
		switch (ch) {
		case 'a':
			if (q_conf_attempts(&c->q, optarg, &e) == -1)
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
		case 'E':
			if (pass_add(c, optarg, strlen(optarg), &e) == -1) {
				if (e.code == EX_USAGE)
					usage(e.msg);
				die(&e);
			}
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
			if (q_conf_queue(&c->q, optarg, &e) == -1)
				usage(e.msg);
			break;
		case 'r':
			if (q_conf_retention(&c->q, optarg, &e) == -1) {
				log_fatal("-r: %s", e.msg);
				usage(NULL);
			}
			break;
		case 't':
			dur_opt(optarg, 0, 604800000, &c->time_limit_ms, "-t");
			break;
		case 'v':
			log_set_level(verbose++ ? LOG_LVL_DEBUG : LOG_LVL_INFO);
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
	struct pop_conf c = { 0 };
	struct err e;
	struct q *q;
	struct q_job job, next;
	struct pop_run r;
	struct job_scratch sc;
	uint64_t t0;
	long long done = 0, left;
	int rc, ex = 0, have_next = 0, more;

	cli_start(argv[0], LOG_LVL_WARN);
	err_clear(&e);
	c.wait_ms = -1;
	c.lease_ms = Q_LEASE_DEFAULT_MS;
	c.time_limit_ms = 3600000;
	c.kill_after_ms = 5000;
	c.grace_ms = 30000;
	c.backoff_ms = 1000;
	c.backoff_max_ms = 3600000;
	conf_env(&c);
	parse_args(argc, argv, &c);
	if (c.backoff_max_ms < c.backoff_ms)
		c.backoff_max_ms = c.backoff_ms;
	if (q_conf_check(&c.q, &e) == -1)
		die(&e);
	if ((c.path = pop_find_cmd(c.cmd[0], env_str("PATH"))) ==
	    NULL) {
		char esc[128];

		log_escape(c.cmd[0], strlen(c.cmd[0]), esc, sizeof(esc));
		log_fatal("cannot run %s: %s", esc, strerror(errno));
		return errno == ENOMEM ? EX_OSERR : EX_CONFIG;
	}
	scratch_start(&sc);
	pop_cred_init();
	if (pop_run_init(&e) == -1 || setup_signals(&e) == -1)
		die(&e);
	if ((q = q_conf_open(&c.q, &e)) == NULL)
		die(&e);
	q_set_stop(q, &pop_stopping);
	if (q_consumer(q, c.consumer, (long long)c.lease_ms, (int)c.q.attempts,
	    &e) == -1)
		die(&e);
	/* The first job's folder, made while we wait (see pop_run_job). */
	(void)job_scratch_prepare(&sc, &e);
	err_clear(&e);
	t0 = sys_now_ms();
	for (;;) {
		/* A job reserved with the last settle is handed back below. */
		if (pop_stopping && !have_next)
			break;
		left = -1;
		if (c.wait_ms >= 0) {
			left = c.wait_ms - (long long)(sys_now_ms() - t0);
			if (left < 0)
				left = 0;
		}
		pop_drain_signals();
		if (pop_stopping && !have_next)
			break;
		if (have_next) {
			/* Reserved with the last settle. */
			job = next;
			have_next = 0;
			rc = 1;
		} else
			rc = q_reserve(q, left, pop_sigfd, &job, &e);
		if (rc == -1 && pop_stopping)
			break;	/* asked to stop while the server was away */
		if (rc == -1) {
			log_fatal("%s", e.msg);
			ex = e.code;
			break;
		}
		if (rc == 0) {
			if (pop_stopping)
				break;
			if (c.wait_ms >= 0 && (long long)(sys_now_ms() - t0) >=
			    c.wait_ms) {
				if (done == 0)
					ex = EX_NEGATIVE;
				break;
			}
			continue;	/* a SIGCHLD woke the wait */
		}
		if (pop_stopping) {
			memset(&r, 0, sizeof(r));
			r.handed_back = 1;
			ex = pop_settle(&c, q, &job, &r, NULL, NULL);
			q_job_free(&job);
			break;
		}
		log_info("job %s: attempt %lld", job.id, job.attempt);
		if (pop_run_job(&c, q, &sc, &job, &r, &e) == -1) {
			/* Could not start it: hand it back, exit. */
			log_fatal("job %s: %s", job.id, e.msg);
			memset(&r, 0, sizeof(r));
			r.handed_back = 1;
			(void)pop_settle(&c, q, &job, &r, NULL, NULL);
			q_job_free(&job);
			ex = e.code;
			break;
		}
		/* Another job after this one: take it in the same trip. */
		more = !pop_stopping && (c.loop || done + 1 < (c.count > 0 ?
		    c.count : 1));
		ex = pop_settle(&c, q, &job, &r, more ? &next : NULL,
		    &have_next);
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
	while (c.npass > 0)
		free(c.pass[--c.npass]);
	free(c.pass);
	return ex;
}
