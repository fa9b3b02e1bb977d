/*
 * imgq-recv: streaming HTTP ingest, as CGI, under inetd (one connection
 * on standard input and output), or as an accept loop on a listening
 * socket inherited as standard input.
 *
 * The mode comes from the environment and fd 0: GATEWAY_INTERFACE set
 * means CGI; a listening socket means the accept loop; anything else is
 * one connection (inetd nowait, tcpserver, systemd Accept=yes, or a file
 * of raw requests in the tests).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "cgi.h"
#include "env.h"
#include "exitcode.h"
#include "http.h"
#include "imgtype.h"
#include "log.h"
#include "pct.h"
#include "recv.h"
#include "sys.h"

#define USAGE "usage: imgq-recv [-v] [-b max-body] [-n max-files] " \
	"[-q queue] [-w www-dir]"

extern char **environ;

volatile sig_atomic_t recv_stop;

static int	use_syslog;		/* logs go to syslog when it listens */
static uint64_t	syslog_checked;		/* ms */

/*
 * With no syslog socket, syslog(3) drops each line but first tries to
 * connect again, at the cost of system calls on every line: while
 * nothing listens, lines are dropped at once, and the socket is looked
 * for again every 10 seconds between requests.
 */
static void
syslog_check(void)
{
	static int on = -1;
	struct stat st;
	uint64_t now = sys_now_ms();
	int there;

	if (!use_syslog || (syslog_checked != 0 && now - syslog_checked <
	    10000))
		return;
	syslog_checked = now;
	there = stat(_PATH_LOG, &st) == 0 && S_ISSOCK(st.st_mode);
	if (there == on)
		return;
	on = there;
	if (there)
		log_use_syslog(LOG_DAEMON);
	else
		log_silence();
}

static void
on_term(int sig)
{
	(void)sig;
	recv_stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "%s\n", USAGE);
	exit(EX_USAGE);
}

/* The exit code that an answer's status stands for (imgq(7)). */
static int
ex_of_status(int status)
{
	if (status == 0)
		return EX_TEMPFAIL;	/* no answer: the client went away */
	if (status < 400)
		return EX_OK;
	switch (status) {
	case 404:
		return EX_NOINPUT;
	case 408:
	case 503:
		return EX_TEMPFAIL;
	case 500:
		return EX_SOFTWARE;
	case 501:
	case 505:
		return EX_PROTOCOL;
	default:
		return status < 500 ? EX_DATAERR : EX_TEMPFAIL;
	}
}

static int
conf_env(struct conf *c, struct err *e)
{
	uint64_t u;
	long long n;

	if (env_size("IMGQ_RECV_MAX_BODY", 1, 1ULL << 40, &c->max_body, e) ||
	    env_long("IMGQ_RECV_MAX_FILES", 1, 1000, &c->max_files, e) ||
	    img_formats_env(&c->formats, e))
		return -1;
	n = (long long)c->mp.parts_max;
	if (env_long("IMGQ_RECV_MAX_PARTS", 1, 10000, &n, e))
		return -1;
	c->mp.parts_max = (size_t)n;
	n = (long long)c->http.fields_max;
	if (env_long("IMGQ_RECV_MAX_HEADERS", 1, 1000, &n, e))
		return -1;
	c->http.fields_max = c->cgi.fields_max = (size_t)n;
	u = c->http.field_max;
	if (env_size("IMGQ_RECV_MAX_HEADER_LEN", 64, 1 << 20, &u, e))
		return -1;
	c->http.field_max = c->http.line_max = c->cgi.value_max = (size_t)u;
	c->http.head_max = c->cgi.total_max = (size_t)u * 4;
	c->mp.header_max = (size_t)u;
	n = (long long)c->mp.filename_max;
	if (env_long("IMGQ_RECV_MAX_NAME", 1, 4096, &n, e))
		return -1;
	c->mp.filename_max = (size_t)n;
	if (env_duration_ms("IMGQ_RECV_HEAD_TIMEOUT", 1, 3600000,
	    &c->head_timeout_ms, e) ||
	    env_duration_ms("IMGQ_RECV_READ_TIMEOUT", 1, 3600000,
	    &c->read_timeout_ms, e) ||
	    env_duration_ms("IMGQ_RECV_IDLE_TIMEOUT", 1, 3600000,
	    &c->idle_timeout_ms, e) ||
	    env_duration_ms("IMGQ_RECV_REQUEST_TIMEOUT", 1, 86400000,
	    &c->request_timeout_ms, e) ||
	    env_size("IMGQ_RECV_MIN_RATE", 0, 1ULL << 30, &c->min_rate, e) ||
	    env_duration_ms("IMGQ_RECV_SSE_TIMEOUT", 1, 86400000,
	    &c->sse_timeout_ms, e) ||
	    env_long("IMGQ_RECV_PRESIGN_TTL", 1, 604800, &c->presign_ttl, e))
		return -1;
	if (env_str("IMGQ_RECV_WWW") != NULL)
		c->www = env_str("IMGQ_RECV_WWW");
	c->metrics_file = env_str("IMGQ_RECV_METRICS_FILE");
	/* imgq-prefork -r: be replaced after about that many */
	if (env_long("IMGQ_MAX_REQUESTS", 0, LLONG_MAX, &c->max_conns, e))
		return -1;
	if (q_conf_from_env(&c->q, e) == -1)
		return -1;
	c->events_socket = env_str("IMGQ_EVENTS_SOCKET");
	if (c->q.url == NULL)
		c->q.url = "redis://127.0.0.1:6379/0";
	c->q.retry_ms = Q_RETRY_MS;
	return 0;
}

