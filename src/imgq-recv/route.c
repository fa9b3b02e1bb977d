/*
 * route.c: which handler answers a request, and the small ones.
 */
#include <stdio.h>
#include <string.h>

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

	if (strcmp(m, "HEAD") == 0) {
		c->head_only = 1;
		get = 1;
	}
	if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0) {
		if (!get)
			DONE(not_allowed(c, "GET, HEAD"));
		DONE(index_page(c));
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
