/*
 * q_int.h: what the q_ modules share (not for programs).
 */
#ifndef IMGQ_Q_INT_H
#define IMGQ_Q_INT_H

#include <signal.h>

#include <hiredis/hiredis.h>

#include "q.h"
#include "q_io.h"

/*
 * The keys of a queue Q: the hash tag "{Q}:" and one of these suffixes
 * (those ending in ':' take an argument: a consumer, an id, a key).
 * q_key builds every key name in C, and q_lua.c hands the same suffixes
 * to the scripts; imgq(7) lists them (tests/unit/test_q_keys.c checks).
 */
#define QK_S_QUEUE	"queue"
#define QK_S_C		"c:"
#define QK_S_CONSUMERS	"consumers"
#define QK_S_BEATS	"beats"
#define QK_S_DELAYED	"delayed"
#define QK_S_DEAD	"dead"
#define QK_S_DONE	"done"
#define QK_S_JOB	"job:"
#define QK_S_IDEM	"idem:"
#define QK_S_IDEMREQ	"idemreq:"
#define QK_S_EVENTS	"events"

enum q_key {
	QK_TAG,			/* "{Q}:" alone: the scripts' prefix */
	QK_QUEUE, QK_C, QK_CONSUMERS, QK_BEATS, QK_DELAYED, QK_DEAD, QK_DONE,
	QK_JOB, QK_IDEM, QK_IDEMREQ, QK_EVENTS, QK_N
};
extern const char *const q_key_suffix[QK_N];

/*
 * "{queue}:", the suffix of kind and arg (NULL: none) into buf.  Returns
 * the length, or -1 when it does not fit.
 */
int	q_key(char *buf, size_t, const char *queue, enum q_key kind,
	    const char *arg);

/* How a settle ends besides the states it leads to (job.h). */
#define Q_HOW_HALT	"halt"

enum {
	QS_PUSH, QS_START, QS_BEAT, QS_SETTLE, QS_STOP, QS_REAP, QS_REQUEUE,
	QS_PURGE, QS_STATS, QS_CONSUMERS, QS_NEXT, Q_NSCRIPTS
};
/* Each script in parts (C99 limits a string's length), NULL-terminated. */
extern const char *const *const q_scripts[Q_NSCRIPTS];

/* Where a queue's Redis is and how to reach it, kept for reconnects. */
struct q_link {
	struct q_url	 url;
	SSL_CTX		*tls;		/* rediss://; NULL: plain */
	char		 tls_name[256];	/* "": the host connected to */
	char		 sent_user[128];	/* AUTH to the sentinels */
	char		 sent_pass[256];
	int		 sent_at;	/* the sentinel that answered last */
	char		 where[300];	/* the server connected to last */
};

struct q {
	struct q_conn	*c;
	struct q_link	 link;
	char		 name[Q_QUEUE_MAX + 1];
	char		 prefix[Q_QUEUE_MAX + 4];	/* "{name}:" */
	char		 queue_key[Q_QUEUE_MAX + 16];
	char		 chan[Q_QUEUE_MAX + 16];
	char		 sha[Q_NSCRIPTS][41];
	long long	 retry_ms;
	long long	 retention_ms;
	char		 consumer[Q_CONSUMER_MAX + 1];
	char		 clist[Q_QUEUE_MAX + Q_CONSUMER_MAX + 16];
	long long	 lease_ms;
	int		 max_attempts;
	int		 wait_replicas;	/* q_set_wait */
	long long	 wait_ms;
	volatile sig_atomic_t *stop;	/* set: retry loops give up */
};

/* q_call flags */
#define QC_ONCE		1	/* no reconnect loop */

/*
 * Parses the URL and, for rediss://, makes the TLS context with the
 * settings (NULL: the defaults of struct q_tls).
 */
int	q_link_init(struct q_link *, const char *url, const struct q_opts *,
	    struct err *);
/* Frees what q_link_init made, and wipes the password. */
void	q_link_clear(struct q_link *);

/*
 * Connects (AUTH, SELECT); through sentinels, to the master they name,
 * checked with ROLE.  EX_TEMPFAIL when worth retrying.
 */
struct q_conn *q_redis_connect(struct q_link *, struct err *);

/*
 * One command on a connection: its reply in *out (NULL: freed), or -1
 * with err prefixed by what (an error reply mapped by q_reply_error).
 */
int	q_cmd(struct q_conn *, int argc, const char **argv,
	    const size_t *lens, const char *what, redisReply **out,
	    struct err *);

/* q_sentinel.c: the master's address, asked of the link's sentinels. */
int	q_sentinel_master(struct q_link *, char *host, size_t, int *port,
	    struct err *);
/* ROLE says master: 0; else EX_TEMPFAIL (a failover under way). */
int	q_sentinel_check_role(struct q_conn *, struct err *);

/*
 * q_link.c: a connection to host:port (or the unix socket path) with the
 * link's TLS, past AUTH user pass (none when pass is empty).
 */
struct q_conn *q_link_open(const struct q_link *, const char *host,
	    int port, const char *path, const char *user, const char *pass,
	    struct err *);

/* Sends argv; retries per the q's bound.  *out is the reply (not error). */
int	q_call(struct q *, int argc, const char **argv, const size_t *lens,
	    redisReply **out, int flags, struct err *);

/* EVALSHA of a script with ARGV = prefix, argv...; as q_call. */
int	q_eval(struct q *, int which, int argc, const char **argv,
	    const size_t *lens, redisReply **out, int flags, struct err *);

/*
 * WAIT for the replicas q_set_wait asks (nothing when none): EX_TEMPFAIL
 * when fewer confirm the connection's writes in time, or when the
 * connection is gone (a new one has no writes to wait for).
 */
int	q_wait_replicas(struct q *, struct err *);

/* Maps an error reply to err; returns 1 when worth retrying. */
int	q_reply_error(const redisReply *, struct err *);

/* Sleeps for attempt n of a bounded doubling backoff with jitter. */
/* The backoff before retry n; cut short by a signal once *stop is set. */
void	q_backoff_sleep(int n, volatile sig_atomic_t *stop);

#endif
