/*
 * imgq-push: queue jobs for objects already in S3 (keys as arguments or
 * one per line on standard input), pipelined; prints one job id a line.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "log.h"
#include "q.h"
#include "q_conf.h"
#include "sys.h"

#define USAGE "usage: imgq-push [-Kv] [-b bucket] [-f name=value] " \
	"[-F name=file] [-k idempotency-key] [-q queue] [-r retention] " \
	"[key ...]"

#define BATCH		256
#define KEY_MAX		1024	/* S3's limit on a key, bytes */
#define EXTRA_MAX	64

struct conf {
	const char	*bucket;
	const char	*idem;
	int		 derive_idem;
	struct q_conf	 q;
	struct q_field	 extra[EXTRA_MAX];
	size_t		 nextra;
	int		 progress;
};

/* One pending job and the storage its fields point into. */
struct item {
	char		*key;
	char		*idem;
	struct q_field	 f[EXTRA_MAX + 4];
};

#define usage(why)	cli_usage(USAGE, why)
#define die(e)		cli_die(e)

static const char *
type_of(const char *key)
{
	static const struct { const char *ext, *type; } map[] = {
		{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
		{ "png", "image/png" }, { "gif", "image/gif" },
		{ "webp", "image/webp" }, { "tif", "image/tiff" },
		{ "tiff", "image/tiff" }, { "bmp", "image/bmp" },
		{ "avif", "image/avif" }, { "heic", "image/heic" },
	};
	const char *dot = strrchr(key, '.'), *slash = strrchr(key, '/');
	size_t i;

	if (dot == NULL || (slash != NULL && dot < slash))
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(dot + 1, map[i].ext) == 0)
			return map[i].type;
	return NULL;
}

static size_t
fill(const struct conf *c, struct item *it)
{
	const char *base = strrchr(it->key, '/'), *t;
	size_t n = 0, i;

	base = base != NULL ? base + 1 : it->key;
	it->f[n].name = "src", it->f[n].val = it->key;
	it->f[n++].len = strlen(it->key);
	if (c->bucket != NULL) {
		it->f[n].name = "bucket", it->f[n].val = c->bucket;
		it->f[n++].len = strlen(c->bucket);
	}
	if (*base != '\0') {
		it->f[n].name = "name", it->f[n].val = base;
		it->f[n++].len = strlen(base);
	}
	if ((t = type_of(it->key)) != NULL) {
		it->f[n].name = "type", it->f[n].val = t;
		it->f[n++].len = strlen(t);
	}
	/* -f fields come last: they win over the ones above. */
	for (i = 0; i < c->nextra; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (strcmp(it->f[j].name, c->extra[i].name) == 0)
				break;
		it->f[j] = c->extra[i];
		if (j == n)
			n++;
	}
	return n;
}

static int
check_key(const char *k, size_t n, struct err *e)
{
	char esc[80];

	if (n == 0)
		return err_set(e, EX_DATAERR, "empty key");
	if (n > KEY_MAX) {
		log_escape(k, 60, esc, sizeof(esc));
		return err_set(e, EX_DATAERR, "key longer than %d bytes: %s",
		    KEY_MAX, esc);
	}
	if (memchr(k, '\0', n) != NULL || memchr(k, '\n', n) != NULL) {
		log_escape(k, n, esc, sizeof(esc));
		return err_set(e, EX_DATAERR, "key holds a NUL or newline: "
		    "%s", esc);
	}
	return 0;
}

/* Pushes items[0..n); prints the ids. */
static void
flush(struct q *q, const struct conf *c, struct item *it, size_t n,
    long long *total)
{
	struct q_push_req req[BATCH];
	struct err e;
	size_t i, nf;

	err_clear(&e);
	for (i = 0; i < n; i++) {
		memset(&req[i], 0, sizeof(req[i]));
		nf = fill(c, &it[i]);
		req[i].fields = it[i].f;
		req[i].nfields = nf;
		req[i].idem_key = it[i].idem;
	}
	if (q_push_batch(q, req, n, &e) == -1)
		die(&e);
	for (i = 0; i < n; i++) {
		if (req[i].existed) {
			char esc[128];

			log_escape(it[i].key, strlen(it[i].key), esc,
			    sizeof(esc));
			log_info("%s: job %s exists already (idempotency key)",
			    esc, req[i].id);
		}
		printf("%s\n", req[i].id);
		free(it[i].key);
		free(it[i].idem);
	}
	if (fflush(stdout) == EOF) {
		log_fatal("standard output: %s", strerror(errno));
		exit(EX_OSERR);
	}
	*total += (long long)n;
	if (c->progress)
		fprintf(stderr, "\rimgq-push: %lld queued", *total);
}

static void
add(struct q *q, const struct conf *c, struct item *it, size_t *n,
    const char *key, size_t klen, long long *total)
{
	struct err e;
	char *s;
	int k;

	err_clear(&e);
	if (check_key(key, klen, &e) == -1) {
		/* the keys read before the bad one are queued, not lost */
		if (*n > 0)
			flush(q, c, it, *n, total);
		*n = 0;
		die(&e);
	}
	if ((it[*n].key = strndup(key, klen)) == NULL) {
		log_fatal("out of memory");
		exit(EX_OSERR);
	}
	it[*n].idem = NULL;
	if (c->idem != NULL) {
		it[*n].idem = strdup(c->idem);
	} else if (c->derive_idem) {
		size_t sz = klen + (c->bucket ? strlen(c->bucket) : 0) + 8;

		if ((s = malloc(sz)) != NULL) {
			k = snprintf(s, sz, "src:%s/%s",
			    c->bucket ? c->bucket : "", it[*n].key);
			if (k < 0 || (size_t)k >= sz) {
				free(s);
				s = NULL;
			}
		}
		it[*n].idem = s;
	}
	if ((c->idem != NULL || c->derive_idem) && it[*n].idem == NULL) {
		log_fatal("out of memory");
		exit(EX_OSERR);
	}
	if (++*n == BATCH) {
		flush(q, c, it, *n, total);
		*n = 0;
	}
}

