/*
 * recv.h: what the files of imgq-recv share.
 *
 * main.c: configuration, the three modes, the loops.  conn.c: reads with
 * deadlines, request bodies, responses.  route.c: routing and the small
 * handlers.  auth.c: the operator's credentials, sign-in.  upload.c:
 * uploads.  jobs.c: job status, events, results, dashboard API.
 * handoff.c: the event routes passed to imgq-events.
 * metrics.c: counters (optionally shared between processes).  backend.c:
 * the S3 client and the queue connection.
 *
 * Calls go one way: a file calls only files after it in the order main,
 * route, upload and jobs, metrics, auth, backend, conn.
 */
#ifndef IMGQ_RECV_H
#define IMGQ_RECV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cgi.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "http.h"
#include "mp.h"
#include "opauth.h"
#include "q_conf.h"

struct s3;
struct q;

#define Q_RETRY_MS	2000	/* an HTTP client should not wait longer */

enum mode {
	MODE_CGI,
	MODE_INETD,
	MODE_ACCEPT
};

struct conf {
	uint64_t	max_body;		/* bytes of one request body */
	long long	max_files;		/* files per request */
	struct http_limits http;
	struct mp_limits mp;
	struct cgi_limits cgi;
	uint64_t	head_timeout_ms;	/* whole request head */
	uint64_t	idle_timeout_ms;	/* between requests */
	uint64_t	read_timeout_ms;	/* no byte for this long */
	uint64_t	request_timeout_ms;	/* a whole request */
	uint64_t	min_rate;		/* body bytes/s after read_timeout */
	uint64_t	sse_timeout_ms;		/* one event stream */
	uint64_t	sse_ping_ms;		/* keep-alive comments */
	long long	presign_ttl;		/* seconds */
	long long	max_requests;		/* per connection */
	long long	max_conns;		/* accept loop: then exit */
	const char	*www;			/* folder of index.html */
	struct q_conf	 q;			/* REDIS_URL, IMGQ_* */
	const char	*metrics_file;		/* NULL: per process */
	unsigned	 formats;		/* allow-list, IMG_FMT_BIT set */
	const char	*front_user;		/* CGI variable or header (lower
						   case) naming the operator */
	const char	*events_socket;		/* imgq-events' hand-off */
};

/* Counters; in a shared file when conf.metrics_file is set. */
#define MET_STATUSES	26
#define MET_BUCKETS	11
#define MET_RECENT	32
struct metrics {
	uint64_t	magic;
	uint64_t	requests[MET_STATUSES];	/* by status, see met_index */
	uint64_t	bytes_in;
	uint64_t	bytes_stored;
	uint64_t	uploads;		/* files stored and queued */
	uint64_t	upload_ms_sum;
	uint64_t	upload_count;
	uint64_t	upload_bucket[MET_BUCKETS];	/* cumulative le */
	uint64_t	recent_next;
	char		recent[MET_RECENT][32];	/* last job ids */
};

struct srv {
	struct conf	 c;
	enum mode	 mode;
	struct s3	*s3;
	struct q	*q;
	char		*index;		/* index.html */
	size_t		 index_len;
	struct http_parser *hp;
	struct cgi	*cgi;
	struct metrics	*m;
	unsigned char	*small;		/* small-file buffer, kept */
	int		 s3_tried;	/* s3_init ran */
	struct err	 s3_err;	/* why s3 is NULL */
	char		 bucket[256];
	char		 peer[64];	/* of the current connection */
	struct opauth	 op;		/* the operator's token */
};


extern volatile sig_atomic_t recv_stop;

