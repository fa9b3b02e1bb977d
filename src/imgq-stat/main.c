/*
 * imgq-stat: the queue at a glance, job records, dead letters, requeue,
 * purge, depth, reap, Prometheus metrics.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "q.h"
#include "q_conf.h"
#include "sys.h"

#define USAGE "usage: imgq-stat [-j] [-o format] [-q queue] " \
	"[summary | job [-f field] id | " \
	"dead [-e text] [-f field] [-s since] | " \
	"requeue id ... | requeue -a | purge | depth | reap]"

enum fmt { F_TEXT, F_TSV, F_JSON, F_PROM };

static enum fmt fmt;
static struct q *q;
static struct q_conf qc;

#define usage(why)	cli_usage(USAGE, why)
#define die(e)		cli_die(e)

static void
out_done(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_fatal("standard output: %s", strerror(errno));
		exit(EX_OSERR);
	}
}

/* A JSON string of s to stdout. */
static void
put_json_str(const void *s, size_t n)
{
	struct buf b = { 0 };

	if (json_str(&b, s, n) == -1) {
		log_fatal("out of memory");
		exit(EX_OSERR);
	}
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
}

/* Text and TSV show values escaped, one line each. */
static void
esc_str(const void *s, size_t n)
{
	char *buf;
	size_t sz = n * 4 + 8;

	if ((buf = malloc(sz)) == NULL) {
		log_fatal("out of memory");
		exit(EX_OSERR);
	}
	log_escape(s, n, buf, sz);
	fputs(buf, stdout);
	free(buf);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
prom_label(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			putchar('\\');
		if (*s == '\n') {
			fputs("\\n", stdout);
			continue;
		}
		putchar(*s);
	}
}

static void
prom_jobs(const char *queue, const char *state, long long n)
{
	printf("imgq_jobs{queue=\"%s\",state=\"%s\"} %lld\n", queue, state,
	    n);
}

static void
ms_text(long long ms, char *buf, size_t sz)
{
	if (ms < 0)
		(void)snprintf(buf, sz, "-%lld.%01llds", -ms / 1000,
		    (-ms % 1000) / 100);
	else
		(void)snprintf(buf, sz, "%lld.%01llds", ms / 1000,
		    (ms % 1000) / 100);
}

static void
stamp(long long ms, char *buf, size_t sz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, sz, "%lld", ms);
}

static void
warnings(void)
{
	char buf[1024], *p, *nl;
	struct err e;

	err_clear(&e);
	if (q_server_warnings(q, buf, sizeof(buf), &e) == -1) {
		log_warn("cannot read the server's settings: %s", e.msg);
		return;
	}
	for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		log_warn("%s", p);
	}
}

