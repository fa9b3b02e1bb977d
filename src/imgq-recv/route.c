/*
 * route.c: which handler answers a request, and the small ones.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "recv.h"

static void
not_allowed(struct conn *c, const char *allow)
{
	char h[128];

	snprintf(h, sizeof(h), "Allow: %s\r\n", allow);
	respond_error(c, 405, "method not allowed", h);
}

static void
index_page(struct conn *c, struct rq *r)
{
	struct srv *s = c->srv;

	(void)r;
	if (s->index == NULL) {
		respond_error(c, 404, "the upload page is not installed",
		    NULL);
		return;
	}
	respond(c, 200, "text/html; charset=utf-8",
	    "Cache-Control: no-cache\r\n", s->index, s->index_len);
}

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/vnd.microsoft.icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/*
 * A file of the www folder: a plain name ([A-Za-z0-9_.-], no leading
 * dot, a known extension, no folders), at most 4 MiB.  "/dashboard"
 * is dashboard.html.  Returns 0 when there is no such page; serve 0
 * only says whether there is one.
 */
static int
static_page(struct conn *c, const char *path, int serve)
{
	struct srv *s = c->srv;
	char name[128], file[PATH_MAX];
	const char *type = NULL, *dot;
	struct stat st;
	size_t i, n = strlen(path);
	ssize_t k;
	char *data;
	int fd, len;

	if (s->c.www == NULL || n < 2 || n > 64 || path[1] == '.')
		return 0;
	for (i = 1; i < n; i++)
		if (!((path[i] >= 'a' && path[i] <= 'z') || (path[i] >= 'A' &&
		    path[i] <= 'Z') || (path[i] >= '0' && path[i] <= '9') ||
		    path[i] == '.' || path[i] == '-' || path[i] == '_'))
			return 0;
	len = snprintf(name, sizeof(name), "%s%s", path + 1,
	    strchr(path, '.') ? "" : ".html");
	if (len < 0 || (size_t)len >= sizeof(name))
		return 0;
	dot = strrchr(name, '.');
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			type = types[i].type;
	if (type == NULL)
		return 0;
	len = snprintf(file, sizeof(file), "%s/%s", s->c.www, name);
	if (len < 0 || (size_t)len >= sizeof(file))
		return 0;
	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if (!serve) {
		close(fd);
		return 1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > (4 << 20) ||
	    (data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return 0;
	}
	k = read(fd, data, (size_t)st.st_size);
	close(fd);
	if (k != st.st_size)
		respond_error(c, 500, "unable to read the page", NULL);
	else
		respond(c, 200, type, "Cache-Control: no-cache\r\n", data,
		    (size_t)k);
	free(data);
	return 1;
}

/* "/jobs/ID[/rest]": copies ID, returns rest ("" when none). */
static const char *
split_id(const char *p, char *id, size_t idlen)
{
	const char *slash = strchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : strlen(p);

	if (n >= idlen)
		n = 0;
	memcpy(id, p, n);
	id[n] = '\0';
	return slash ? slash : "";
}

/*
 * The paths answered as they are, the methods each allows, and who may
 * use it: anyone, the operator (OPERATOR), or the operator with the
 * CSRF header when signed in by cookie (CHANGES).
 */
#define ANYONE		0
#define OPERATOR	1
#define CHANGES		2
static const struct {
	const char	*path;
	const char	*allow;		/* "A, B": for 405's Allow */
	int		 who;
	void		(*handle)(struct conn *, struct rq *);
} pages[] = {
	{ "/", "GET, HEAD", ANYONE, index_page },
	{ "/index.html", "GET, HEAD", ANYONE, index_page },
	{ "/upload", "POST, PUT", ANYONE, handle_upload },
	{ "/healthz", "GET, HEAD", ANYONE, handle_healthz },
	{ "/signin", "POST", ANYONE, handle_signin },
	{ "/signout", "POST", CHANGES, handle_signout },
	{ "/metrics", "GET, HEAD", OPERATOR, handle_metrics },
	{ "/api/stats", "GET, HEAD", OPERATOR, handle_stats },
};

/* 1 when method m is one of allow (methods are case-sensitive). */
static int
allows(const char *allow, const char *m)
{
	size_t n = strlen(m);
	const char *s;

	if (n == 0)
		return 0;
	for (s = allow; (s = strstr(s, m)) != NULL; s += n)
		if ((s == allow || s[-1] == ' ') && (s[n] == ',' ||
		    s[n] == '\0'))
			return 1;
	return 0;
}

void
route(struct conn *c, struct rq *r)
{
	const char *m = r->method, *p = r->path, *rest;
	int get = strcmp(m, "GET") == 0;
	char id[80];
	size_t i;

	if (strcmp(m, "HEAD") == 0) {
		c->head_only = 1;
		get = 1;
	}
	if (handoff(c, r))
		return;
	c->op = auth_operator(c->srv, r);
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		if (strcmp(p, pages[i].path) != 0)
			continue;
		if (!allows(pages[i].allow, m))
			DONE(not_allowed(c, pages[i].allow));
		if (pages[i].who != ANYONE && !need_operator(c, r,
		    pages[i].who == CHANGES))
			return;
		DONE(pages[i].handle(c, r));
	}
	if (strncmp(p, "/api/dead/", 10) == 0) {
		rest = split_id(p + 10, id, sizeof(id));
		if (!job_id_valid(id) || strcmp(rest, "/requeue") != 0)
			DONE(respond_error(c, 404, "not found", NULL));
		if (strcmp(m, "POST") != 0)
			DONE(not_allowed(c, "POST"));
		if (!need_operator(c, r, 1))
			return;
		DONE(handle_requeue(c, r, id));
	}
	if (strncmp(p, "/jobs/", 6) == 0) {
		rest = split_id(p + 6, id, sizeof(id));
		if (!job_id_valid(id))
			DONE(respond_error(c, 404, "no such job",
			    NULL));
		if (strcmp(rest, "") != 0 && strcmp(rest, "/events") != 0 &&
		    strcmp(rest, "/result") != 0 &&
		    strncmp(rest, "/result/", 8) != 0)
			DONE(respond_error(c, 404, "not found", NULL));
		if (!get)
			DONE(not_allowed(c, "GET, HEAD"));
		DONE(handle_job(c, r, id, rest));
	}
	if (static_page(c, p, get)) {
		if (!get)
			not_allowed(c, "GET, HEAD");
		return;
	}
	respond_error(c, 404, "not found", NULL);
}
