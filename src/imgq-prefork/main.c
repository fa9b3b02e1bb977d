/*
 * imgq-prefork: keep N copies of a command running, optionally sharing a
 * listening socket (inetd "wait" style: the socket is each child's standard
 * input), with graceful stop, rolling reload and queue-depth autoscaling.
 *
 * main.c reads the flags, opens the listening socket and checks the
 * environment file; pool.c supervises.
 */
#include <sys/socket.h>

#include <errno.h>
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
#include "net.h"
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

/*
 * A number of children, or "Nx": N for each CPU online, so that one unit
 * file sizes the pool of any host (a worker far from S3 waits more than it
 * computes, and wants several children per core: imgq(7), MANY HOSTS).
 */
static long long
children(const char *flag, const char *s)
{
	char buf[32];
	size_t n = strlen(s);
	long long v, cpus;

	if (n == 0 || s[n - 1] != 'x' || n >= sizeof(buf))
		return num(flag, s, 0, PF_MAX_CHILDREN);
	memcpy(buf, s, n - 1);
	buf[n - 1] = '\0';
	v = num(flag, buf, 0, PF_MAX_CHILDREN);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	return v * cpus > PF_MAX_CHILDREN ? PF_MAX_CHILDREN : v * cpus;
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
			c.max = children("M", optarg);
			have_M = 1;
			break;
		case 'm':
			c.min = children("m", optarg);
			have_m = 1;
			break;
		case 'n':
			c.count = children("n", optarg);
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
		char where[300];

		if (strncmp(listen_spec, "unix:", 5) == 0)
			c.unixpath = listen_spec + 5;
		c.lfd = net_listen(listen_spec, SOCK_STREAM, (int)backlog,
		    where, sizeof(where), &e);
		if (c.lfd != -1)
			log_info("listening on %s", where);
		if (c.lfd == -1) {
			/* a message about the spec itself names the flag */
			log_fatal("%s%s", strncmp(e.msg, listen_spec,
			    strlen(listen_spec)) == 0 ? "-l " : "", e.msg);
			if (e.code == EX_USAGE)
				usage();
			exit(e.code);
		}
	}
	return pf_run(&c);
}