static int
cmd_summary(void)
{
	struct q_stats s;
	struct q_cinfo *ci;
	struct err e;
	size_t n, i;
	char a[32], b[32];
	const char *qn = q_name(q);

	err_clear(&e);
	if (fmt != F_PROM)
		warnings();
	if (q_stats(q, &s, &e) == -1 || q_consumers(q, &ci, &n, &e) == -1)
		die(&e);
	switch (fmt) {
	case F_TEXT:
		printf("queue       %s\nqueued      %lld\nactive      %lld\n"
		    "delayed     %lld\ndead        %lld\n"
		    "done        %lld (retention window)\n"
		    "per minute  %lld\nconsumers   %lld\n", qn, s.queued,
		    s.active, s.delayed, s.dead, s.done, s.done_last_minute,
		    s.consumers);
		for (i = 0; i < n; i++) {
			ms_text(ci[i].beat_age_ms, a, sizeof(a));
			ms_text(ci[i].lease_left_ms, b, sizeof(b));
			printf("  %s  beat %s ago  lease %s%s  holding %lld\n",
			    ci[i].name, a, b, ci[i].lease_left_ms < 0 ?
			    " (expired)" : "", ci[i].holding);
		}
		break;
	case F_TSV:
		printf("queue\t%s\nqueued\t%lld\nactive\t%lld\ndelayed\t%lld\n"
		    "dead\t%lld\ndone\t%lld\nper_minute\t%lld\n"
		    "consumers\t%lld\n", qn, s.queued, s.active, s.delayed,
		    s.dead, s.done, s.done_last_minute, s.consumers);
		for (i = 0; i < n; i++)
			printf("consumer\t%s\t%lld\t%lld\t%lld\n", ci[i].name,
			    ci[i].beat_age_ms, ci[i].lease_left_ms,
			    ci[i].holding);
		break;
	case F_JSON:
		printf("{\"queue\":");
		put_json_str(qn, strlen(qn));
		printf(",\"queued\":%lld,\"active\":%lld,\"delayed\":%lld,"
		    "\"dead\":%lld,\"done\":%lld,\"per_minute\":%lld,"
		    "\"consumers\":[", s.queued, s.active, s.delayed, s.dead,
		    s.done, s.done_last_minute);
		for (i = 0; i < n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			put_json_str(ci[i].name, strlen(ci[i].name));
			printf(",\"beat_age_ms\":%lld,\"lease_left_ms\":%lld,"
			    "\"holding\":%lld}", ci[i].beat_age_ms,
			    ci[i].lease_left_ms, ci[i].holding);
		}
		printf("]}\n");
		break;
	case F_PROM:
		printf("# HELP imgq_jobs Jobs of the queue by state.\n"
		    "# TYPE imgq_jobs gauge\n");
		prom_jobs(qn, job_state_name(JOB_QUEUED), s.queued);
		prom_jobs(qn, job_state_name(JOB_ACTIVE), s.active);
		/* Jobs in the retry state, named by their set as above. */
		prom_jobs(qn, "delayed", s.delayed);
		prom_jobs(qn, job_state_name(JOB_DEAD), s.dead);
		prom_jobs(qn, job_state_name(JOB_DONE), s.done);
		printf("# HELP imgq_done_last_minute Jobs finished in the last "
		    "60 seconds.\n# TYPE imgq_done_last_minute gauge\n"
		    "imgq_done_last_minute{queue=\"%s\"} %lld\n", qn,
		    s.done_last_minute);
		printf("# HELP imgq_consumers Registered consumers.\n"
		    "# TYPE imgq_consumers gauge\n"
		    "imgq_consumers{queue=\"%s\"} %lld\n", qn, s.consumers);
		printf("# HELP imgq_consumer_heartbeat_age_seconds Time since "
		    "a consumer's last heartbeat.\n"
		    "# TYPE imgq_consumer_heartbeat_age_seconds gauge\n");
		for (i = 0; i < n; i++) {
			printf("imgq_consumer_heartbeat_age_seconds{queue=\"%s\","
			    "consumer=\"", qn);
			prom_label(ci[i].name);
			printf("\"} %lld.%03lld\n", ci[i].beat_age_ms / 1000,
			    ci[i].beat_age_ms % 1000);
		}
		break;
	}
	free(ci);
	out_done();
	return 0;
}

static int
cmd_job(int argc, char **argv)
{
	const char *field = NULL;
	const struct q_field *v;
	struct q_field *f;
	struct err e;
	size_t n, i;
	char *json;
	int ch;

	err_clear(&e);
	optind = 1;
	while ((ch = getopt(argc, argv, "f:")) != -1) {
		if (ch != 'f')
			usage(NULL);
		field = optarg;
	}
	if (argc - optind != 1)
		usage("job wants one id");
	if (fmt == F_JSON && field == NULL) {
		if (q_job_json(q, argv[optind], &json, &e) == -1)
			die(&e);
		printf("%s\n", json);
		free(json);
		out_done();
		return 0;
	}
	if (q_job_get(q, argv[optind], &f, &n, &e) == -1)
		die(&e);
	if (field != NULL) {
		/* The raw bytes: byte-equal with what was pushed. */
		if ((v = q_fields_find(f, n, field)) == NULL) {
			log_fatal("job %s has no field %s", argv[optind],
			    field);
			exit(EX_NOINPUT);
		}
		fwrite(v->val, 1, v->len, stdout);
	} else {
		for (i = 0; i < n; i++) {
			printf(fmt == F_TEXT ? "%-10s " : "%s\t", f[i].name);
			esc_str(f[i].val, f[i].len);
			putchar('\n');
		}
	}
	q_fields_free(f, n);
	out_done();
	return 0;
}