/*
 * The operator's credentials (auth.c): IMGQ_ADMIN_TOKEN, kept only as
 * its digest, and IMGQ_RECV_FRONT_USER, the CGI variable (or, in the
 * other modes, the header) a trusted front server names the user in.
 */
static int
auth_env(struct srv *s, struct err *e)
{
	static char name[64];
	const char *t = env_str("IMGQ_ADMIN_TOKEN");
	const char *f = env_str("IMGQ_RECV_FRONT_USER");
	size_t i;

	if (t != NULL && strlen(t) < 16)
		return err_set(e, EX_CONFIG, "IMGQ_ADMIN_TOKEN: shorter than "
		    "16 characters");
	auth_init(s, t);
	if (f == NULL)
		return 0;
	for (i = 0; f[i] != '\0' && i < sizeof(name) - 1; i++) {
		if (!((f[i] >= 'A' && f[i] <= 'Z') || (f[i] >= 'a' &&
		    f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') ||
		    f[i] == '_' || f[i] == '-'))
			break;
		name[i] = s->mode == MODE_CGI || f[i] < 'A' || f[i] > 'Z' ?
		    f[i] : f[i] + 32;
	}
	if (i == 0 || f[i] != '\0')
		return err_set(e, EX_CONFIG, "IMGQ_RECV_FRONT_USER: not a "
		    "variable or header name");
	name[i] = '\0';
	s->c.front_user = name;
	return 0;
}

/* 1 when the CGI request came over https. */
static int
cgi_https(void)
{
	const char *h = getenv("HTTPS"), *sch = getenv("REQUEST_SCHEME");

	return (h != NULL && (strcasecmp(h, "on") == 0 ||
	    strcmp(h, "1") == 0)) || (sch != NULL &&
	    strcasecmp(sch, "https") == 0);
}

static void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_body = 50ULL << 20;
	c->max_files = 16;
	http_limits_default(&c->http);
	mp_limits_default(&c->mp);
	cgi_limits_default(&c->cgi);
	c->mp.parts_max = 32;
	c->mp.header_max = c->http.field_max;
	c->head_timeout_ms = 10000;
	c->read_timeout_ms = 15000;
	c->idle_timeout_ms = 5000;
	c->request_timeout_ms = 600000;
	c->min_rate = 1024;
	c->sse_timeout_ms = 600000;
	c->sse_ping_ms = 15000;
	c->presign_ttl = 300;
	c->max_requests = 1000;
}

/* The folder of the upload page: flag or variable, else next to bin/. */
static void
find_www(struct conf *c, const char *argv0)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], *slash;
	const char *tries[] = { "/../share/www", "/../share/imgq/www" };
	ssize_t n;
	size_t i;
	struct stat st;

	if (c->www != NULL)
		return;
	(void)argv0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		n = snprintf(path, sizeof(path), "%s%s/index.html", exe,
		    tries[i]);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		if (stat(path, &st) == 0) {
			path[n - 11] = '\0';
			c->www = path;
			return;
		}
	}
}

