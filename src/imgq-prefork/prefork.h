/*
 * prefork.h: what main.c hands to the supervision loop of pool.c.
 */
#ifndef IMGQ_PREFORK_H
#define IMGQ_PREFORK_H

#include <stdint.h>

#define PF_MAX_CHILDREN	1024

struct pf_conf {
	char		**argv;		/* the command, NULL-terminated */
	const char	 *envfile;	/* -e, NULL when none */
	int		  lfd;		/* listening socket (-l) or -1 */
	const char	 *unixpath;	/* -l unix:PATH, unlinked at the end */
	int		  ready_fd;	/* -d, 0 when none */
	long long	  count;	/* -n: children at start */
	long long	  min, max;	/* -m, -M */
	const char	 *probe;	/* -p, NULL when not autoscaling */
	long long	  target;	/* -t: queue depth per child */
	uint64_t	  interval_ms;	/* -i */
	uint64_t	  cooldown_ms;	/* -c */
	uint64_t	  grace_ms;	/* -g */
	uint64_t	  uptime_ms;	/* -u: a run this long is a good run */
	long long	  requests;	/* -r: IMGQ_MAX_REQUESTS, 0 none */
	long long	  jitter;	/* -j */
};

/*
 * Runs the pool until it stops; returns the exit status of imgq-prefork.
 * The environment file must already have been checked to load.
 */
int	pf_run(struct pf_conf *);

#endif
