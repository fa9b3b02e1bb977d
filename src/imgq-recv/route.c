/*
 * route.c: which handler answers a request, and the small ones.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "recv.h"

/* Job ids are [0-9a-z] (q.h); anything else cannot name a job. */
int
job_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'z')) || i >= 64)
			return 0;
	return i > 0;
}

static void
not_allowed(struct conn *c, const char *allow)
{
	char h[128];

	snprintf(h, sizeof(h), "Allow: %s\r\n", allow);
	respond_error(c, 405, "method not allowed", h);
}

static void
index_page(struct conn *c)
{
	struct srv *s = c->srv;

	if (s->index == NULL) {
		respond_error(c, 404, "the upload page is not installed",
		    NULL);
		return;
	}
	respond(c, 200, "text/html; charset=utf-8",
	    "Cache-Control: no-cache\r\n"
	    "Content-Security-Policy: default-src 'self'; "
	    "img-src 'self' data: blob: *; style-src 'self' 'unsafe-inline'; "
	    "script-src 'self' 'unsafe-inline'; connect-src 'self'\r\n",
	    s->index, s->index_len);
}

/*
 * The other files of the pages (share/www): the upload page's script and
 * style, and the dashboard.  A fixed list, so no request path ever names
 * a file.  Read at each request: they are small, and browsers keep them.
 */
static const struct {
	const char	*path;	/* request path */
	const char	*file;	/* in the www folder */
	const char	*type;
} page_files[] = {
	{ "/app.js", "app.js", "text/javascript; charset=utf-8" },
	{ "/style.css", "style.css", "text/css; charset=utf-8" },
	{ "/dashboard", "dashboard.html", "text/html; charset=utf-8" },
	{ "/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8" },
};

#define PAGE_FILE_MAX	(1 << 20)

static void
page_file(struct conn *c, const char *file, const char *type)
{
	const char *www = c->srv->c.www;
	char path[4096], *b;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, k;

	k = snprintf(path, sizeof(path), "%s/%s", www ? www : "", file);
	if (www == NULL || k < 0 || (size_t)k >= sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		DONE(respond_error(c, 404, "the pages are not installed",
		    NULL));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > PAGE_FILE_MAX ||
	    (b = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		DONE(respond_error(c, 500, "unable to read a page file",
		    NULL));
	}
	while (got < (size_t)st.st_size && ((n = read(fd, b + got,
	    (size_t)st.st_size - got)) > 0 || (n == -1 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	close(fd);
	if (got != (size_t)st.st_size) {
		free(b);
		log_error("unable to read %s", path);
		DONE(respond_error(c, 500, "unable to read a page file",
		    NULL));
	}
	respond(c, 200, type, "Cache-Control: no-cache\r\n"
	    "Content-Security-Policy: default-src 'self'; "
	    "img-src 'self' data: blob: *; style-src 'self' 'unsafe-inline'; "
	    "script-src 'self' 'unsafe-inline'; connect-src 'self'\r\n",
	    b, got);
	free(b);
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
	if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0) {
		if (!get)
			DONE(not_allowed(c, "GET, HEAD"));
		DONE(index_page(c));
	}
	for (i = 0; i < sizeof(page_files) / sizeof(page_files[0]); i++) {
		if (strcmp(p, page_files[i].path) != 0)
			continue;
		if (!get)
			DONE(not_allowed(c, "GET, HEAD"));
		DONE(page_file(c, page_files[i].file, page_files[i].type));
	}
	if (strcmp(p, "/upload") == 0) {
		if (strcmp(m, "POST") != 0 && strcmp(m, "PUT") != 0)
			DONE(not_allowed(c, "POST, PUT"));
		DONE(handle_upload(c, r));
	}
	if (strcmp(p, "/healthz") == 0) {
		if (!get)
			DONE(not_allowed(c, "GET, HEAD"));
		DONE(handle_healthz(c, r));
	}
	if (strcmp(p, "/metrics") == 0) {
		if (!get)
			DONE(not_allowed(c, "GET, HEAD"));
		DONE(handle_metrics(c, r));
	}
	if (strcmp(p, "/api/stats") == 0) {
		if (!get)
			DONE(not_allowed(c, "GET, HEAD"));
		DONE(handle_stats(c, r));
	}
	if (strncmp(p, "/api/dead/", 10) == 0) {
		rest = split_id(p + 10, id, sizeof(id));
		if (!job_id_ok(id) || strcmp(rest, "/requeue") != 0)
			DONE(respond_error(c, 404, "not found", NULL));
		if (strcmp(m, "POST") != 0)
			DONE(not_allowed(c, "POST"));
		DONE(handle_requeue(c, r, id));
	}
	if (strncmp(p, "/jobs/", 6) == 0) {
		rest = split_id(p + 6, id, sizeof(id));
		if (!job_id_ok(id))
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
	respond_error(c, 404, "not found", NULL);
}
