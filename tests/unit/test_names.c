/*
 * The names of the queue's keys and of the job states, held to their
 * owners (q_int.h, job.h) wherever else they appear: the Lua scripts,
 * imgq(7)'s list of keys, the dashboard's table of states.  The files are
 * read from $IMGQ_TOP (tests/run sets it), else from the current folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "q_int.h"
#include "tap.h"

static char *
slurp(const char *rel)
{
	const char *top = getenv("IMGQ_TOP");
	char path[4096];
	char *s = NULL;
	long n;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
		if (fread(s, 1, (size_t)n, f) != (size_t)n) {
			free(s);
			s = NULL;
		} else
			s[n] = '\0';
	}
	fclose(f);
	return s;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static int
is_suffix(const char *s, size_t n)
{
	int k;

	for (k = 1; k < QK_N; k++)
		if (strlen(q_key_suffix[k]) == n &&
		    memcmp(q_key_suffix[k], s, n) == 0)
			return 1;
	return 0;
}

/* Overwrites the first n bytes of what at s with spaces. */
static void
blank(char *s, const char *what, size_t n)
{
	if ((s = strstr(s, what)) != NULL)
		memset(s, ' ', n);
}

static char *
script(int i)
{
	const char *const *p;
	size_t n = 0;
	char *s;

	for (p = q_scripts[i]; *p != NULL; p++)
		n += strlen(*p);
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	n = 0;
	for (p = q_scripts[i]; *p != NULL; p++) {
		memcpy(s + n, *p, strlen(*p));
		n += strlen(*p);
	}
	s[n] = '\0';
	return s;
}

/*
 * Each script names keys only through the locals of its prelude ("local
 * K_X = P .. 'x'", "return P .. 'x:'"), and states only through the
 * locals defined from job.h's names.
 */
static void
lua(void)
{
	char want[200], lit[32], *k;
	const char *p;
	int i, st, bad;

	(void)snprintf(want, sizeof(want), "local QUEUED, ACTIVE, RETRY, "
	    "DONE, DEAD = '%s', '%s', '%s', '%s', '%s'\n",
	    job_state_name(JOB_QUEUED), job_state_name(JOB_ACTIVE),
	    job_state_name(JOB_RETRY), job_state_name(JOB_DONE),
	    job_state_name(JOB_DEAD));
	for (i = 0; i < Q_NSCRIPTS; i++) {
		char *s = script(i);

		if (!ok(s != NULL, "script %d", i))
			continue;
		ok(strstr(s, want) != NULL, "script %d: states from job.h", i);
		bad = 0;
		for (p = s; (p = strstr(p, "P .. '")) != NULL; p++) {
			size_t n = strcspn(p + 6, "'");

			if (!((p - s >= 2 && memcmp(p - 2, "= ", 2) == 0) ||
			    (p - s >= 7 && memcmp(p - 7, "return ", 7) == 0)) ||
			    !is_suffix(p + 6, n)) {
				printf("#   at: %.40s\n", p);
				bad++;
			}
		}
		ok(bad == 0, "script %d: keys only through the prelude", i);
		/*
		 * What may hold a state's name besides a state: the
		 * prelude's definition, key names (checked above: "done"
		 * and "dead" are sets too), the field "queued" (a time).
		 */
		blank(s, want, strlen(want));
		while ((k = strstr(s, "P .. '")) != NULL)
			blank(k, k, 7 + strcspn(k + 6, "'"));
		bad = -count(s, "'queued', now");
		for (st = 0; st < JOB_NSTATES; st++) {
			(void)snprintf(lit, sizeof(lit), "'%s'",
			    job_state_name(st));
			bad += count(s, lit);
		}
		ok(bad == 0, "script %d: states only through the prelude", i);
		free(s);
	}
}