/* A connection (or the CGI request's standard input and output). */
struct conn {
	struct srv	*srv;
	int		 in, out;
	int		 cgi;		/* answer with Status:, no keep-alive */
	size_t		 off, len;	/* unread bytes buf[off..len) */
	int		 eof;
	int		 timedout;
	int		 broken;	/* a read or write failed: close */
	int		 idle;		/* waiting for a request's first byte */
	uint64_t	 deadline;	/* of the current request (ms) */
	/* the request body */
	int		 body;		/* HTTP_BODY_* */
	uint64_t	 left;		/* HTTP_BODY_LENGTH */
	struct http_chunked ch;
	uint64_t	 taken;		/* body bytes handed out */
	uint64_t	 body_start;	/* ms */
	int		 body_done;
	int		 body_status;	/* why body_read failed */
	int		 continue_sent;
	int		 expect100;
	/*
	 * While an upload is open, waiting for input goes through pump
	 * (s3_upload_wait), so its parts keep moving: returns 1 when fd
	 * is readable, 0 on timeout, -1 with the err.
	 */
	int		(*pump)(void *, int, int, struct err *);
	void		*upload;
	int		 pump_failed;
	struct err	 pump_err;
	/* the response */
	int		 head_only;	/* HEAD request */
	int		 keepalive;	/* may serve another request */
	int		 status;	/* sent, for logs and metrics */
	int		 op;		/* OP_*, of the current request */
	char		 note[224];	/* starts the access log line */
	uint64_t	 sent;
	unsigned char	 buf[65536];	/* last: not cleared per request */
};

/* One request, once its head is known. */
struct rq {
	const char	*method;
	char		 path[2048];	/* percent-decoded */
	const char	*query;		/* "" when none */
	const struct http_req *req;
	const char	*prefix;	/* SCRIPT_NAME under CGI, else "" */
	const char	*front_user;	/* the front server's word, or NULL */
	int		 https;		/* the client came over https */
	uint64_t	 start;
};

/* Ends a handler returning void after a call. */
#define DONE(x)	do { x; return; } while (0)

/* conn.c */
void	conn_init(struct conn *, struct srv *, int, int, int);
int	conn_fill(struct conn *, uint64_t);
int	conn_wait_readable(struct conn *, uint64_t);
void	body_init(struct conn *, const struct http_req *);
int	body_read(struct conn *, const void **, size_t *, int *,
	    struct err *);
int	body_discard(struct conn *);
int	conn_write(struct conn *, const void *, size_t);
int	respond(struct conn *, int, const char *, const char *,
	    const void *, size_t);
int	respond_error(struct conn *, int, const char *, const char *);
int	respond_json(struct conn *, int, const char *, const char *);

/* route.c */
void	route(struct conn *, struct rq *);

/* handoff.c */
int	handoff(struct conn *, struct rq *);
void	events_metrics(struct conn *, struct rq *, struct buf *);

/* upload.c */
void	handle_upload(struct conn *, struct rq *);

/* ---- status.c: the no-JavaScript status page of uploaded jobs ---- */
void	handle_status(struct conn *, struct rq *);

/* auth.c */
void	auth_init(struct srv *, const char *);
int	auth_operator(const struct srv *, const struct rq *);
int	need_operator(struct conn *, const struct rq *, int);
void	handle_signin(struct conn *, struct rq *);
void	handle_signout(struct conn *, struct rq *);

/* backend.c */
int	backend_init(struct srv *, int, struct err *);
void	backend_free(struct srv *);
struct q *need_q(struct srv *, struct err *);
struct s3 *need_s3(struct srv *, struct err *);
void	respond_backend(struct conn *, const struct err *, const char *);

/* jobs.c */
void	handle_job(struct conn *, struct rq *, const char *,
	    const char *);
void	handle_stats(struct conn *, struct rq *);
void	handle_requeue(struct conn *, struct rq *, const char *);
void	handle_healthz(struct conn *, struct rq *);

/* metrics.c */
int	met_open(struct srv *, struct err *);
void	met_request(struct srv *, int, uint64_t);
void	met_upload(struct srv *, const char *, uint64_t, uint64_t);
void	handle_metrics(struct conn *, struct rq *);
size_t	met_recent(struct srv *, char (*)[32], size_t);

#endif
