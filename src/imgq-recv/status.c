/*
 * status.c: the page a browser without JavaScript lands on after the
 * upload form (303 to status?jobs=ID,ID...): each job's file name, state
 * and, once done, links to its variants; while any job is not final the
 * page asks the browser to load it again (meta refresh).  It shows only
 * what anyone holding the ids may see (the public fields of jobs.c),
 * every value HTML-escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "job.h"
#include "q.h"
#include "recv.h"

#define STATUS_JOBS_MAX	32	/* ids shown of one query */
#define STATUS_REFRESH	"2"	/* seconds between reloads */

static const char page_head[] =
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<meta name=\"color-scheme\" content=\"light dark\">\n"
    "<title>imgq: your uploads</title>\n"
    "<link rel=\"stylesheet\" href=\"style.css\">\n";

static const char page_top[] =
    "</head>\n<body>\n<header class=\"top\">\n"
    "  <a class=\"brand\" href=\"./\">imgq</a>\n"
    "  <nav aria-label=\"Pages\">\n    <a href=\"./\">Upload</a>\n"
    "    <a href=\"dashboard\">Dashboard</a>\n  </nav>\n</header>\n"
    "<main>\n  <h1>Your uploads</h1>\n";

static const char page_end[] =
    "  <p><a href=\"./\">Upload more images</a></p>\n</main>\n"
    "</body>\n</html>\n";

/* A field's value as a C string into out ("" when absent). */
static const char *
val(const struct q_field *f, size_t n, const char *name, char *out,
    size_t outsz)
{
	const struct q_field *x = q_fields_find(f, n, name);
	size_t k = x != NULL ? x->len : 0;

	if (k >= outsz)
		k = outsz - 1;
	if (k > 0)
		memcpy(out, x->val, k);
	out[k] = '\0';
	return out;
}

/*
 * The variants of a done job: one link per output key, named by the key's
 * file name without its extension, as /jobs/ID/result/VARIANT serves it.
 */
static void
variants(struct buf *b, const char *id, const struct q_field *out)
{
	const char *p = out->val, *end = p + out->len, *nl, *base, *d;
	size_t k;

	buf_adds(b, "    <div class=\"variants\">\n");
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		for (base = nl; base > p && base[-1] != '/'; base--)
			;
		for (d = nl; d > base + 1 && d[-1] != '.'; d--)
			;
		k = (size_t)((d > base + 1 ? d - 1 : nl) - base);
		if (k == 0)
			continue;
		buf_addf(b, "      <figure class=\"variant\"><a href=\"jobs/%s"
		    "/result/", id);
		buf_add_markup(b, base, k);
		buf_addf(b, "\"><img src=\"jobs/%s/result/", id);
		buf_add_markup(b, base, k);
		buf_adds(b, "\" alt=\"");
		buf_add_markup(b, base, k);
		buf_adds(b, "\"></a><figcaption>");
		buf_add_markup(b, base, (size_t)(nl - base));
		buf_adds(b, "</figcaption></figure>\n");
	}
	buf_adds(b, "    </div>\n");
}

/* Appends a label and an escaped value. */
static void
labelled(struct buf *b, const char *label, const char *v)
{
	buf_adds(b, label);
	buf_add_markup(b, v, strlen(v));
}

/* What the uploader is told of a state; 1 when it is final. */
static int
state_line(struct buf *b, const struct q_field *f, size_t n)
{
	char st[32], v[24];

	val(f, n, "state", st, sizeof(st));
	buf_adds(b, "    <p class=\"file-status\" role=\"status\">");
	if (strcmp(st, JOB_S_QUEUED) == 0)
		buf_adds(b, "Queued");
	else if (strcmp(st, JOB_S_ACTIVE) == 0)
		buf_adds(b, "Processing");
	else if (strcmp(st, JOB_S_RETRY) == 0)
		labelled(b, "Will retry: attempt ",
		    val(f, n, "attempts", v, sizeof(v)));
	else if (strcmp(st, JOB_S_DONE) == 0)
		buf_adds(b, q_fields_find(f, n, "outputs") ? "Done" :
		    "Done (the job listed no variants)");
	else if (strcmp(st, JOB_S_DEAD) == 0) {
		if (*val(f, n, "signal", v, sizeof(v)) != '\0' &&
		    strcmp(v, "0") != 0)
			labelled(b, "Failed: killed by signal ", v);
		else
			labelled(b, "Failed: exit status ",
			    val(f, n, "exit", v, sizeof(v)));
	} else
		labelled(b, "State: ", st);
	buf_adds(b, "</p>\n");
	return job_state_final(job_state_of(st, strlen(st)));
}

