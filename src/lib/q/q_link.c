/*
 * q_link.c: reaching the queue's Redis: the URL and its TLS context, and
 * a connection made ready for commands (AUTH, SELECT; through sentinels,
 * to the master they name).
 */
#define _DEFAULT_SOURCE

#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "q_int.h"

static int
copy(char *dst, size_t sz, const char *src, const char *what, struct err *e)
{
	if (src != NULL && (size_t)snprintf(dst, sz, "%s", src) >= sz)
		return err_set(e, EX_CONFIG, "%s too long", what);
	return 0;
}

int
q_link_init(struct q_link *l, const char *url, const struct q_opts *o,
    struct err *e)
{
	static const struct q_opts none;

	memset(l, 0, sizeof(*l));
	if (o == NULL)
		o = &none;
	if (q_url_parse(url, &l->url, e) == -1 ||
	    copy(l->sent_user, sizeof(l->sent_user), o->sentinel_user,
	    "sentinel user", e) == -1 ||
	    copy(l->sent_pass, sizeof(l->sent_pass), o->sentinel_pass,
	    "sentinel password", e) == -1)
		return -1;
	if (!l->url.tls)
		return 0;
	if (copy(l->tls_name, sizeof(l->tls_name), o->tls.server_name,
	    "TLS server name", e) == -1)
		return -1;
	if ((l->tls = q_tls_ctx(&o->tls, e)) == NULL)
		return -1;
	return 0;
}

void
q_link_clear(struct q_link *l)
{
	SSL_CTX_free(l->tls);
	explicit_bzero(l, sizeof(*l));
}

/* AUTH [user] password, when there is a password. */
static int
auth(struct q_conn *c, const char *user, const char *pass, struct err *e)
{
	const char *argv[3];
	size_t lens[3];
	int n = 0;

	if (pass[0] == '\0')
		return 0;
	argv[n] = "AUTH", lens[n++] = 4;
	if (user[0] != '\0')
		argv[n] = user, lens[n] = strlen(user), n++;
	argv[n] = pass, lens[n] = strlen(pass), n++;
	return q_cmd(c, n, argv, lens, "AUTH", NULL, e);
}

/* A connection to host:port (or the socket), past AUTH. */
struct q_conn *
q_link_open(const struct q_link *l, const char *host, int port,
    const char *path, const char *user, const char *pass, struct err *e)
{
	struct q_tlsdest td = { l->tls, l->tls_name[0] ? l->tls_name : NULL };
	struct q_conn *c;
	char w[300];

	if ((c = q_conn_open(host, port, path, &td, e)) == NULL)
		return NULL;
	if (auth(c, user, pass, e) == -1) {
		q_where(host, port, path, w, sizeof(w));
		err_prefix(e, "%s", w);
		q_conn_free(c);
		return NULL;
	}
	return c;
}

static int
select_db(struct q_conn *c, int db, struct err *e)
{
	const char *argv[2];
	size_t lens[2];
	char s[8];
	int n;

	if (db == 0)
		return 0;
	n = snprintf(s, sizeof(s), "%d", db);
	if (n < 0 || (size_t)n >= sizeof(s))
		return err_set(e, EX_CONFIG, "bad database number");
	argv[0] = "SELECT", lens[0] = 6;
	argv[1] = s, lens[1] = (size_t)n;
	if (q_cmd(c, 2, argv, lens, "SELECT", NULL, e) == -1) {
		if (e != NULL && e->code == EX_SOFTWARE)
			e->code = EX_CONFIG;
		return -1;
	}
	return 0;
}

struct q_conn *
q_redis_connect(struct q_link *l, struct err *e)
{
	const struct q_url *u = &l->url;
	const char *host = u->host, *path = u->is_unix ? u->path : NULL;
	char mhost[256];
	struct q_conn *c;
	int port = u->port;

	if (u->nsentinels > 0) {
		if (q_sentinel_master(l, mhost, sizeof(mhost), &port, e) == -1)
			return NULL;
		host = mhost;
	}
	q_where(host, port, path, l->where, sizeof(l->where));
	if ((c = q_link_open(l, host, port, path, u->user, u->pass, e)) ==
	    NULL)
		return NULL;
	if (select_db(c, u->db, e) == -1 || (u->nsentinels > 0 &&
	    q_sentinel_check_role(c, e) == -1)) {
		err_prefix(e, "%s", l->where);
		q_conn_free(c);
		return NULL;
	}
	return c;
}
