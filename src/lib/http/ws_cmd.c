/*
 * ws_cmd.c: the JSON commands a WebSocket client of imgq-events sends.
 *
 * Only the shape ws.h describes is accepted, so the parser is a few
 * lines: no escapes (no id or key needs one), no numbers, no nesting
 * beyond one array of ids.
 */
#include <string.h>

#include "ws.h"

struct rd {
	const char	*p, *end;
	const char	*why;
};

static void
blank(struct rd *r)
{
	while (r->p < r->end && strchr(" \t\r\n", *r->p) != NULL && *r->p)
		r->p++;
}

static int
eat(struct rd *r, char c)
{
	blank(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 1;
	}
	return 0;
}

/* A string without escapes: its bytes at *s, length *n. */
static int
string(struct rd *r, const char **s, size_t *n)
{
	const char *q;

	if (!eat(r, '"'))
		return -1;
	for (q = r->p; q < r->end && *q != '"'; q++)
		if (*q == '\\' || (unsigned char)*q < 0x20)
			return -1;
	if (q == r->end)
		return -1;
	*s = r->p;
	*n = (size_t)(q - r->p);
	r->p = q + 1;
	return 0;
}

static int
one_id(struct rd *r, char (*ids)[33], size_t *nids)
{
	const char *s;
	size_t n, i;

	if (string(r, &s, &n) == -1 || n == 0 || n > 32) {
		r->why = "a job id is a string of 1 to 32 characters";
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'z'))) {
			r->why = "a job id is of [0-9a-z]";
			return -1;
		}
	if (*nids == WS_CMD_IDS) {
		r->why = "at most 16 job ids per command";
		return -1;
	}
	memcpy(ids[*nids], s, n);
	ids[(*nids)++][n] = '\0';
	return 0;
}

/* A job id or an array of them. */
static int
ids(struct rd *r, char (*out)[33], size_t *n)
{
	blank(r);
	if (!eat(r, '['))
		return one_id(r, out, n);
	if (eat(r, ']'))
		return 0;
	do {
		if (one_id(r, out, n) == -1)
			return -1;
	} while (eat(r, ','));
	if (!eat(r, ']')) {
		r->why = "bad array of job ids";
		return -1;
	}
	return 0;
}

static int
boolean(struct rd *r, int *v)
{
	blank(r);
	if ((size_t)(r->end - r->p) >= 4 && memcmp(r->p, "true", 4) == 0) {
		r->p += 4;
		*v = 1;
		return 0;
	}
	if ((size_t)(r->end - r->p) >= 5 && memcmp(r->p, "false", 5) == 0) {
		r->p += 5;
		*v = 0;
		return 0;
	}
	r->why = "feed is true or false";
	return -1;
}

static int
member(struct rd *r, struct ws_cmd *c)
{
	const char *k;
	size_t n;

	if (string(r, &k, &n) == -1 || !eat(r, ':')) {
		r->why = "a command is a JSON object";
		return -1;
	}
	if (n == 6 && memcmp(k, "follow", 6) == 0)
		return ids(r, c->follow, &c->nfollow);
	if (n == 8 && memcmp(k, "unfollow", 8) == 0)
		return ids(r, c->unfollow, &c->nunfollow);
	if (n == 4 && memcmp(k, "feed", 4) == 0)
		return boolean(r, &c->feed);
	r->why = "unknown command (follow, unfollow, feed)";
	return -1;
}

int
ws_cmd_parse(const char *s, size_t len, struct ws_cmd *c, const char **why)
{
	struct rd r = { s, s + len, "a command is a JSON object" };

	memset(c, 0, sizeof(*c));
	c->feed = -1;
	if (!eat(&r, '{'))
		goto bad;
	if (!eat(&r, '}')) {
		do {
			if (member(&r, c) == -1)
				goto bad;
		} while (eat(&r, ','));
		if (!eat(&r, '}')) {
			r.why = "a command is a JSON object";
			goto bad;
		}
	}
	blank(&r);
	if (r.p == r.end)
		return 0;
	r.why = "junk after the command";
bad:
	*why = r.why;
	return -1;
}
