/*
 * imgq-prefork: keep N copies of a command running, optionally sharing a
 * listening socket (inetd "wait" style: the socket is each child's standard
 * input), with graceful stop, rolling reload and queue-depth autoscaling.
 *
 * main.c reads the flags, opens the listening socket and checks the
 * environment file; pool.c supervises.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "dotenv.h"
#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "log.h"
#include "prefork.h"
#include "sys.h"

#define DAY_MS	(24ULL * 3600 * 1000)

static void
usage(void)
{
	(void)fprintf(stderr, "usage: imgq-prefork [-s] [-b backlog] "
	    "[-c cooldown] [-d fd] [-e file] [-g grace] [-i interval] "
	    "[-j jitter] [-l address] [-M max] [-m min] [-n count] "
	    "[-p probe] [-r requests] [-t target] [-u uptime] -- "
	    "command [arg ...]\n");
	exit(EX_USAGE);
}

static void
fatal(const struct err *e)
{
	log_fatal("%s", e->msg);
	exit(e->code != 0 ? e->code : EX_SOFTWARE);
}

/* The exit code that fits a failing bind(2) or listen(2). */
static int
bind_code(int errnum)
{
	switch (errnum) {
	case EADDRINUSE:
		return EX_TEMPFAIL;	/* an old instance may still hold it */
	case EACCES: case EADDRNOTAVAIL: case ENOENT: case ENOTDIR:
	case EROFS: case EPERM: case EAFNOSUPPORT:
		return EX_CONFIG;
	default:
		return EX_OSERR;
	}
}