/* 1 when a read of fd would not block (or it is not a pipe or socket). */
static int
ready(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) != 0;
}

/*
 * Keys from standard input, one a line.  They go in batches while input
 * is waiting; when a read would block (a slow producer, tail -f) what has
 * been read is queued first, so no key waits for the next ones.  A line
 * is refused as soon as it is longer than a key may be, without reading
 * the rest of it.
 */
static void
read_keys(struct q *q, const struct conf *c, struct item *it, size_t *n,
    long long *total)
{
	char buf[4 * (KEY_MAX + 2)], *nl, *s;
	size_t have = 0, start, len;
	ssize_t r;
	int eof = 0;

	while (!eof) {
		if (*n > 0 && !ready(0)) {
			flush(q, c, it, *n, total);
			*n = 0;
		}
		r = read(0, buf + have, sizeof(buf) - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_fatal("standard input: %s", strerror(errno));
			exit(EX_OSERR);
		}
		eof = r == 0;
		have += (size_t)r;
		for (start = 0; start < have; start += len + 1) {
			s = buf + start;
			if ((nl = memchr(s, '\n', have - start)) == NULL) {
				if (!eof)
					break;
				nl = buf + have;	/* last line, no newline */
			}
			len = (size_t)(nl - s);
			while (len > 0 && s[len - 1] == '\r')
				len--;
			if (len > 0)
				add(q, c, it, n, s, len, total);
			len = (size_t)(nl - s);
		}
		if (start >= have)
			have = 0;
		else {
			have -= start;
			memmove(buf, buf + start, have);
		}
		if (have > KEY_MAX + 1)
			add(q, c, it, n, buf, have, total);	/* refused */
	}
}

/* The whole of a file, for -F (values of any bytes, up to the limit). */
static char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		log_fatal("%s: %s", path, strerror(errno));
		exit(EX_NOINPUT);
	}
	for (;;) {
		if (n == cap) {
			if (cap >= JOB_VALUE_MAX + 1)
				break;
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				log_fatal("out of memory");
				exit(EX_OSERR);
			}
			buf = nb;
		}
		if ((r = fread(buf + n, 1, cap - n, f)) == 0)
			break;
		n += r;
	}
	if (ferror(f)) {
		log_fatal("%s: %s", path, strerror(errno));
		exit(EX_NOINPUT);
	}
	fclose(f);
	if (n > JOB_VALUE_MAX) {
		log_fatal("%s: larger than %u bytes", path, JOB_VALUE_MAX);
		exit(EX_DATAERR);
	}
	*len = n;
	return buf;
}

static void
parse_field(struct conf *c, char *arg, int from_file)
{
	char *eq = strchr(arg, '=');
	struct q_field *f;

	if (eq == NULL)
		usage(from_file ? "-F wants name=file" : "-f wants name=value");
	if (c->nextra == EXTRA_MAX)
		usage("too many -f fields");
	*eq = '\0';
	if (!job_field_name_valid(arg, strlen(arg)) ||
	    job_field_reserved(arg, strlen(arg)))
		usage("-f: bad or reserved field name");
	f = &c->extra[c->nextra++];
	f->name = arg;
	if (from_file) {
		f->val = slurp(eq + 1, &f->len);
	} else {
		f->val = eq + 1;
		f->len = strlen(eq + 1);
	}
}

int
main(int argc, char **argv)
{
	struct conf c;
	struct err e;
	struct q *q;
	struct item *it;
	size_t n = 0, cap = 0;
	long long total = 0;
	int ch, i;

	cli_start(argv[0], LOG_LVL_WARN);
	err_clear(&e);
	memset(&c, 0, sizeof(c));
	c.bucket = env_str("AWS_BUCKET_NAME");
	if (q_conf_from_env(&c.q, &e) == -1)
		die(&e);
	while ((ch = getopt(argc, argv, "b:f:F:k:Kq:r:v")) != -1) {
		switch (ch) {
		case 'b':
			c.bucket = optarg;
			break;
		case 'f':
			parse_field(&c, optarg, 0);
			break;
		case 'F':
			parse_field(&c, optarg, 1);
			break;
		case 'k':
			c.idem = optarg;
			break;
		case 'K':
			c.derive_idem = 1;
			break;
		case 'q':
			if (q_conf_queue(&c.q, optarg, &e) == -1)
				usage(e.msg);
			break;
		case 'r':
			if (q_conf_retention(&c.q, optarg, &e) == -1)
				usage(e.msg);
			break;
		case 'v':
			log_set_level(LOG_LVL_INFO);
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (c.idem != NULL && c.derive_idem)
		usage("-k and -K exclude each other");
	if (c.idem != NULL && argc != 1)
		usage("-k names one job: give exactly one key");
	if ((q = q_conf_open(&c.q, &e)) == NULL)
		die(&e);
	cap = BATCH;
	if ((it = calloc(cap, sizeof(*it))) == NULL) {
		log_fatal("out of memory");
		return EX_OSERR;
	}
	if (argc > 0) {
		for (i = 0; i < argc; i++)
			add(q, &c, it, &n, argv[i], strlen(argv[i]), &total);
	} else {
		c.progress = isatty(2);
		read_keys(q, &c, it, &n, &total);
	}
	if (n > 0)
		flush(q, &c, it, n, &total);
	if (c.progress && total > 0)
		fputc('\n', stderr);
	free(it);
	q_close(q);
	return EX_OK;
}
