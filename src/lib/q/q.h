/*
 * q.h: the imgq job queue on Redis.
 *
 * Every key of a queue Q starts with the hash tag "{Q}:" (Redis Cluster
 * keeps them in one slot, so the Lua scripts and multi-key commands stay
 * legal).  imgq(7) lists the keys and what each holds; q_int.h names
 * them (q_key).
 *
 * Record fields written by the queue: state (a job_state name of job.h),
 * attempts, run (fencing token, incremented at each reservation),
 * consumer, queued, started, finished, due, delay (ms), exit, signal,
 * error, stderr (last lines), outputs (lines, '\n'-separated), settled,
 * idem.  Any other field is the job's own (src, bucket, name, type, size,
 * created, ...): a name of [a-z][a-z0-9_]*, at most JOB_FIELD_NAME_MAX
 * long, exported by imgq-pop as IMGQ_<NAME>.
 *
 * Times are taken from the Redis server's clock inside the scripts, so
 * consumers on machines with skewed clocks agree on leases and due times.
 *
 * All functions return -1 and fill struct err on failure: EX_TEMPFAIL when
 * Redis stays unreachable or loading past the reconnect bound, EX_NOPERM
 * when it refuses the credentials, EX_CONFIG for a bad REDIS_URL or queue
 * name, EX_PROTOCOL for a reply of an unexpected shape.
 */
#ifndef IMGQ_Q_H
#define IMGQ_Q_H

#include <signal.h>
#include <stddef.h>

#include "err.h"
#include "job.h"

#define Q_ID_LEN	JOB_ID_LEN	/* ids: see job.h */
#define Q_DEFAULT_QUEUE	"imgq"
#define Q_QUEUE_MAX	64	/* queue name: [A-Za-z0-9_.-], 1..64 */
#define Q_CONSUMER_MAX	96
#define Q_IDEM_MAX	512	/* idempotency key, bytes */

#define Q_SENTINELS_MAX	8
#define Q_SENTINEL_PORT	26379

/* A parsed REDIS_URL. */
struct q_url {
	int	is_unix;
	int	tls;			/* rediss://, rediss+sentinel:// */
	char	host[256];		/* TCP: name or address, no brackets */
	int	port;			/* TCP: default 6379 */
	char	path[108];		/* unix: socket path */
	char	user[128];		/* may be empty */
	char	pass[256];		/* may be empty: no AUTH */
	int	db;			/* default 0 */
	int	nsentinels;		/* redis+sentinel: (host empty) */
	struct {
		char	host[256];
		int	port;		/* default Q_SENTINEL_PORT */
	}	sentinel[Q_SENTINELS_MAX];
	char	master[64];		/* the name the sentinels know */
};

/*
 * Parses redis://[[user]:password@]host[:port][/db] (host may be an
 * [IPv6] address; user and password are percent-decoded), the same with
 * rediss:// (TLS), redis+sentinel://[[user]:password@]host[:port][,...]
 * /master-name[/db] (the sentinels, and the name of the master they
 * watch; the user and password are the master's) and rediss+sentinel://
 * (TLS to the sentinels and the master), and
 * unix:///path/to/socket[?db=N].  EX_CONFIG on anything else.
 */
int	q_url_parse(const char *, struct q_url *, struct err *);

/*
 * TLS settings of a rediss:// connection (imgq(7) says which variables
 * carry them).  All NULL or 0: the system's CA store, the URL's host as
 * the name the certificate must have (and SNI), no client certificate.
 */
struct q_tls {
	const char	*ca_file;	/* PEM bundle instead of the system's */
	const char	*server_name;	/* instead of the URL's host */
	const char	*cert_file;	/* client certificate (chain), PEM */
	const char	*key_file;	/* its key, PEM; NULL: in cert_file */
	int		 insecure;	/* no certificate check: tests only */
};

/* How to reach the queue's Redis besides its URL. */
struct q_opts {
	struct q_tls	 tls;
	const char	*sentinel_user;	/* AUTH to the sentinels: NULL, none */
	const char	*sentinel_pass;
};

/* A new time-ordered id (Q_ID_LEN + 1 bytes): job_id_new(). */
int	q_id_new(char *, struct err *);

