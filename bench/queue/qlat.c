/*
 * qlat: push-to-start latency of the queue.  Pushes one job at a time
 * (field t0 = the push time in ns, CLOCK_REALTIME), waits until a
 * consumer ran it (its command prints its own start time, recorded as
 * the job's output), and prints start - t0 in microseconds, one a line.
 *
 *	qlat REDIS_URL QUEUE COUNT
 */
#define _DEFAULT_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "q.h"

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	struct q_field f[1], *rec;
	struct err e;
	struct q *q;
	char id[Q_ID_LEN + 1], t0s[32];
	long long t0, start, i, n;
	size_t nf, k;
	int existed, over;
	struct timespec pause = { 0, 2000000 };

	if (argc != 4)
		return 64;
	n = strtoll(argv[3], NULL, 10);
	err_clear(&e);
	if ((q = q_open(argv[1], argv[2], &e)) == NULL) {
		fprintf(stderr, "qlat: %s\n", e.msg);
		return e.code;
	}
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		snprintf(t0s, sizeof(t0s), "%lld", t0);
		f[0].name = "t0", f[0].val = t0s, f[0].len = strlen(t0s);
		if (q_push(q, NULL, f, 1, NULL, id, &existed, &e) == -1) {
			fprintf(stderr, "qlat: %s\n", e.msg);
			return e.code;
		}
		for (over = 0; !over;) {
			nanosleep(&pause, NULL);
			if (q_job_get(q, id, &rec, &nf, &e) == -1)
				return e.code;
			start = 0;
			for (k = 0; k < nf; k++) {
				if (strcmp(rec[k].name, "state") == 0 &&
				    strcmp(rec[k].val, "done") == 0)
					over = 1;
				if (strcmp(rec[k].name, "outputs") == 0)
					start = strtoll(rec[k].val, NULL, 10);
			}
			q_fields_free(rec, nf);
		}
		printf("%lld\n", (start - t0) / 1000);
	}
	q_close(q);
	return 0;
}
