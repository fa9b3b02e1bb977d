/*
 * qdrain: the queue's own ceiling, without a command: reserve and settle
 * (done) jobs in a loop with libimgq, as imgq-pop does around its command.
 *
 *	qdrain REDIS_URL QUEUE N P
 *
 * P processes take N/P jobs each; prints the jobs per second.  The other
 * settings (rediss:// ones too) come from the environment, as for the
 * programs.
 */
#define _DEFAULT_SOURCE

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "q.h"
#include "q_conf.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
drain(const char *url, const char *queue, long n)
{
	struct q_settle s;
	struct q_job job, next;
	struct q_conf c;
	struct err e;
	struct q *q;
	long i;
	int got, settled;

	err_clear(&e);
	q = NULL;
	if (q_conf_from_env(&c, &e) == 0) {
		c.url = url;
		c.queue = queue;
		q = q_conf_open(&c, &e);
	}
	if (q == NULL ||
	    q_consumer(q, NULL, 30000, 5, &e) == -1) {
		fprintf(stderr, "qdrain: %s\n", e.msg);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	s.how = Q_DONE;
	s.exit_code = 0;
	/* As imgq-pop: the next job comes with the settle of the last. */
	for (i = 0, got = 0; i < n; i++) {
		if (!got && q_reserve(q, 5000, -1, &job, &e) != 1)
			goto fail;
		if (i + 1 < n) {
			got = q_settle_next(q, &job, &s, NULL, 0, &settled,
			    &next, &e);
			if (got == -1 || settled != 1)
				goto fail;
		} else if (q_settle(q, &job, &s, NULL, 0, &e) != 1)
			goto fail;
		q_job_free(&job);
		if (got)
			job = next;
	}
	(void)q_consumer_stop(q, &e);
	q_close(q);
	return 0;
fail:
	fprintf(stderr, "qdrain: job %ld: %s\n", i, e.msg);
	return 1;
}

int
main(int argc, char **argv)
{
	long n, p, k;
	double t0;
	int st, bad = 0;

	if (argc != 5)
		return 64;
	n = strtol(argv[3], NULL, 10);
	p = strtol(argv[4], NULL, 10);
	t0 = now_s();
	for (k = 0; k < p; k++) {
		pid_t w = fork();

		if (w == -1)
			return 71;
		if (w == 0)
			_exit(drain(argv[1], argv[2], n / p));
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	if (bad)
		return 1;
	printf("%.0f\n", (double)(n / p * p) / (now_s() - t0));
	return 0;
}