static int
contains(const char *h, size_t hn, const char *n)
{
	size_t nn = strlen(n), i;

	for (i = 0; nn <= hn && i <= hn - nn; i++)
		if (memcmp(h + i, n, nn) == 0)
			return 1;
	return 0;
}

#define DEAD_FIELDS_MAX	8

/* One dead letter as a line: the reason, or the fields named by -f. */
static void
dead_line(const struct q_dead *d, const struct q_field *f, size_t nf,
    const char **names, size_t nnames)
{
	static const char *reason[] = { "error" };
	const struct q_field *v, *att = q_fields_find(f, nf, "attempts");
	char when[32];
	size_t i;

	stamp(d->when_ms, when, sizeof(when));
	printf(fmt == F_TEXT ? "%s  %s  attempts %s" : "%s\t%s\t%s", d->id,
	    when, att ? (const char *)att->val : "0");
	if (nnames == 0) {
		names = reason;
		nnames = 1;
	}
	for (i = 0; i < nnames; i++) {
		fputs(fmt == F_TEXT ? "  " : "\t", stdout);
		if ((v = q_fields_find(f, nf, names[i])) != NULL)
			esc_str(v->val, v->len);
	}
	putchar('\n');
}

static int
cmd_dead(int argc, char **argv)
{
	const char *grep = NULL, *names[DEAD_FIELDS_MAX];
	const struct q_field *err_f;
	struct q_dead *d;
	struct q_field *f;
	struct err e;
	uint64_t since = 0;
	long long from = 0;
	size_t n, nf, i, shown = 0, nnames = 0;
	int ch;

	err_clear(&e);
	optind = 1;
	while ((ch = getopt(argc, argv, "e:f:s:")) != -1) {
		switch (ch) {
		case 'e':
			grep = optarg;
			break;
		case 'f':
			if (nnames == DEAD_FIELDS_MAX)
				usage("dead takes at most 8 -f");
			names[nnames++] = optarg;
			break;
		case 's':
			if (parse_duration_ms(optarg, 0, 31536000000ULL * 10,
			    &since, &e) == -1)
				usage(e.msg);
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("dead takes no arguments");
	if (since > 0)
		from = (long long)sys_wall_ms() - (long long)since;
	if (q_dead_list(q, from, (long long)1 << 52, &d, &n, &e) == -1)
		die(&e);
	if (fmt == F_JSON)
		putchar('[');
	for (i = 0; i < n; i++) {
		if (q_job_get(q, d[i].id, &f, &nf, &e) == -1) {
			if (e.code == EX_NOINPUT)
				continue;
			die(&e);
		}
		err_f = q_fields_find(f, nf, "error");
		if (grep != NULL && (err_f == NULL ||
		    !contains(err_f->val, err_f->len, grep))) {
			q_fields_free(f, nf);
			continue;
		}
		if (fmt == F_JSON) {
			char *json;

			q_fields_free(f, nf);
			if (q_job_json(q, d[i].id, &json, &e) == -1)
				die(&e);
			printf("%s%s", shown ? "," : "", json);
			free(json);
		} else {
			dead_line(&d[i], f, nf, names, nnames);
			q_fields_free(f, nf);
		}
		shown++;
	}
	if (fmt == F_JSON)
		printf("]\n");
	free(d);
	out_done();
	return 0;
}

static int
cmd_requeue(int argc, char **argv)
{
	struct q_dead *d;
	struct err e;
	size_t n, i;
	int ch, all = 0, rc, ex = 0;

	err_clear(&e);
	optind = 1;
	while ((ch = getopt(argc, argv, "a")) != -1) {
		if (ch != 'a')
			usage(NULL);
		all = 1;
	}
	if (all == (optind < argc))
		usage("requeue wants ids or -a");
	if (all) {
		if (q_dead_list(q, 0, (long long)1 << 52, &d, &n, &e) == -1)
			die(&e);
		for (i = 0; i < n; i++) {
			if ((rc = q_requeue(q, d[i].id, &e)) == -1 &&
			    e.code != EX_NOINPUT)
				die(&e);
			if (rc == 1)
				printf("%s\n", d[i].id);
		}
		free(d);
		out_done();
		return 0;
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		if ((rc = q_requeue(q, argv[i], &e)) == -1) {
			if (e.code != EX_NOINPUT && e.code != EX_DATAERR)
				die(&e);
			log_error("%s", e.msg);
			ex = e.code;
			continue;
		}
		if (rc == 0) {
			log_error("job %s is neither dead nor done; left "
			    "alone", argv[i]);
			if (ex == 0)
				ex = EX_NEGATIVE;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	out_done();
	return ex;
}

static int
cmd_number(const char *what)
{
	struct err e;
	long long n;

	err_clear(&e);
	if (strcmp(what, "depth") == 0) {
		if (q_depth(q, &n, &e) == -1)
			die(&e);
	} else if (strcmp(what, "purge") == 0) {
		if (q_purge_dead(q, &n, &e) == -1)
			die(&e);
	} else {
		if (q_reap(q, (int)qc.attempts, &n, &e) == -1)
			die(&e);
	}
	printf("%lld\n", n);
	out_done();
	return 0;
}

int
main(int argc, char **argv)
{
	struct err e;
	const char *cmd;
	int ch;

	cli_start(argv[0], LOG_LVL_INFO);
	err_clear(&e);
	fmt = isatty(1) ? F_TEXT : F_TSV;
	if (q_conf_from_env(&qc, &e) == -1)
		die(&e);
	while ((ch = getopt(argc, argv, "+jo:q:")) != -1) {
		switch (ch) {
		case 'j':
			fmt = F_JSON;
			break;
		case 'o':
			if (strcmp(optarg, "text") == 0)
				fmt = F_TEXT;
			else if (strcmp(optarg, "tsv") == 0)
				fmt = F_TSV;
			else if (strcmp(optarg, "json") == 0)
				fmt = F_JSON;
			else if (strcmp(optarg, "prom") == 0)
				fmt = F_PROM;
			else
				usage("-o: text, tsv, json or prom");
			break;
		case 'q':
			if (q_conf_queue(&qc, optarg, &e) == -1)
				usage(e.msg);
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	cmd = argc > 0 ? argv[0] : "summary";
	if (strcmp(cmd, "summary") != 0 && strcmp(cmd, "job") != 0 &&
	    strcmp(cmd, "dead") != 0 && strcmp(cmd, "requeue") != 0 &&
	    strcmp(cmd, "purge") != 0 && strcmp(cmd, "depth") != 0 &&
	    strcmp(cmd, "reap") != 0)
		usage("unknown subcommand");
	if (fmt == F_PROM && strcmp(cmd, "summary") != 0)
		usage("-o prom is for the summary");
	if ((q = q_conf_open(&qc, &e)) == NULL)
		die(&e);
	if (strcmp(cmd, "summary") == 0) {
		if (argc > 1)
			usage("summary takes no arguments");
		ch = cmd_summary();
	} else if (strcmp(cmd, "job") == 0)
		ch = cmd_job(argc, argv);
	else if (strcmp(cmd, "dead") == 0)
		ch = cmd_dead(argc, argv);
	else if (strcmp(cmd, "requeue") == 0)
		ch = cmd_requeue(argc, argv);
	else {
		if (argc > 1)
			usage("this subcommand takes no arguments");
		ch = cmd_number(cmd);
	}
	q_close(q);
	return ch;
}
