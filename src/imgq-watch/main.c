/*
 * imgq-watch: print job events as lines "ID STATE DETAIL", until the
 * named jobs are done or dead, or forever.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "log.h"
#include "q.h"
#include "q_conf.h"
#include "sys.h"

#define USAGE "usage: imgq-watch [-f] [-q queue] [-t timeout] [id ...]"

struct watched {
	char	 id[JOB_ID_LEN + 1];
	int	 over;		/* done or dead */
};

static struct watched *jobs;
static size_t njobs, nleft;
static int any_dead;

#define usage(why)	cli_usage(USAGE, why)
#define die(e)		cli_die(e)

static void
emit(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		putchar(line[i] == '\n' || line[i] == '\r' ? ' ' : line[i]);
	putchar('\n');
	if (fflush(stdout) == EOF) {
		/* The reader went away (a closed SSE stream): done. */
		exit(errno == EPIPE ? EX_OK : EX_OSERR);
	}
}

static struct watched *
lookup(const char *id, size_t len)
{
	size_t i;

	if (len != JOB_ID_LEN)
		return NULL;
	for (i = 0; i < njobs; i++)
		if (memcmp(jobs[i].id, id, JOB_ID_LEN) == 0)
			return &jobs[i];
	return NULL;
}

/* A job reached state st: the end when it is done or dead. */
static void
reached(struct watched *w, int st)
{
	if (w->over || !job_state_final(st))
		return;
	w->over = 1;
	if (st == JOB_DEAD)
		any_dead = 1;
	nleft--;
}

/* Reads the state of every job still followed; prints the ones over. */
static void
check_states(struct q *q, int first)
{
	struct q_field *f;
	struct err e;
	char line[JOB_ID_LEN + 16];
	const struct q_field *sf;
	size_t i, n, k;
	int st;

	for (i = 0; i < njobs; i++) {
		if (jobs[i].over)
			continue;
		err_clear(&e);
		if (q_job_get(q, jobs[i].id, &f, &n, &e) == -1) {
			if (e.code == EX_NOINPUT && first)
				die(&e);
			if (e.code == EX_NOINPUT) {
				/* Expired while we were away. */
				reached(&jobs[i], JOB_DONE);
				continue;
			}
			die(&e);
		}
		sf = q_fields_find(f, n, "state");
		st = sf != NULL ? job_state_of(sf->val, sf->len) : -1;
		q_fields_free(f, n);
		if (job_state_final(st)) {
			k = (size_t)snprintf(line, sizeof(line), "%s %s",
			    jobs[i].id, job_state_name(st));
			emit(line, k);
			reached(&jobs[i], st);
		}
	}
}

int
main(int argc, char **argv)
{
	struct err e;
	struct q *q = NULL;
	struct q_sub *sub;
	struct q_conf qc;
	uint64_t timeout = 0, deadline = 0;
	int ch, follow = 0, rc, to;
	char *line;
	size_t len, i;

	cli_start(argv[0], LOG_LVL_INFO);
	err_clear(&e);
	if (q_conf_from_env(&qc, &e) == -1)
		die(&e);
	while ((ch = getopt(argc, argv, "fq:t:")) != -1) {
		switch (ch) {
		case 'f':
			follow = 1;
			break;
		case 'q':
			if (q_conf_queue(&qc, optarg, &e) == -1)
				usage(e.msg);
			break;
		case 't':
			if (parse_duration_ms(optarg, 1, 31536000000ULL,
			    &timeout, &e) == -1)
				usage(e.msg);
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		follow = 1;
	if ((jobs = calloc((size_t)argc + 1, sizeof(*jobs))) == NULL)
		return EX_OSERR;
	for (i = 0; i < (size_t)argc; i++) {
		if (!job_id_valid(argv[i]))
			usage("not a job id");
		memcpy(jobs[i].id, argv[i], JOB_ID_LEN + 1);
	}
	njobs = nleft = (size_t)argc;
	/* Subscribe first, then read the states: nothing falls between. */
	if ((sub = q_conf_sub(&qc, &e)) == NULL)
		die(&e);
	if (njobs > 0) {
		if ((q = q_conf_open(&qc, &e)) == NULL)
			die(&e);
		check_states(q, 1);
	}
	if (timeout > 0)
		deadline = sys_now_ms() + timeout;
	while (follow || nleft > 0) {
		to = -1;
		if (deadline != 0) {
			uint64_t now = sys_now_ms();

			if (now >= deadline) {
				log_error("timed out");
				return EX_TEMPFAIL;
			}
			to = (int)(deadline - now);
		}
		rc = q_sub_next(sub, &line, &len, to, &e);
		if (rc == -1)
			die(&e);
		if (rc == 0)
			continue;
		if (rc == 2) {
			log_warn("reconnected to Redis; events in between may "
			    "be missed");
			if (q != NULL)
				check_states(q, 0);
			continue;
		}
		if (njobs == 0) {
			emit(line, len);
		} else {
			struct watched *w = lookup(line, strcspn(line, " "));

			if (w != NULL && (follow || !w->over)) {
				/* "ID STATE DETAIL"; lookup saw the id end. */
				const char *st = line + JOB_ID_LEN +
				    (line[JOB_ID_LEN] == ' ');

				emit(line, len);
				reached(w, job_state_of(st, strcspn(st, " ")));
			}
		}
		free(line);
	}
	q_sub_close(sub);
	q_close(q);
	return any_dead ? EX_NEGATIVE : EX_OK;
}
