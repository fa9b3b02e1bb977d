/*
 * imgq-events: the event server.  One process holds many long-lived
 * clients (Server-Sent Events and WebSocket) and one subscription to the
 * queue's events, and sends each client the events of the jobs it
 * follows (imgq-events(8)).
 *
 * main.c reads the settings, opens the sockets and maps failures to
 * exit codes; loop.c runs.
 */
#define _GNU_SOURCE

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "ev.h"
#include "exitcode.h"
#include "log.h"
#include "net.h"
#include "q.h"
#include "sys.h"

#define REDIS_RETRY_MS	1000	/* the loop waits for nothing longer */

static void
usage(void)
{
	(void)fprintf(stderr, "usage: imgq-events [-v] [-l address] "
	    "[-q queue]\n");
	exit(EX_USAGE);
}

static void
defaults(struct evconf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_conns = 10000;
	c->wbuf_max = 256 << 10;
	c->head_timeout_ms = 10000;
	c->idle_timeout_ms = 120000;
	c->sse_timeout_ms = 600000;
	c->ping_ms = 15000;
	c->frame_max = 16 << 10;
	c->msg_max = 64 << 10;
	c->follow_max = 64;
	http_limits_default(&c->http);
	c->http.head_max = 16 << 10;
	c->http.line_max = 4096;
	c->http.field_max = 8192;
	c->http.fields_max = 48;
	q_conf_defaults(&c->q);
}

/* The header a trusted front server names the operator in, lower case. */
static int
front_user(struct evconf *c, struct err *e)
{
	static char name[64];
	const char *f = env_str("IMGQ_RECV_FRONT_USER");
	size_t i;

	if (f == NULL)
		return 0;
	for (i = 0; f[i] != '\0' && i < sizeof(name) - 1; i++) {
		if (!http_tchar((unsigned char)f[i]))
			break;
		name[i] = f[i] >= 'A' && f[i] <= 'Z' ? f[i] + 32 : f[i];
	}
	if (i == 0 || f[i] != '\0')
		return err_set(e, EX_CONFIG, "IMGQ_RECV_FRONT_USER: not a "
		    "header name");
	name[i] = '\0';
	c->front_user = name;
	return 0;
}

static int
settings(struct srv *s, struct err *e)
{
	struct evconf *c = &s->c;
	const char *t = env_str("IMGQ_ADMIN_TOKEN");

	if (env_long("IMGQ_EVENTS_MAX_CONNS", 1, 1000000, &c->max_conns, e) ||
	    env_size("IMGQ_EVENTS_WBUF", 4096, 1 << 30, &c->wbuf_max, e) ||
	    env_duration_ms("IMGQ_EVENTS_HEAD_TIMEOUT", 100, 3600000,
	    &c->head_timeout_ms, e) ||
	    env_duration_ms("IMGQ_EVENTS_IDLE_TIMEOUT", 100, 86400000,
	    &c->idle_timeout_ms, e) ||
	    env_duration_ms("IMGQ_EVENTS_SSE_TIMEOUT", 100, 86400000,
	    &c->sse_timeout_ms, e) ||
	    env_duration_ms("IMGQ_EVENTS_PING", 100, 3600000, &c->ping_ms,
	    e) ||
	    env_size("IMGQ_EVENTS_FRAME_MAX", 125, 1 << 20, &c->frame_max,
	    e) ||
	    env_size("IMGQ_EVENTS_MSG_MAX", 125, 1 << 24, &c->msg_max, e) ||
	    env_long("IMGQ_EVENTS_FOLLOW_MAX", 1, 100000, &c->follow_max,
	    e) || front_user(c, e) == -1 || q_conf_from_env(&c->q, e) == -1)
		return -1;
	if (t != NULL && strlen(t) < 16)
		return err_set(e, EX_CONFIG, "IMGQ_ADMIN_TOKEN: shorter than "
		    "16 characters");
	opauth_init(&s->auth, t);
	c->origins = env_str("IMGQ_EVENTS_ORIGINS");
	c->socket = env_str("IMGQ_EVENTS_SOCKET");
	if (c->q.url == NULL)
		c->q.url = "redis://127.0.0.1:6379/0";
	if (c->q.retry_ms > REDIS_RETRY_MS)
		c->q.retry_ms = REDIS_RETRY_MS;
	return 0;
}

static void
on_term(int sig)
{
	(void)sig;
	ev_stop = 1;
}

/* The listening socket: -l, or one inherited as standard input. */
static int
sockets(struct srv *s, const char *spec, struct err *e)
{
	char where[300], path[300];
	int on = 0, n;
	socklen_t len = sizeof(on);

	if (spec != NULL) {
		if ((s->lfd = net_listen(spec, SOCK_STREAM, 1024, where,
		    sizeof(where), e)) == -1)
			return -1;
		log_info("listening on %s", where);
	} else if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
	    on) {
		s->lfd = dup(0);
	} else
		return err_set(e, EX_USAGE, "no -l and standard input is not "
		    "a listening socket");
	if (s->lfd == -1 || fcntl_nonblock(s->lfd) == -1)
		return err_errno(e, EX_OSERR, errno, "listening socket");
	s->hfd = -1;
	if (s->c.socket == NULL)
		return 0;
	n = snprintf(path, sizeof(path), "unix:%s", s->c.socket);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(e, EX_CONFIG, "IMGQ_EVENTS_SOCKET too long");
	if ((s->hfd = net_listen(path, SOCK_SEQPACKET, 128, where,
	    sizeof(where), e)) == -1 || fcntl_nonblock(s->hfd) == -1)
		return err_prefix(e, "IMGQ_EVENTS_SOCKET");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct srv *s;
	const char *spec = NULL, *queue = NULL;
	struct err e;
	int ch, rc;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	log_init(argv[0]);
	sys_ignore_sigpipe();
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EX_OSERR;
	defaults(&s->c);
	if (settings(s, &e) == -1) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	while ((ch = getopt(argc, argv, "l:q:v")) != -1) {
		switch (ch) {
		case 'l':
			spec = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'q':
			queue = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (queue != NULL && q_conf_queue(&s->c.q, queue, &e) == -1) {
		log_fatal("%s", e.msg);
		return EX_USAGE;
	}
	if (sockets(s, spec, &e) == -1) {
		log_fatal("%s", e.msg);
		if (e.code == EX_USAGE)
			usage();
		return e.code;
	}
	/* epoll_wait returns EINTR whatever SA_RESTART says */
	(void)signal(SIGTERM, on_term);
	(void)signal(SIGINT, on_term);
	if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_fatal("epoll_create1: %s", strerror(errno));
		return EX_OSERR;
	}
	s->subfd = -1;
	if (feed_init(s, &e) == -1) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	rc = ev_run(s) == -1 ? EX_OSERR : EX_OK;
	if (rc != EX_OK)
		log_fatal("epoll_wait: %s", strerror(errno));
	ev_shutdown(s);
	if (s->c.socket != NULL)
		(void)unlink(s->c.socket);
	q_sub_close(s->sub);
	q_close(s->q);
	free(s);
	return rc;
}