/* imgq(7) lists exactly the keys of q_key_suffix (".It Li {Q}:x<arg>"). */
static void
man_keys(void)
{
	char *man = slurp("man/imgq.7"), *p;
	int k, listed = 0, unknown = 0;
	char line[80];

	if (!ok(man != NULL, "man/imgq.7 read"))
		return;
	for (p = man; (p = strstr(p, "\n.It Li {Q}:")) != NULL; p++) {
		size_t n = strcspn(p + 12, "<\n");

		listed++;
		if (!is_suffix(p + 12, n)) {
			printf("#   not a key of q_int.h: %.*s\n", (int)n, p + 12);
			unknown++;
		}
	}
	ok(unknown == 0, "imgq(7) lists no key q_key does not build");
	for (k = 1; k < QK_N; k++) {
		(void)snprintf(line, sizeof(line), "\n.It Li {Q}:%s%s",
		    q_key_suffix[k], q_key_suffix[k][strlen(q_key_suffix[k]) -
		    1] == ':' ? "<" : "\n");
		ok(strstr(man, line) != NULL, "imgq(7) lists {Q}:%s",
		    q_key_suffix[k]);
	}
	is_int(listed, QK_N - 1, "imgq(7) lists each key once");
	free(man);
}

static void
builder(void)
{
	char buf[64];

	is_int(q_key(buf, sizeof(buf), "imgq", QK_TAG, NULL), 7, "tag length");
	is_str(buf, "{imgq}:", "the tag alone");
	q_key(buf, sizeof(buf), "q1", QK_QUEUE, NULL);
	is_str(buf, "{q1}:queue", "the queue list");
	q_key(buf, sizeof(buf), "q1", QK_JOB, "0000000000aaaaaaaaaaaaaaaa");
	is_str(buf, "{q1}:job:0000000000aaaaaaaaaaaaaaaa", "a job's record");
	q_key(buf, sizeof(buf), "q1", QK_IDEMREQ, "k");
	is_str(buf, "{q1}:idemreq:k", "a request's idempotency key");
	q_key(buf, sizeof(buf), "q1", QK_EVENTS, NULL);
	is_str(buf, "{q1}:events", "the events channel");
	is_int(q_key(buf, 10, "q1", QK_EVENTS, NULL), -1, "too long: -1");
}

/*
 * share/www/dashboard.js: its STATES table holds exactly job.h's names,
 * and each state it compares with ("state === 'x'") is one of them.
 */
static void
dashboard(void)
{
	char *js = slurp("share/www/dashboard.js"), *p, *end;
	int seen[JOB_NSTATES] = { 0 }, other = 0, st;
	const char *const cmp[] = { "state === '", "state !== '" };
	size_t i;

	if (!ok(js != NULL, "share/www/dashboard.js read"))
		return;
	p = strstr(js, "var STATES = {");
	end = p != NULL ? strstr(p, "};") : NULL;
	if (!ok(end != NULL, "the page has a STATES table")) {
		free(js);
		return;
	}
	for (p += 14; p < end; p++) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");

		if (n > 0 && p[n] == ':' && p[-1] != '\'') {
			if ((st = job_state_of(p, n)) == -1) {
				printf("#   not a state: %.*s\n", (int)n, p);
				other++;
			} else
				seen[st]++;
		}
		p += n;
	}
	ok(other == 0, "STATES names no state job.h lacks");
	for (st = 0; st < JOB_NSTATES; st++)
		is_int(seen[st], 1, "STATES names %s once", job_state_name(st));
	other = 0;
	for (i = 0; i < 2; i++)
		for (p = js; (p = strstr(p, cmp[i])) != NULL; p++)
			if (job_state_of(p + 11, strcspn(p + 11, "'")) == -1) {
				printf("#   compares with: %.20s\n", p + 11);
				other++;
			}
	ok(other == 0, "the page compares states with job.h's names only");
	free(js);
}

int
main(void)
{
	builder();
	lua();
	man_keys();
	dashboard();
	return tap_done();
}
