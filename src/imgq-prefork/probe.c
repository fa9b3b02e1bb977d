/*
 * probe.c: imgq-prefork's autoscaling probe, a shell command run every
 * interval with the children's environment, whose first line of output
 * is the queue depth; autoscale.c turns the depth into a count.
 */
#define _GNU_SOURCE	/* pipe2 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "num.h"
#include "prefork.h"

#define PROBE_MIN_TIMEOUT_MS 1000

extern char **environ;

void
pf_probe_init(struct pf_probe *p, const struct pf_conf *c)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->scale.min = c->min;
	p->scale.max = c->max;
	p->scale.target = c->target;
	p->scale.cooldown_ms = c->cooldown_ms;
}

void
pf_probe_read(struct pf_probe *p)
{
	char junk[512];
	size_t room;
	ssize_t r;

	for (;;) {
		room = sizeof(p->buf) - 1 - p->len;
		if (room > 0)
			r = read(p->fd, p->buf + p->len, room);
		else
			r = read(p->fd, junk, sizeof(junk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (room > 0)
			p->len += (size_t)r;
		else if (memchr(p->buf, '\n', p->len) == NULL)
			p->too_long = 1;
	}
}

void
pf_probe_start(struct pf_probe *p, const struct pf_conf *c, char **env,
    uint64_t now)
{
	int pfd[2];
	pid_t pid;
	int fd;

	p->next = now + c->interval_ms;
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		log_error("probe: unable to make a pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		pf_child_common();
		if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
		    dup2(fd, 0) == -1 || dup2(pfd[1], 1) == -1)
			_exit(EX_OSERR);
		environ = env;
		(void)execl("/bin/sh", "sh", "-c", c->probe, (char *)NULL);
		log_fatal("unable to run /bin/sh: %s", strerror(errno));
		_exit(EX_OSERR);
	}
	(void)close(pfd[1]);
	if (pid == -1) {
		log_error("probe: unable to fork: %s", strerror(errno));
		(void)close(pfd[0]);
		return;
	}
	(void)setpgid(pid, pid);
	pf_set_nonblock(pfd[0]);
	p->pid = pid;
	p->fd = pfd[0];
	p->len = 0;
	p->too_long = 0;
	p->kill_at = now + (c->interval_ms > PROBE_MIN_TIMEOUT_MS ?
	    c->interval_ms : PROBE_MIN_TIMEOUT_MS);
}

/* The first line, without blanks around it. */
static char *
first_line(struct pf_probe *p)
{
	char *s = p->buf, *q;

	p->buf[p->len] = '\0';
	if ((q = strchr(s, '\n')) != NULL)
		*q = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	for (q = s + strlen(s); q > s && (q[-1] == ' ' || q[-1] == '\t' ||
	    q[-1] == '\r'); q--)
		q[-1] = '\0';
	return s;
}

static long long
evaluate(struct pf_probe *p, int st, long long cur, uint64_t now,
    char *why, size_t len)
{
	char desc[128], esc[64];
	struct err e;
	enum as_step step;
	long long depth, n;
	const char *s;

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		log_warn("probe failed: %s; count stays at %lld",
		    ex_describe_status(st, desc, sizeof(desc)), cur);
		return cur;
	}
	s = first_line(p);
	if (p->too_long || parse_long(s, 0, LLONG_MAX, &depth, &e) == -1) {
		log_warn("probe printed '%s', not a queue depth; count stays "
		    "at %lld", log_escape(s, strlen(s), esc, sizeof(esc)),
		    cur);
		return cur;
	}
	step = autoscale(&p->scale, cur, depth, now, &n);
	(void)snprintf(why, len, "queue depth %lld, %lld per child%s", depth,
	    p->scale.target, step == AS_DOWN ? ", after the cooldown" : "");
	return n;
}

long long
pf_probe_done(struct pf_probe *p, int st, int eval, long long cur,
    uint64_t now, char *why, size_t len)
{
	pf_probe_read(p);
	(void)close(p->fd);
	p->fd = -1;
	(void)kill(-p->pid, SIGKILL);	/* what it left behind */
	p->pid = 0;
	return eval ? evaluate(p, st, cur, now, why, len) : cur;
}
