/*
 * q_sentinel.c: the master's address from Redis Sentinel.  The sentinels
 * of the URL are asked in turn, from the one that answered last, with
 * SENTINEL get-master-addr-by-name; the first address wins, and the
 * connection made to it must say ROLE master (a sentinel may still name
 * the old master while a failover is under way: that is worth a retry).
 */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "q_int.h"

/* A port of at most 5 digits in 1..65535. */
static int
port_of(const redisReply *r, int *port)
{
	int v = 0;
	size_t i;

	if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 5)
		return -1;
	for (i = 0; i < r->len; i++) {
		if (r->str[i] < '0' || r->str[i] > '9')
			return -1;
		v = v * 10 + (r->str[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

/*
 * Asks sentinel i: 0 with the address, 1 when it knows no master of that
 * name, -1 when it could not be asked (err says why).
 */
static int
ask(struct q_link *l, int i, char *host, size_t hostsz, int *port,
    struct err *e)
{
	const struct q_url *u = &l->url;
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name",
	    u->master };
	size_t lens[3] = { 8, 23, strlen(u->master) };
	struct q_conn *c;
	redisReply *r;
	char w[300];
	int rc = -1;

	q_where(u->sentinel[i].host, u->sentinel[i].port, NULL, w, sizeof(w));
	if ((c = q_link_open(l, u->sentinel[i].host, u->sentinel[i].port, NULL,
	    l->sent_user, l->sent_pass, e)) == NULL)
		return -1;
	if (q_cmd(c, 3, argv, lens, "SENTINEL get-master-addr-by-name",
	    &r, e) == -1) {
		err_prefix(e, "sentinel %s", w);
		q_conn_free(c);
		return -1;
	}
	if (r->type == REDIS_REPLY_NIL)
		rc = 1;
	else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len == 0 || r->element[0]->len >= hostsz ||
	    memchr(r->element[0]->str, '\0', r->element[0]->len) != NULL ||
	    port_of(r->element[1], port) == -1)
		err_set(e, EX_PROTOCOL, "sentinel %s: unexpected reply to "
		    "SENTINEL get-master-addr-by-name", w);
	else {
		memcpy(host, r->element[0]->str, r->element[0]->len);
		host[r->element[0]->len] = '\0';
		rc = 0;
	}
	freeReplyObject(r);
	q_conn_free(c);
	return rc;
}

int
q_sentinel_master(struct q_link *l, char *host, size_t hostsz, int *port,
    struct err *e)
{
	const struct q_url *u = &l->url;
	struct err last, halt;
	int k, i, unknown = 0;

	err_clear(&last);
	err_clear(&halt);
	for (k = 0; k < u->nsentinels; k++) {
		i = (l->sent_at + k) % u->nsentinels;
		switch (ask(l, i, host, hostsz, port, &last)) {
		case 0:
			l->sent_at = i;
			return 0;
		case 1:
			unknown++;
			break;
		default:
			log_debug("redis: %s", last.msg);
			/* Refused credentials or certificates outrank. */
			if (last.code != EX_TEMPFAIL && halt.code == 0)
				halt = last;
			break;
		}
	}
	if (halt.code != 0)
		return err_set(e, halt.code, "%s", halt.msg);
	if (unknown == u->nsentinels)
		return err_set(e, EX_CONFIG, "no sentinel knows a master named "
		    "%s", u->master);
	if (unknown > 0)
		return err_set(e, EX_TEMPFAIL, "no sentinel named the master "
		    "%s: %s", u->master, last.msg);
	return err_set(e, EX_TEMPFAIL, "no sentinel answered: %s", last.msg);
}

int
q_sentinel_check_role(struct q_conn *c, struct err *e)
{
	const char *argv[1] = { "ROLE" };
	size_t lens[1] = { 4 };
	redisReply *r, *r0;
	int rc = 0;

	if (q_cmd(c, 1, argv, lens, "ROLE", &r, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    (r0 = r->element[0])->type != REDIS_REPLY_STRING)
		rc = err_set(e, EX_PROTOCOL, "ROLE: unexpected reply");
	else if (r0->len != 6 || memcmp(r0->str, "master", 6) != 0)
		rc = err_set(e, EX_TEMPFAIL, "not the master yet (ROLE %.*s)",
		    r0->len > 16 ? 16 : (int)r0->len, r0->str);
	freeReplyObject(r);
	return rc;
}
