/*
 * pop.h: the parts of imgq-pop.  main.c reads the configuration, sets up
 * and loops over jobs; run.c runs the command for one job and watches it;
 * settle.c decides from how the command ended what becomes of the job
 * (a pure function, unit-tested) and records it in the queue.
 */
#ifndef IMGQ_POP_H
#define IMGQ_POP_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "envset.h"
#include "err.h"
#include "job_scratch.h"
#include "q.h"
#include "q_conf.h"

#define OUTPUTS_MAX	(64 * 1024)	/* bytes of stdout kept as outputs */
#define STDERR_KEEP	4096		/* bytes of stderr tail kept */
#define STDERR_LINES	10		/* lines of it in a dead letter */
#define ERRLINE_MAX	160		/* bytes of stderr's first line in a reason */

struct pop_conf {
	int		 loop;
	long long	 count;		/* 0: one job, unless loop */
	long long	 wait_ms;	/* -1: forever */
	struct q_conf	 q;		/* REDIS_URL, IMGQ_QUEUE, ... */
	const char	*consumer;
	uint64_t	 lease_ms, time_limit_ms, kill_after_ms, grace_ms;
	uint64_t	 backoff_ms, backoff_max_ms;
	char		**cmd;
	char		*path;		/* of cmd[0], found at start */
	char		**pass;		/* -E and IMGQ_POP_PASS_ENV names */
	size_t		 npass;
};

/* One run of the command. */
struct pop_run {
	pid_t		 pid;
	int		 status;
	int		 exited;
	int		 timed_out;
	int		 handed_back;
	int		 exec_errno;
	char		*out;		/* stdout, up to OUTPUTS_MAX */
	size_t		 outlen;
	int		 out_truncated;
	char		 errtail[STDERR_KEEP];	/* ring */
	size_t		 errpos;
	int		 errwrapped;
	char		 errline[ERRLINE_MAX + 1];	/* the first line */
	size_t		 errlinelen;
	int		 errlinestate;	/* 0 before it, 1 in it, 2 after */
};

/* main.c: set by SIGTERM, SIGINT, SIGHUP; the self-pipe that wakes us. */
extern volatile sig_atomic_t pop_stopping;
extern int pop_sigfd;
void	pop_drain_signals(void);

/* ---- cred.c ---- */

/*
 * Resolves the S3 credentials with the S3 tools' chain, once; a failure
 * is a warning (the jobs get none), finding none is not even that.
 */
void	pop_cred_init(void);

/*
 * Refreshes credentials that expire within 15 minutes (at most every 30
 * seconds) and, with dir, rewrites the file of the job running there.
 */
void	pop_cred_refresh(const char *dir);

/*
 * Writes the credentials, if any, to a 0600 file in dir and puts its
 * path as IMGQ_S3_CREDENTIALS_FILE (and the region they go with as
 * AWS_REGION when s has none); without credentials, removes the variable.
 */
int	pop_cred_put(struct envset *, const char *dir, struct err *);

/* ---- run.c ---- */

/* Opens what every run needs (/dev/null as the command's input). */
int	pop_run_init(struct err *);

/*
 * The command's path, searched once in path (PATH, or NULL for the
 * default) as execvp would; NULL with errno set when there is none.
 */
char	*pop_find_cmd(const char *name, const char *path);

/*
 * Runs the command for the job and watches it: heartbeats, time limit,
 * graceful stop.  Returns -1 only when the command could not be started.
 */
int	pop_run_job(const struct pop_conf *, struct q *, struct job_scratch *,
	    const struct q_job *, struct pop_run *, struct err *);

/* ---- settle.c ---- */

struct pop_verdict {
	enum q_outcome	 how;
	int		 exit_with;	/* imgq-pop's exit status after, 0: go on */
	int		 exit_code;	/* the command's, -1: none */
	int		 signo;		/* 0: none */
	char		 desc[128];	/* how it ended: "exit 75", "signal 9 ..." */
	char		 why[512];	/* the reason, for the record and log */
};

/*
 * Keeps the first non-empty line of stderr as it arrives (the tail ring
 * may have lost it by the end): up to ERRLINE_MAX bytes and one more to
 * tell that it went on.
 */
void	pop_keep_errline(struct pop_run *, const char *, size_t);

/*
 * What becomes of a job after a run (imgq(7): the exit table's classes).
 * The reason is how it ended, then ": " and the first line of its stderr
 * when there is one, with control characters as '?' and cut at
 * ERRLINE_MAX bytes (on a character boundary) with "...".
 */
void	pop_decide(const struct pop_run *, uint64_t time_limit_ms,
	    struct pop_verdict *);

/*
 * The delay before the attempt-th retry: base doubled for each earlier
 * attempt, at most max, less up to half of it (rnd 0 to UINT32_MAX).
 */
long long pop_backoff(uint64_t base, uint64_t max, long long attempt,
	    uint32_t rnd);

/* The last STDERR_LINES lines of the run's stderr tail, into buf. */
size_t	pop_stderr_lines(const struct pop_run *, char buf[STDERR_KEEP]);

/*
 * Settles the job from the run; returns the exit status imgq-pop should
 * end with after it (0: go on).  With next, the next job is reserved in
 * the same round trip when one is ready (*got_next 1), unless this one
 * halts.
 */
int	pop_settle(const struct pop_conf *, struct q *, const struct q_job *,
	    struct pop_run *, struct q_job *next, int *got_next);

#endif
