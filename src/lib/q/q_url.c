/*
 * q_url.c: REDIS_URL as the original system used it.
 *
 *	redis://[[user]:password@]host[:port][/db]
 *	rediss://[[user]:password@]host[:port][/db]	(TLS)
 *	redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/name[/db]
 *	rediss+sentinel://...				(TLS to all)
 *	unix:///path/to/socket[?db=N]
 *
 * Messages never repeat the URL: it may hold a password.
 */
#include <string.h>

#include "exitcode.h"
#include "pct.h"
#include "q.h"

/* A decimal number of at most 5 digits in [min, max] from s[0..n). */
static int
small_num(const char *s, size_t n, int min, int max, int *out)
{
	size_t i;
	int v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_unix(const char *p, struct q_url *u, struct err *e)
{
	const char *q = strchr(p, '?');
	size_t n = q != NULL ? (size_t)(q - p) : strlen(p);

	u->is_unix = 1;
	if (n == 0 || p[0] != '/')
		return err_set(e, EX_CONFIG,
		    "REDIS_URL: unix:// needs an absolute socket path");
	if (pct_decode(p, n, u->path, sizeof(u->path), 0) == -1)
		return err_set(e, EX_CONFIG,
		    "REDIS_URL: socket path too long or malformed");
	if (q != NULL) {
		if (strncmp(q, "?db=", 4) != 0 ||
		    small_num(q + 4, strlen(q + 4), 0, 65535, &u->db) == -1)
			return err_set(e, EX_CONFIG,
			    "REDIS_URL: unix:// takes only ?db=N");
	}
	return 0;
}

static int
parse_auth(const char *s, size_t n, struct q_url *u, struct err *e)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL) {
		/* redis://password@host, as some clients accept. */
		if (pct_decode(s, n, u->pass, sizeof(u->pass), 0) == -1)
			return err_set(e, EX_CONFIG,
			    "REDIS_URL: password too long or malformed");
		return 0;
	}
	if (pct_decode(s, (size_t)(colon - s), u->user, sizeof(u->user), 0) ==
	    -1)
		return err_set(e, EX_CONFIG,
		    "REDIS_URL: user name too long or malformed");
	if (pct_decode(colon + 1, n - (size_t)(colon - s) - 1, u->pass,
	    sizeof(u->pass), 0) == -1)
		return err_set(e, EX_CONFIG,
		    "REDIS_URL: password too long or malformed");
	return 0;
}

static int
parse_hostport(const char *s, size_t n, struct q_url *u, struct err *e)
{
	const char *end = s + n, *host = s, *port = NULL;
	size_t hn, i;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL)
			return err_set(e, EX_CONFIG,
			    "REDIS_URL: unterminated [address]");
		host = s + 1;
		hn = (size_t)(rb - host);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return err_set(e, EX_CONFIG,
				    "REDIS_URL: junk after [address]");
			port = rb + 2;
		}
	} else {
		const char *c = memchr(s, ':', n);

		hn = c != NULL ? (size_t)(c - s) : n;
		if (c != NULL)
			port = c + 1;
	}
	if (hn == 0 || hn >= sizeof(u->host))
		return err_set(e, EX_CONFIG, "REDIS_URL: missing or long host");
	for (i = 0; i < hn; i++) {
		unsigned char c = (unsigned char)host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || (c == ':' && host != s)))
			return err_set(e, EX_CONFIG,
			    "REDIS_URL: bad character in host");
	}
	memcpy(u->host, host, hn);
	u->host[hn] = '\0';
	if (port != NULL &&
	    small_num(port, (size_t)(end - port), 1, 65535, &u->port) == -1)
		return err_set(e, EX_CONFIG, "REDIS_URL: bad port");
	return 0;
}

/* "/db" or "/" or nothing (slash NULL). */
static int
parse_db(const char *slash, struct q_url *u, struct err *e)
{
	if (slash != NULL && slash[1] != '\0' &&
	    small_num(slash + 1, strlen(slash + 1), 0, 65535, &u->db) == -1)
		return err_set(e, EX_CONFIG, "REDIS_URL: bad database number");
	return 0;
}

/*
 * host[:port],... (port 26379 by default) and "/name[/db]": the sentinels
 * and the master's name; u->host and u->port stay empty (the sentinels
 * tell the master's).
 */
static int
parse_sentinels(const char *s, size_t n, const char *slash, struct q_url *u,
    struct err *e)
{
	const char *end = s + n, *comma, *name, *db;
	size_t nn;

	for (u->nsentinels = 0; s <= end; s = comma + 1) {
		if ((comma = memchr(s, ',', (size_t)(end - s))) == NULL)
			comma = end;
		if (u->nsentinels == Q_SENTINELS_MAX)
			return err_set(e, EX_CONFIG, "REDIS_URL: more than %d "
			    "sentinels", Q_SENTINELS_MAX);
		u->port = Q_SENTINEL_PORT;
		if (parse_hostport(s, (size_t)(comma - s), u, e) == -1)
			return -1;
		memcpy(u->sentinel[u->nsentinels].host, u->host,
		    sizeof(u->host));
		u->sentinel[u->nsentinels++].port = u->port;
	}
	u->host[0] = '\0';
	u->port = 0;
	name = slash != NULL ? slash + 1 : "";
	db = strchr(name, '/');
	nn = db != NULL ? (size_t)(db - name) : strlen(name);
	if (nn == 0 || nn >= sizeof(u->master) || strspn(name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") < nn)
		return err_set(e, EX_CONFIG, "REDIS_URL: a sentinel URL needs "
		    "/master-name (1 to %d of [A-Za-z0-9_.-])",
		    (int)sizeof(u->master) - 1);
	memcpy(u->master, name, nn);
	u->master[nn] = '\0';
	return parse_db(db, u, e);
}

int
q_url_parse(const char *url, struct q_url *u, struct err *e)
{
	const char *p, *at, *slash, *hp;
	size_t n;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (url == NULL || *url == '\0')
		return err_set(e, EX_CONFIG, "REDIS_URL is empty");
	if (strncmp(url, "unix://", 7) == 0)
		return parse_unix(url + 7, u, e);
	if (strncmp(url, "rediss://", 9) == 0) {
		u->tls = 1;
		p = url + 9;
	} else if (strncmp(url, "redis://", 8) == 0)
		p = url + 8;
	else if (strncmp(url, "rediss+sentinel://", 18) == 0) {
		u->tls = 1;
		p = url + 18;
		u->nsentinels = -1;
	} else if (strncmp(url, "redis+sentinel://", 17) == 0) {
		p = url + 17;
		u->nsentinels = -1;
	} else
		return err_set(e, EX_CONFIG, "REDIS_URL: must begin with "
		    "redis://, rediss://, redis+sentinel://, "
		    "rediss+sentinel:// or unix://");
	slash = strchr(p, '/');
	n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	/* The last '@' before the path: a password may hold '@' raw. */
	at = NULL;
	for (hp = p; hp < p + n; hp++)
		if (*hp == '@')
			at = hp;
	hp = p;
	if (at != NULL) {
		if (parse_auth(p, (size_t)(at - p), u, e) == -1)
			return -1;
		hp = at + 1;
		n -= (size_t)(hp - p);
	}
	if (u->nsentinels == -1)
		return parse_sentinels(hp, n, slash, u, e);
	if (parse_hostport(hp, n, u, e) == -1)
		return -1;
	return parse_db(slash, u, e);
}

int
q_queue_valid(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > Q_QUEUE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return 0;
	}
	return 1;
}