static int
listen_unix(const char *path, int backlog, struct err *e)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, EX_USAGE, "unix socket path empty or longer "
		    "than %zu bytes", sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return err_errno(e, EX_OSERR, errno, "socket");
	/* A socket file left by a dead instance: nobody answers on it. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    errno == ECONNREFUSED)
		(void)unlink(path);
	(void)close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return err_errno(e, EX_OSERR, errno, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, backlog) == -1) {
		(void)err_errno(e, bind_code(errno), errno,
		    "unable to listen on unix:%s", path);
		(void)close(fd);
		return -1;
	}
	log_info("listening on unix:%s", path);
	return fd;
}

static int
listen_inet(const char *spec, int backlog, struct err *e)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char host[256], port[32], nhost[256], nport[32];
	const char *colon, *h = spec;
	size_t hlen;
	int fd = -1, on = 1, r, errnum = 0;

	if ((colon = strrchr(spec, ':')) == NULL || colon[1] == '\0')
		return err_set(e, EX_USAGE, "-l %s: expected ADDRESS:PORT or "
		    "unix:PATH", spec);
	hlen = (size_t)(colon - spec);
	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
		h = spec + 1;
		hlen -= 2;
	}
	if (hlen >= sizeof(host) ||
	    (size_t)snprintf(port, sizeof(port), "%s", colon + 1) >=
	    sizeof(port))
		return err_set(e, EX_USAGE, "-l %s: address too long", spec);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(hlen == 0 || strcmp(host, "*") == 0 ? NULL : host,
	    port, &hints, &res);
	if (r != 0)
		return err_set(e, r == EAI_AGAIN ? EX_TEMPFAIL : EX_CONFIG,
		    "-l %s: %s", spec, gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			errnum = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		errnum = errno;
		(void)close(fd);
		fd = -1;
	}
	if (fd == -1) {
		freeaddrinfo(res);
		return err_errno(e, bind_code(errnum), errnum,
		    "unable to listen on %s", spec);
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sslen, nhost, sizeof(nhost),
	    nport, sizeof(nport), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		log_info("listening on %s%s%s:%s",
		    ss.ss_family == AF_INET6 ? "[" : "", nhost,
		    ss.ss_family == AF_INET6 ? "]" : "", nport);
	freeaddrinfo(res);
	return fd;
}

static long long
num(const char *flag, const char *s, long long min, long long max)
{
	struct err e;
	long long v;

	if (parse_long(s, min, max, &v, &e) == -1) {
		log_fatal("-%s: %s", flag, e.msg);
		usage();
	}
	return v;
}

static uint64_t
dur(const char *flag, const char *s, uint64_t min, uint64_t max)
{
	struct err e;
	uint64_t v;

	if (parse_duration_ms(s, min, max, &v, &e) == -1) {
		log_fatal("-%s: %s", flag, e.msg);
		usage();
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct pf_conf c = { 0 };
	struct dotenv d;
	struct err e;
	const char *listen_spec = NULL;
	long long backlog = 1024;
	int ch, syslog_on = 0, have_n = 0, have_m = 0, have_M = 0;
	int have_j = 0;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	log_init(argv[0]);
	err_clear(&e);
	c.lfd = -1;
	c.count = 1;
	c.target = 10;
	c.interval_ms = 5000;
	c.cooldown_ms = 60000;
	c.grace_ms = 10000;
	c.uptime_ms = 1000;
	while ((ch = getopt(argc, argv,
	    "+b:c:d:e:g:i:j:l:M:m:n:p:r:st:u:")) != -1) {
		switch (ch) {
		case 'b':
			backlog = num("b", optarg, 1, 65535);
			break;
		case 'c':
			c.cooldown_ms = dur("c", optarg, 0, DAY_MS);
			break;
		case 'd':
			c.ready_fd = (int)num("d", optarg, 3, 1023);
			break;
		case 'e':
			c.envfile = optarg;
			break;
		case 'g':
			c.grace_ms = dur("g", optarg, 0, DAY_MS);
			break;
		case 'i':
			c.interval_ms = dur("i", optarg, 10, DAY_MS);
			break;
		case 'j':
			c.jitter = num("j", optarg, 0, 1000000000);
			have_j = 1;
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'M':
			c.max = num("M", optarg, 0, PF_MAX_CHILDREN);
			have_M = 1;
			break;
		case 'm':
			c.min = num("m", optarg, 0, PF_MAX_CHILDREN);
			have_m = 1;
			break;
		case 'n':
			c.count = num("n", optarg, 0, PF_MAX_CHILDREN);
			have_n = 1;
			break;
		case 'p':
			c.probe = optarg;
			break;
		case 'r':
			c.requests = num("r", optarg, 1, 1000000000);
			break;
		case 's':
			syslog_on = 1;
			break;
		case 't':
			c.target = num("t", optarg, 1, 1000000000);
			break;
		case 'u':
			c.uptime_ms = dur("u", optarg, 0, DAY_MS);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if (syslog_on)
		log_use_syslog(LOG_DAEMON);
	if (c.probe == NULL && (have_m || have_M)) {
		log_fatal("-m and -M need a probe (-p)");
		usage();
	}
	if (c.probe != NULL) {
		if (!have_M) {
			log_fatal("-p needs a maximum (-M)");
			usage();
		}
		if (!have_m)
			c.min = c.max < 1 ? c.max : 1;
		if (c.min > c.max) {
			log_fatal("-m %lld is above -M %lld", c.min, c.max);
			usage();
		}
		if (!have_n)
			c.count = c.min;
		c.count = c.count < c.min ? c.min :
		    c.count > c.max ? c.max : c.count;
	}
	if (have_j && c.requests == 0) {
		log_fatal("-j needs -r");
		usage();
	}
	if (!have_j)
		c.jitter = c.requests / 10;
	c.argv = argv;

	/* A broken environment file stops us before anything starts. */
	if (c.envfile != NULL) {
		if (dotenv_load(c.envfile, &d, &e) == -1)
			fatal(&e);
		dotenv_free(&d);
	}
	if (listen_spec != NULL) {
		if (strncmp(listen_spec, "unix:", 5) == 0) {
			c.unixpath = listen_spec + 5;
			c.lfd = listen_unix(c.unixpath, (int)backlog, &e);
		} else
			c.lfd = listen_inet(listen_spec, (int)backlog, &e);
		if (c.lfd == -1) {
			if (e.code == EX_USAGE) {
				log_fatal("%s", e.msg);
				usage();
			}
			fatal(&e);
		}
	}
	return pf_run(&c);
}