/* Reads index.html once (kept across requests). */
static void
load_index(struct srv *s)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd, k;

	if (s->c.www == NULL)
		return;
	k = snprintf(path, sizeof(path), "%s/index.html", s->c.www);
	if (k < 0 || (size_t)k >= sizeof(path))
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("unable to open %s: %s", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < (1 << 20) && (s->index = malloc((size_t)st.st_size +
	    1)) != NULL) {
		n = read(fd, s->index, (size_t)st.st_size);
		if (n == st.st_size)
			s->index_len = (size_t)n;
		else {
			free(s->index);
			s->index = NULL;
		}
	}
	close(fd);
}

static void
nonblock(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) == -1 || S_ISREG(st.st_mode))
		return;
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
access_log(struct srv *s, struct conn *c, const struct rq *r)
{
	char p[160], m[40];

	/* one line per request (a syslog call costs when none listens) */
	log_info("%s%s%s \"%s %s\" %d %llu %llu ms", c->note, c->note[0] ?
	    "; " : "", s->peer[0] ? s->peer : "-",
	    log_escape(r->method, strlen(r->method), m, sizeof(m)),
	    log_escape(r->path, strlen(r->path), p, sizeof(p)), c->status,
	    (unsigned long long)c->taken,
	    (unsigned long long)(sys_now_ms() - r->start));
}

/* Splits the target into the decoded path and the query. */
static int
split_target(struct rq *r, const char *target)
{
	const char *q = strchr(target, '?');
	size_t n = q ? (size_t)(q - target) : strlen(target);

	r->query = q ? q + 1 : "";
	return pct_decode(target, n, r->path, sizeof(r->path), 0);
}

/* One request from the CGI environment; returns the exit code. */
static int
serve_cgi(struct srv *s)
{
	struct cgi_req cr;
	struct conn *c;
	struct rq r;
	struct err e;
	size_t n;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_fatal("out of memory");
		return EX_OSERR;
	}
	conn_init(c, s, 0, 1, 1);
	nonblock(0);
	nonblock(1);
	memset(&r, 0, sizeof(r));
	r.start = sys_now_ms();
	c->deadline = r.start + s->c.request_timeout_ms;
	r.method = "-";
	if (cgi_parse(s->cgi, environ, &cr, &e) == -1) {
		c->body_done = 1;
		respond_error(c, cr.req.status, e.msg, NULL);
		log_error("bad CGI request: %s", e.msg);
		goto out;
	}
	snprintf(s->peer, sizeof(s->peer), "%s", cr.remote);
	r.method = cr.req.method;
	r.req = &cr.req;
	r.query = cr.query;
	r.prefix = cr.script;
	r.front_user = s->c.front_user ? getenv(s->c.front_user) : NULL;
	r.https = cgi_https();
	n = strlen(cr.path);
	if (n >= sizeof(r.path)) {
		c->body_done = 1;
		respond_error(c, 414, "request target too long", NULL);
		goto out;
	}
	memcpy(r.path, cr.path, n + 1);
	body_init(c, &cr.req);
	route(c, &r);
out:
	met_request(s, c->status, c->taken);
	access_log(s, c, &r);
	n = (size_t)ex_of_status(c->status);
	free(c);
	return (int)n;
}

/*
 * Serves one connection until it closes, fails, asks to close, or the
 * process is told to stop.  Returns the exit code of the last failed
 * request (0 when none failed).
 */