/* 1 when the name is a legal queue name. */
int	q_queue_valid(const char *);

struct q;

/*
 * Opens the queue (the connection is made at once so that a bad URL,
 * refused credentials or an unreachable server are reported here).
 * queue NULL means Q_DEFAULT_QUEUE.  Connection loss, LOADING, READONLY
 * and MASTERDOWN are retried with a doubling backoff (50 ms to 2 s, with
 * jitter) for at most the retry bound (q_set_retry; the defaults of this
 * and of every other setting are in q_conf.h).
 */
struct q *q_open(const char *redis_url, const char *queue, struct err *);
/* The same with a retry bound of its own (ms; 0: one attempt). */
struct q *q_open_retry(const char *redis_url, const char *queue,
	    long long retry_ms, struct err *);
/* The same with options (NULL: the defaults, all zero). */
struct q *q_open_opts(const char *redis_url, const char *queue,
	    long long retry_ms, const struct q_opts *, struct err *);
void	q_close(struct q *);

/* How long commands keep retrying a lost or loading server (ms). */
void	q_set_retry(struct q *, long long);

/* The queue name, and the events channel name. */
const char *q_name(const struct q *);
const char *q_channel(const struct q *);

int	q_ping(struct q *, struct err *);

/* ----- producers ----- */

struct q_field {
	const char	*name;
	const void	*val;
	size_t		 len;
};

/*
 * Creates the job record and queues it atomically (one script).  id NULL:
 * a new id from job_id_new().  With an idempotency key seen before (and
 * its job still recorded), nothing is created: id_out gets the existing
 * job's id and *existed is 1.  Fields must have legal, non-reserved names
 * (EX_DATAERR otherwise); "created" defaults to the server's time.
 * ttl_ms of the idempotency key is the retention time (q_set_retention).
 */
int	q_push(struct q *, const char *id, const struct q_field *, size_t n,
	    const char *idem_key, char *id_out, int *existed, struct err *);

/* One job of a pipelined batch. */
struct q_push_req {
	const struct q_field *fields;
	size_t		 nfields;
	const char	*idem_key;		/* NULL: none */
	char		 id[JOB_ID_LEN + 1];	/* out */
	int		 existed;		/* out */
};

/*
 * Pushes n jobs with one round trip (pipelined): every job is created or
 * found, or the call fails (a retried batch re-sends only what was not
 * acknowledged; the script is idempotent per id).
 */
int	q_push_batch(struct q *, struct q_push_req *, size_t, struct err *);

/* Retention of finished records and idempotency keys (ms). */
void	q_set_retention(struct q *, long long);

/*
 * Pushes and settles wait (WAIT) until n replicas have their writes, for
 * at most ms; fewer in time fail with EX_TEMPFAIL (the write was made on
 * the master, and may be lost if it fails over now).  n 0: no waiting
 * (the default).
 */
void	q_set_wait(struct q *, int n, long long ms);

/*
 * Idempotent requests (an HTTP Idempotency-Key), looked up before
 * anything is stored.  q_idem_begin returns, atomically:
 *  Q_IDEM_NEW: the caller now holds the key's reservation for ttl_ms
 *	(token: a string of its own; asking again with the same token is
 *	Q_IDEM_NEW too).  It does the work, renews the reservation while
 *	that lasts (q_idem_renew: 1 when still held, 0 when lost), then
 *	ends it with q_idem_end: with the answer to give every retry (kept
 *	for the retention time, or until job, if given, no longer exists)
 *	or with NULL to drop it (a retry starts afresh).
 *  Q_IDEM_DONE: a request with that key completed: *answer (malloc'd,
 *	NUL-terminated, *len bytes) is what it kept.
 *  Q_IDEM_BUSY: another request holds the reservation, for at most
 *	*left_ms more.
 * The key is kept in {Q}:idemreq:<key> (a hash).
 */
enum { Q_IDEM_NEW = 1, Q_IDEM_DONE, Q_IDEM_BUSY };
int	q_idem_begin(struct q *, const char *key, const char *token,
	    long long ttl_ms, char **answer, size_t *len, long long *left_ms,
	    struct err *);