/*
 * One job as a list item; 1 when it is final, 0 when not, -1 when the
 * queue failed (e filled).
 */
static int
job_item(struct conn *c, struct buf *b, const char *id, struct err *e)
{
	const struct q_field *out;
	struct q_field *f;
	char st[32], name[256], size[24];
	size_t n;
	int fin;

	if (q_job_get(c->srv->q, id, &f, &n, e) == -1) {
		if (e->code != EX_NOINPUT)
			return -1;
		buf_addf(b, "  <li class=\"file\" data-state=\"dead\">\n"
		    "    <div class=\"file-head\"><span class=\"file-name\">"
		    "Job %s</span></div>\n    <p class=\"file-status\">"
		    "No such job: it expired or never was</p>\n  </li>\n", id);
		return 1;
	}
	buf_adds(b, "  <li class=\"file\" data-state=\"");
	val(f, n, "state", st, sizeof(st));
	buf_add_markup(b, st, strlen(st));
	buf_adds(b, "\">\n    <div class=\"file-head\"><span "
	    "class=\"file-name\">");
	if (*val(f, n, "name", name, sizeof(name)) == '\0')
		snprintf(name, sizeof(name), "upload");
	buf_add_markup(b, name, strlen(name));
	buf_adds(b, "</span> <span class=\"file-size muted\">");
	if (*val(f, n, "size", size, sizeof(size)) != '\0') {
		buf_add_markup(b, size, strlen(size));
		buf_adds(b, " bytes");
	}
	buf_adds(b, "</span></div>\n");
	fin = state_line(b, f, n);
	if (strcmp(st, JOB_S_DONE) == 0 &&
	    (out = q_fields_find(f, n, "outputs")) != NULL)
		variants(b, id, out);
	buf_addf(b, "    <p class=\"muted\">Job <a href=\"jobs/%s\">%s</a>"
	    "</p>\n  </li>\n", id, id);
	q_fields_free(f, n);
	return fin;
}

/*
 * The list of the query's jobs= ids (comma-separated) into b; returns how
 * many are not final, or -1 when the queue failed.
 */
static int
job_list(struct conn *c, const char *query, struct buf *b, struct err *e)
{
	const char *p = query, *next;
	char id[JOB_ID_LEN + 1];
	size_t k, shown = 0;
	int fin, open = 0;

	while (*p != '\0' && strncmp(p, "jobs=", 5) != 0)
		p += strcspn(p, "&") + (p[strcspn(p, "&")] == '&');
	p += *p != '\0' ? 5 : 0;
	buf_adds(b, "  <ul class=\"files\">\n");
	for (; *p != '\0' && *p != '&' && shown < STATUS_JOBS_MAX; p = next) {
		k = strcspn(p, ",&");
		next = p + k + (p[k] == ',');
		if (k != JOB_ID_LEN)
			continue;
		memcpy(id, p, k);
		id[k] = '\0';
		if (!job_id_valid(id))
			continue;
		if ((fin = job_item(c, b, id, e)) == -1)
			return -1;
		open += fin == 0;
		shown++;
	}
	if (shown == 0)
		buf_adds(b, "  <li class=\"muted\">No job named: the page "
		    "wants ?jobs=ID,ID...</li>\n");
	buf_adds(b, "  </ul>\n");
	return open;
}

void
handle_status(struct conn *c, struct rq *r)
{
	struct buf list = { 0 }, page = { 0 };
	struct err e;
	int open;

	list.max = page.max = 1 << 20;
	if (need_q(c->srv, &e) == NULL)
		DONE(respond_backend(c, &e, "queue"));
	if ((open = job_list(c, r->query, &list, &e)) == -1) {
		buf_free(&list);
		DONE(respond_backend(c, &e, "queue"));
	}
	buf_adds(&page, page_head);
	if (open > 0)
		buf_adds(&page, "<meta http-equiv=\"refresh\" content=\""
		    STATUS_REFRESH "\">\n");
	buf_adds(&page, page_top);
	buf_add(&page, list.p, list.len);
	buf_adds(&page, page_end);
	if (list.over || page.over)
		respond_error(c, 500, "out of memory", NULL);
	else
		respond(c, 200, "text/html; charset=utf-8",
		    "Cache-Control: no-store\r\n", page.p, page.len);
	buf_free(&list);
	buf_free(&page);
}