static int
serve_conn(struct srv *s, struct conn *c)
{
	struct http_req req;
	struct rq r;
	struct err e;
	const char *proto;
	size_t used;
	long long served = 0;
	int rc, ex = EX_OK, x;

	for (;;) {
		syslog_check();
		http_parser_reset(s->hp);
		memset(&r, 0, sizeof(r));
		r.method = "-";
		r.start = sys_now_ms();
		c->status = 0;
		c->note[0] = '\0';
		c->sent = 0;
		c->taken = 0;
		c->timedout = 0;
		c->head_only = 0;
		c->body_done = 1;
		/* wait for the first byte, then the head has its own time */
		c->deadline = r.start + (served ? s->c.idle_timeout_ms :
		    s->c.head_timeout_ms);
		rc = 0;
		c->idle = c->off == c->len;
		for (;;) {
			if (c->off < c->len) {
				c->idle = 0;
				rc = http_parser_feed(s->hp, c->buf + c->off,
				    c->len - c->off, &used, &req, &e);
				c->off += used;
				if (rc != 0)
					break;
			}
			if (recv_stop && http_parser_pending(s->hp) == 0)
				return ex;
			x = conn_fill(c, s->c.read_timeout_ms);
			if (x > 0 && http_parser_pending(s->hp) == 0 &&
			    served > 0)
				c->deadline = sys_now_ms() +
				    s->c.head_timeout_ms;
			if (x <= 0)
				break;
		}
		if (rc == 0) {
			/* end of input, timeout or error before a head */
			if (http_parser_pending(s->hp) == 0 &&
			    (c->eof || served > 0))
				return ex;
			if (c->timedout && !c->broken) {
				c->keepalive = 0;
				respond_error(c, 408, "request head too slow",
				    NULL);
				log_warn("%s: request head not complete in "
				    "time", s->peer[0] ? s->peer : "client");
			}
			met_request(s, c->status ? c->status : 400, 0);
			return ex_of_status(c->status ? c->status : 400);
		}
		served++;
		if (rc == -1) {
			c->keepalive = 0;
			respond_error(c, req.status, e.msg, NULL);
			log_warn("%s: bad request: %s", s->peer[0] ? s->peer :
			    "client", e.msg);
			met_request(s, c->status, 0);
			return ex_of_status(c->status);
		}
		r.method = req.method;
		r.req = &req;
		r.prefix = "";
		r.front_user = s->c.front_user ? http_field(&req,
		    s->c.front_user) : NULL;
		proto = http_field(&req, "x-forwarded-proto");
		r.https = proto != NULL && strcasecmp(proto, "https") == 0;
		c->keepalive = req.keepalive && !recv_stop &&
		    served < s->c.max_requests;
		c->deadline = r.start + s->c.request_timeout_ms;
		body_init(c, &req);
		if (split_target(&r, req.target) == -1) {
			respond_error(c, 400, "malformed request target",
			    NULL);
		} else
			route(c, &r);
		if (c->keepalive && !c->body_done)
			(void)body_discard(c);
		met_request(s, c->status, c->taken);
		access_log(s, c, &r);
		if (c->status >= 400 || c->status == 0)
			ex = ex_of_status(c->status);
		if (!c->keepalive || c->broken)
			return ex;
	}
}

/*
 * After an answer given before the body was read (413, 415...): stop
 * writing, then read and drop what the client still sends for a moment,
 * so that our answer is not lost to a reset before the client reads it.
 */
static void
linger(struct conn *c)
{
	uint64_t end = sys_now_ms() + 2000, n = 0;
	struct pollfd pfd;
	ssize_t k;
	char junk[16384];

	if (c->body_done || c->broken || c->status == 0)
		return;
	if (shutdown(c->out, SHUT_WR) == -1)
		return;
	while (n < (64ULL << 20) && sys_now_ms() < end) {
		pfd.fd = c->in;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - sys_now_ms())) <= 0)
			break;
		k = read(c->in, junk, sizeof(junk));
		if (k == 0 || (k == -1 && errno != EAGAIN && errno != EINTR))
			break;
		if (k > 0)
			n += (uint64_t)k;
	}
}

static void
peer_name(struct srv *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[INET6_ADDRSTRLEN];

	s->peer[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET && inet_ntop(AF_INET,
	    &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a)) != NULL)
		snprintf(s->peer, sizeof(s->peer), "%s", a);
	else if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a)) != NULL)
		snprintf(s->peer, sizeof(s->peer), "%s", a);
	else if (ss.ss_family == AF_UNIX)
		snprintf(s->peer, sizeof(s->peer), "unix");
}

/* Tells imgq-prefork -d (or s6) that the loop is ready to accept. */
static void
ready(void)
{
	const char *v = getenv("IMGQ_READY_FD");
	long long fd;
	struct err e;

	if (v == NULL || parse_long(v, 3, INT_MAX, &fd, &e) == -1)
		return;
	if (sys_write_all((int)fd, "ready\n", 6, &e) == -1)
		log_warn("readiness descriptor %lld: %s", fd, e.msg);
	(void)close((int)fd);
}