int	q_idem_renew(struct q *, const char *key, const char *token,
	    long long ttl_ms, struct err *);
/* Returns 1 when the reservation was still held, 0 when not. */
int	q_idem_end(struct q *, const char *key, const char *token,
	    const void *answer, size_t len, const char *job, struct err *);

/* ----- consumers ----- */

/* A reserved job: its record (owned by the job, freed by q_job_free). */
struct q_job {
	char		 id[JOB_ID_LEN + 1];
	char		 run[24];	/* fencing token of this reservation */
	long long	 attempt;	/* 1 for the first run */
	struct q_field	*fields;	/* every field of the record */
	size_t		 nfields;
	void		*priv;
};

/*
 * Becomes a consumer: name NULL makes "host.pid.random".  lease_ms is
 * how long the consumer's jobs stay reserved without a heartbeat.
 */
int	q_consumer(struct q *, const char *name, long long lease_ms,
	    int max_attempts, struct err *);
const char *q_consumer_name(const struct q *);

/*
 * Reserves a job: first due retries are moved back to the queue, expired
 * consumers are reaped and this consumer's heartbeat is renewed, then the
 * job is taken with LMOVE, or BLMOVE for up to wait_ms (-1: forever).
 * cancel_fd (or -1) ends the wait early when it becomes readable.
 * Returns 1 with *job filled, 0 when none came (timeout or cancel).
 */
int	q_reserve(struct q *, long long wait_ms, int cancel_fd,
	    struct q_job *, struct err *);
void	q_job_free(struct q_job *);

/* Value of a field of a reserved job, or NULL. */
const struct q_field *q_job_field(const struct q_job *, const char *);

/*
 * Renews this consumer's lease (one attempt, no reconnect loop, so it can
 * be called from a loop that also watches a child).  Returns 1 when the
 * lease was renewed, 0 when the consumer had been reaped (its jobs were
 * handed to others: a later settle will be refused).
 */
int	q_beat(struct q *, struct err *);

enum q_outcome {
	Q_DONE,		/* success: outputs recorded */
	Q_RETRY,	/* again after delay_ms, or dead at the attempt limit */
	Q_DEAD,		/* reject: to the dead-letter set */
	Q_HALT		/* back to the head of the queue, attempt not counted */
};

struct q_settle {
	enum q_outcome	 how;
	long long	 delay_ms;	/* Q_RETRY */
	int		 exit_code;	/* -1: none (signal) */
	int		 signo;		/* 0: none */
	const char	*error;		/* reason, one line; may be NULL */
	const void	*outputs;	/* '\n'-separated lines; may be NULL */
	size_t		 outputs_len;
	const void	*stderr_tail;	/* may be NULL */
	size_t		 stderr_len;
};

/*
 * Settles a reserved job, fenced: only when the record still belongs to
 * this reservation (same run token, same consumer, job still in this
 * consumer's list).  Returns 1 when applied, 0 when the job was taken
 * away (lease expired and reaped): nothing was written.  *final_state
 * (may be NULL) gets the name of the state it left the job in: done,
 * retry, dead or queued (job_state_of() reads it).
 */
int	q_settle(struct q *, const struct q_job *, const struct q_settle *,
	    char *final_state, size_t, struct err *);

/*
 * Settles a job (not with Q_HALT) and reserves the next one, in one round
 * trip: as q_settle, with *settled getting its 1 or 0, then as q_reserve
 * without waiting.  Returns 1 with *next filled, 0 when no job was ready
 * (then wait with q_reserve).
 */
int	q_settle_next(struct q *, const struct q_job *,
	    const struct q_settle *, char *final_state, size_t, int *settled,
	    struct q_job *next, struct err *);

/*
 * Stops consuming: jobs this consumer still holds go back to the head of
 * the queue (attempt not counted) and the consumer is forgotten.
 */
int	q_consumer_stop(struct q *, struct err *);

/*
 * Puts back the jobs of consumers whose lease expired (attempt counted;
 * dead when the attempt limit is reached).  *njobs gets the number of
 * jobs recovered.
 */
int	q_reap(struct q *, int max_attempts, long long *njobs, struct err *);

