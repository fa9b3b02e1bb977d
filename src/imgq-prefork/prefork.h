/*
 * prefork.h: what main.c hands to the supervision loop of pool.c, and
 * what the loop uses of the children's environment (childenv.c) and of
 * the probe (probe.c).
 */
#ifndef IMGQ_PREFORK_H
#define IMGQ_PREFORK_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "autoscale.h"
#include "dotenv.h"
#include "envset.h"
#include "err.h"

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

/* In a child, before exec: signals as a new program expects them. */
void	pf_child_common(void);
void	pf_set_nonblock(int);

/* ---- childenv.c ---- */

struct pf_env {
	struct envset	 set;	/* the file of -e beneath our environment */
	struct dotenv	 dot;	/* the file's strings, set points at them */
};

struct pf_envs {
	struct pf_env	 cur;
	struct pf_env	 prev;	/* the last complete generation's */
	int		 loaded, has_prev;
};

/*
 * Loads (or reloads) the environment file; on failure nothing changes.
 * Unless reloading already, the current environment is kept aside until
 * pf_env_settle: the reload completed (keep 1) or was abandoned (keep 0).
 */
int	pf_env_load(struct pf_envs *, const char *file, int reloading,
	    struct err *);
void	pf_env_settle(struct pf_envs *, int keep);
void	pf_env_free(struct pf_envs *);
char	**pf_env_envp(struct pf_envs *);

/*
 * The environment of one child: the current one, with IMGQ_PREFORK_SLOT,
 * and IMGQ_MAX_REQUESTS and IMGQ_READY_FD when requests and ready_fd are
 * above 0 (removed otherwise).
 */
int	pf_env_child(struct pf_envs *, int slot, long long requests,
	    int ready_fd, struct envset *, struct err *);

/* ---- probe.c ---- */

struct pf_probe {
	pid_t		 pid;		/* running, or 0 */
	int		 fd;		/* its standard output, or -1 */
	char		 buf[128];	/* its first line */
	size_t		 len;
	int		 too_long;
	uint64_t	 next;		/* when it runs next */
	uint64_t	 kill_at;
	struct autoscale scale;
};

void	pf_probe_init(struct pf_probe *, const struct pf_conf *);
void	pf_probe_start(struct pf_probe *, const struct pf_conf *, char **env,
	    uint64_t now);
void	pf_probe_read(struct pf_probe *);

/*
 * The probe ended with wait status st: returns the count wanted from
 * what it printed (current when it failed, or the count stays), with the
 * reason in why.
 */
long long pf_probe_done(struct pf_probe *, int st, int evaluate,
	    long long current, uint64_t now, char *why, size_t);

#endif