static int
accept_loop(struct srv *s)
{
	struct pollfd pfd;
	struct conn *c;
	long long conns = 0;
	int fd;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_fatal("out of memory");
		return EX_OSERR;
	}
	nonblock(0);
	ready();
	while (!recv_stop) {
		if (s->c.max_conns > 0 && conns >= s->c.max_conns) {
			log_debug("%lld connections served: exiting to be "
			    "replaced", conns);
			break;
		}
		fd = accept(0, NULL, NULL);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED) {
				pfd.fd = 0;
				pfd.events = POLLIN;
				(void)poll(&pfd, 1, 1000);
				continue;
			}
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_error("unable to accept a connection: %s",
				    strerror(errno));
				(void)poll(NULL, 0, 100);
				continue;
			}
			log_fatal("unable to accept a connection: %s",
			    strerror(errno));
			free(c);
			return EX_OSERR;
		}
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		peer_name(s, fd);
		conn_init(c, s, fd, fd, 0);
		(void)serve_conn(s, c);
		linger(c);
		close(fd);
		conns++;
	}
	free(c);
	return EX_OK;
}

static enum mode
detect_mode(void)
{
	struct stat st;
	int on = 0;
	socklen_t len = sizeof(on);

	if (getenv("GATEWAY_INTERFACE") != NULL)
		return MODE_CGI;
	if (fstat(0, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
		return MODE_ACCEPT;
	return MODE_INETD;
}

int
main(int argc, char **argv)
{
	struct srv *s;
	struct sigaction sa;
	struct err e;
	const char *lg;
	uint64_t u;
	long long n;
	int ch, rc;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	log_init(argv[0]);
	/* httpoxy: a Proxy: header must not become the proxy of libcurl */
	(void)unsetenv("HTTP_PROXY");
	sys_ignore_sigpipe();
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EX_OSERR;
	s->mode = detect_mode();
	lg = getenv("IMGQ_RECV_LOG");
	if ((s->mode == MODE_INETD && (lg == NULL || strcmp(lg, "stderr"))) ||
	    (lg != NULL && strcmp(lg, "syslog") == 0)) {
		use_syslog = 1;
		syslog_check();
	}
	conf_defaults(&s->c);
	if (conf_env(&s->c, &e) == -1 || auth_env(s, &e) == -1) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	while ((ch = getopt(argc, argv, "b:n:q:vw:")) != -1) {
		switch (ch) {
		case 'b':
			if (parse_size(optarg, 1, 1ULL << 40, &u, &e) == -1) {
				log_fatal("-b: %s", e.msg);
				return EX_USAGE;
			}
			s->c.max_body = u;
			break;
		case 'n':
			if (parse_long(optarg, 1, 1000, &n, &e) == -1) {
				log_fatal("-n: %s", e.msg);
				return EX_USAGE;
			}
			s->c.max_files = n;
			break;
		case 'q':
			if (q_conf_queue(&s->c.q, optarg, &e) == -1) {
				log_fatal("%s", e.msg);
				return EX_USAGE;
			}
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'w':
			s->c.www = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	find_www(&s->c, argv[0]);
	load_index(s);
	if (met_open(s, &e) == -1) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	if ((s->hp = http_parser_new(&s->c.http, &e)) == NULL ||
	    (s->cgi = cgi_new(&s->c.cgi, &e)) == NULL) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	if (backend_init(s, s->mode == MODE_ACCEPT, &e) == -1) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	switch (s->mode) {
	case MODE_CGI:
		rc = serve_cgi(s);
		break;
	case MODE_ACCEPT:
		log_debug("serving connections on the socket of fd 0");
		rc = accept_loop(s);
		break;
	default: {
		struct conn *c = malloc(sizeof(*c));

		if (c == NULL)
			return EX_OSERR;
		peer_name(s, 0);
		if (s->peer[0] == '\0') {
			lg = getenv("TCPREMOTEIP");
			if (lg != NULL)
				snprintf(s->peer, sizeof(s->peer), "%s", lg);
		}
		conn_init(c, s, 0, 1, 0);
		nonblock(0);
		nonblock(1);
		rc = serve_conn(s, c);
		linger(c);
		free(c);
		break;
	}
	}
	backend_free(s);
	return rc;
}
