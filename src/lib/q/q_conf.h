/*
 * q_conf.h: the queue's settings, their defaults and their ranges, read
 * from the environment and from flags in one place, and the opening of
 * the queue with them (the counterpart of s3_conf_from_env for S3).
 *
 *	REDIS_URL		required by q_conf_open and q_conf_sub
 *	IMGQ_QUEUE		default Q_DEFAULT_QUEUE
 *	IMGQ_REDIS_RETRY	how long a lost or loading server is retried
 *	IMGQ_RETENTION		how long finished records and idempotency
 *				keys are kept
 *	IMGQ_ATTEMPTS		the attempt limit of consumers and reaping
 *	IMGQ_REDIS_TLS_CA_FILE, IMGQ_REDIS_TLS_SERVER_NAME,
 *	IMGQ_REDIS_TLS_CERT_FILE, IMGQ_REDIS_TLS_KEY_FILE,
 *	IMGQ_REDIS_TLS_INSECURE	struct q_tls, for rediss://
 *	IMGQ_REDIS_SENTINEL_USER, IMGQ_REDIS_SENTINEL_PASSWORD
 *				AUTH to the sentinels of redis+sentinel://
 *	IMGQ_REDIS_WAIT		replicas a push or settle waits for (q_set_wait)
 *	IMGQ_REDIS_WAIT_TIMEOUT	for at most this long
 *
 * A program calls q_conf_from_env, then the q_conf_ flag setters for its
 * flags, then q_conf_open (or q_conf_sub).  Every tool checks all of the
 * variables, so a bad value in a shared environment is reported by the
 * first tool that sees it.
 */
#ifndef IMGQ_Q_CONF_H
#define IMGQ_Q_CONF_H

#include "err.h"
#include "q.h"

#define Q_RETRY_DEFAULT_MS	30000LL
#define Q_RETRY_MAX_MS		86400000LL		/* a day */
#define Q_RETENTION_DEFAULT_MS	(7LL * 86400000)	/* a week */
#define Q_RETENTION_MIN_MS	1000LL
#define Q_RETENTION_MAX_MS	31536000000LL		/* a year */
#define Q_ATTEMPTS_DEFAULT	5
#define Q_ATTEMPTS_MAX		1000
#define Q_LEASE_DEFAULT_MS	30000LL
#define Q_WAIT_MAX		16	/* replicas */
#define Q_WAIT_DEFAULT_MS	1000LL
#define Q_WAIT_MAX_MS		60000LL

struct q_conf {
	const char	*url;		/* REDIS_URL; NULL when not set */
	const char	*queue;		/* never NULL */
	long long	 retry_ms;
	long long	 retention_ms;
	long long	 attempts;
	long long	 wait_replicas;
	long long	 wait_ms;
	struct q_opts	 opts;
};

void	q_conf_defaults(struct q_conf *);

/*
 * The defaults, then the variables above: EX_CONFIG naming the variable
 * when one is not in range (or not a legal queue name).  The strings
 * point into the environment.
 */
int	q_conf_from_env(struct q_conf *, struct err *);

/*
 * A flag's value (-q queue, -r retention, -a attempts), in the range of
 * the variable it overrides; EX_USAGE otherwise.  The queue name is kept
 * by pointer.
 */
int	q_conf_queue(struct q_conf *, const char *, struct err *);
int	q_conf_retention(struct q_conf *, const char *, struct err *);
int	q_conf_attempts(struct q_conf *, const char *, struct err *);

/* EX_CONFIG "REDIS_URL is not set" when it is not; for an early check. */
int	q_conf_check(const struct q_conf *, struct err *);

/*
 * q_conf_check, then q_open_retry with the retry bound, and the
 * retention set (the attempt limit is the consumer's: q_consumer).
 */
struct q *q_conf_open(const struct q_conf *, struct err *);

/* q_conf_check, then q_sub_open on the same queue. */
struct q_sub *q_conf_sub(const struct q_conf *, struct err *);

#endif