/* ----- inspection and administration ----- */

struct q_stats {
	long long	queued, active, delayed, dead, done, consumers;
	long long	done_last_minute;
	long long	now_ms;		/* server time */
};
int	q_stats(struct q *, struct q_stats *, struct err *);

/* Queued jobs (LLEN of the queue). */
int	q_depth(struct q *, long long *, struct err *);

struct q_cinfo {
	char		name[Q_CONSUMER_MAX + 1];
	long long	beat_age_ms;	/* since the last heartbeat */
	long long	lease_left_ms;	/* negative: expired */
	long long	holding;	/* jobs in its list */
};
/* Every consumer (malloc'd array, free()). */
int	q_consumers(struct q *, struct q_cinfo **, size_t *, struct err *);

/*
 * The record of a job: fields (malloc'd; free with q_fields_free).
 * EX_NOINPUT when there is no such job.
 */
int	q_job_get(struct q *, const char *id, struct q_field **, size_t *,
	    struct err *);
void	q_fields_free(struct q_field *, size_t);

/* The field of that name among n, or NULL. */
const struct q_field *q_fields_find(const struct q_field *, size_t,
	    const char *name);

/*
 * The job record as a JSON object (malloc'd): {"id": ..., fields...}.
 * EX_NOINPUT when there is no such job.
 */
int	q_job_json(struct q *, const char *id, char **json, struct err *);

/*
 * The same of fields already read (malloc'd, NULL on no memory); public:
 * only what anyone holding the job's id may see (imgq-recv(8)).
 */
char	*q_fields_json(const char *id, const struct q_field *, size_t,
	    int public, struct err *);

struct q_dead {
	char		id[JOB_ID_LEN + 1];
	long long	when_ms;
};
/* Dead jobs that died in [from_ms, to_ms] (malloc'd, oldest first). */
int	q_dead_list(struct q *, long long from_ms, long long to_ms,
	    struct q_dead **, size_t *, struct err *);

/*
 * Puts a dead (or done) job back in the queue with its attempts reset.
 * Returns 1 when requeued, 0 when the job is not dead or done;
 * EX_NOINPUT when it does not exist.
 */
int	q_requeue(struct q *, const char *id, struct err *);

/* Deletes every dead job; *n gets how many. */
int	q_purge_dead(struct q *, long long *n, struct err *);

/*
 * Checks the server's settings: buf gets one line per risk ("server
 * evicts keys (maxmemory-policy allkeys-lru)", "server does not persist
 * (no AOF, no snapshots)"), empty when none.  Returns the number of lines.
 */
int	q_server_warnings(struct q *, char *buf, size_t, struct err *);

/* ----- events ----- */

struct q_sub;

/* A subscriber to the queue's events (its own connection). */
struct q_sub *q_sub_open(const char *redis_url, const char *queue,
	    struct err *);
/* The same with options (NULL: the defaults). */
struct q_sub *q_sub_open_opts(const char *redis_url, const char *queue,
	    const struct q_opts *, struct err *);
void	q_sub_close(struct q_sub *);
/* The socket, for poll(2) (changes after a reconnect). */
int	q_sub_fd(const struct q_sub *);

/*
 * Waits up to timeout_ms (-1: forever; 0: no wait, but what is already
 * in the socket is read) for the next event.  Returns 1
 * with *line (malloc'd, NUL-terminated, "ID STATE DETAIL", no newline)
 * and its length in *len; 0 on timeout; 2 when the connection was lost
 * and re-made (the channel subscribed again; *line is NULL: events in
 * between may have been missed, so re-read the state of what you
 * follow); -1 on error.
 */
int	q_sub_next(struct q_sub *, char **line, size_t *len, int timeout_ms,
	    struct err *);

/* How many times the connection was re-made since the last call. */
int	q_sub_lost(struct q_sub *);

/*
 * A flag the caller sets from a signal handler (SIGTERM): while it is
 * set, a call retrying a lost server gives up at once (EX_TEMPFAIL, the
 * last error) instead of waiting out IMGQ_REDIS_RETRY.
 */
void	q_set_stop(struct q *, volatile sig_atomic_t *);

#endif
