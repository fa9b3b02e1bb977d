/*
 * spawn: the machine's ceiling for running a command per job, without a
 * queue: posix_spawn(3) and waitpid(2) in a loop.
 *
 *	spawn rate N P PATH [ARG...]
 *		P processes run N/P spawns each; prints the spawns per
 *		second and the CPU per spawn in ms (the commands and the
 *		loops, user and system): "RATE CPU"
 *	spawn lat N PATH [ARG...]
 *		spawns the command N times, one at a time, with its standard
 *		output on a pipe; the command prints its start time (ns,
 *		CLOCK_REALTIME, as `date +%s%N`); prints start minus the time
 *		before posix_spawn, in microseconds, one a line
 */
#define _DEFAULT_SOURCE

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double
tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1000 + (double)tv.tv_usec / 1000;
}

static int
one(char **cmd, posix_spawn_file_actions_t *fa)
{
	pid_t pid;
	int st;

	if (posix_spawn(&pid, cmd[0], fa, NULL, cmd, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int
rate(long n, long p, char **cmd)
{
	struct rusage kids;
	double t0, t;
	long i, k;
	int st, bad = 0;

	t0 = now_s();
	for (k = 0; k < p; k++) {
		pid_t w = fork();

		if (w == -1)
			return 71;
		if (w == 0) {
			for (i = 0; i < n / p; i++)
				if (one(cmd, NULL) == -1)
					_exit(1);
			_exit(0);
		}
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	t = now_s() - t0;
	if (bad) {
		fprintf(stderr, "spawn: %s failed\n", cmd[0]);
		return 1;
	}
	/* The loops are our children, the commands their children. */
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("%.0f %.3f\n", (double)(n / p * p) / t,
	    (tv_ms(kids.ru_utime) + tv_ms(kids.ru_stime)) / (double)n);
	return 0;
}

static int
lat(long n, char **cmd)
{
	posix_spawn_file_actions_t fa;
	char buf[64];
	long i;
	long long t0, start;
	ssize_t k;
	int p[2];

	for (i = 0; i < n; i++) {
		if (pipe(p) == -1)
			return 71;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addclose(&fa, p[0]);
		t0 = wall_ns();
		if (one(cmd, &fa) == -1)
			return 1;
		posix_spawn_file_actions_destroy(&fa);
		close(p[1]);
		k = read(p[0], buf, sizeof(buf) - 1);
		close(p[0]);
		if (k <= 0)
			return 1;
		buf[k] = '\0';
		start = strtoll(buf, NULL, 10);
		printf("%lld\n", (start - t0) / 1000);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "rate") == 0)
		return rate(strtol(argv[2], NULL, 10),
		    strtol(argv[3], NULL, 10), argv + 4);
	if (argc >= 4 && strcmp(argv[1], "lat") == 0)
		return lat(strtol(argv[2], NULL, 10), argv + 3);
	fprintf(stderr, "usage: spawn rate N P PATH [ARG...] | "
	    "spawn lat N PATH [ARG...]\n");
	return 64;
}
