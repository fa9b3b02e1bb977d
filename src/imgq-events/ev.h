/*
 * ev.h: what the files of imgq-events share.
 *
 * main.c: settings, set-up, exit codes.  loop.c: the epoll loop, accepts
 * and hand-offs, reads, writes with a bounded buffer, timeouts, request
 * heads and routes.  feed.c: the one Redis subscription, who follows
 * which job, catch-ups and fan-out.  sse.c: Server-Sent Events.  wsconn.c:
 * WebSocket connections.  metrics.c: counters and /metrics.
 *
 * One process, one thread: every socket is non-blocking and nothing
 * waits but epoll_wait.  The exception is the queue's record reads
 * (catch-ups), which are short round trips to Redis bounded by
 * IMGQ_REDIS_RETRY (see imgq-events(8)).
 */
#ifndef IMGQ_EV_H
#define IMGQ_EV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "job.h"
#include "opauth.h"
#include "q_conf.h"
#include "ws.h"

struct q;
struct q_sub;

struct evconf {
	long long	 max_conns;
	uint64_t	 wbuf_max;		/* pending output, bytes */
	uint64_t	 head_timeout_ms;	/* request head, WS handshake */
	uint64_t	 idle_timeout_ms;	/* WS: nothing from the client */
	uint64_t	 sse_timeout_ms;	/* one event stream */
	uint64_t	 ping_ms;		/* SSE comment, WS ping */
	uint64_t	 frame_max;		/* WS frame payload */
	uint64_t	 msg_max;		/* WS message */
	long long	 follow_max;		/* jobs per WS connection */
	const char	*origins;		/* WS Origins allowed, or NULL */
	const char	*front_user;		/* header naming the operator */
	const char	*socket;		/* hand-off socket path */
	struct http_limits http;
	struct q_conf	 q;
};

enum { C_HEAD, C_SSE, C_FEED, C_WS };
enum { T_SSE, T_WS, T_N };		/* transports, for metrics */

struct follow;

struct cl {
	int		 fd;
	int		 kind;			/* C_* */
	int		 op;			/* OP_*: the operator's */
	int		 feed;			/* gets every event */
	int		 closing;		/* close once out is sent */
	int		 counted;		/* in met.conns[] */
	int		 started;		/* the stream's head is sent */
	struct http_parser *hp;			/* while C_HEAD */
	struct buf	 in;			/* unread input */
	struct buf	 out;			/* unsent output */
	size_t		 outoff;		/* of out, sent */
	uint64_t	 deadline;		/* ms: close when reached */
	uint64_t	 next_ping;		/* ms */
	struct ws_rx	 rx;
	struct follow	*jobs;			/* followed jobs */
	size_t		 njobs;
	struct cl	*prev, *next;		/* every connection */
};

/* A connection following a job (feed.c). */
struct follow {
	char		 id[JOB_ID_LEN + 1];
	char		 last[64];		/* event id last sent */
	struct cl	*c;
	struct follow	*hnext;			/* same hash bucket */
	struct follow	*cnext;			/* same connection */
};

struct metrics {
	uint64_t	 conns[T_N];		/* open now */
	uint64_t	 accepted;
	uint64_t	 handoffs;
	uint64_t	 refused;		/* at the cap */
	uint64_t	 events_in;		/* from Redis */
	uint64_t	 sent[T_N];		/* events delivered */
	uint64_t	 slow;			/* dropped: write buffer full */
	uint64_t	 timeouts;
	uint64_t	 resubscribed;
	uint64_t	 ws_bad;		/* closed for a protocol error */
};

struct srv {
	struct evconf	 c;
	struct opauth	 auth;
	struct q	*q;
	struct q_sub	*sub;
	int		 subfd;			/* in epoll, or -1 */
	uint64_t	 sub_retry;		/* ms: next subscribe attempt */
	int		 ep;
	int		 lfd, hfd;		/* listening; hand-off, or -1 */
	struct cl	*all;
	long long	 nconns;
	long long	 nfeed;			/* connections with feed set */
	struct metrics	 m;
};

extern volatile sig_atomic_t ev_stop;

/* Ends a handler returning void after a call. */
#define DONE(x)	do { x; return; } while (0)

/* loop.c */
int	ev_run(struct srv *);
void	ev_shutdown(struct srv *);
int	fcntl_nonblock(int);
int	cl_send(struct srv *, struct cl *, const void *, size_t);
void	cl_finish(struct srv *, struct cl *);
void	cl_close(struct srv *, struct cl *);
int	respond(struct srv *, struct cl *, int, const char *, const char *,
	    const char *);

/* feed.c */
int	feed_init(struct srv *, struct err *);
void	feed_readable(struct srv *);
void	feed_tick(struct srv *, uint64_t);
int	follow(struct srv *, struct cl *, const char *, const char *);
void	unfollow(struct srv *, struct cl *, const char *);
void	unfollow_all(struct srv *, struct cl *);
int	feed_up(const struct srv *);

/* sse.c */
void	sse_start(struct srv *, struct cl *, const struct http_req *,
	    const char *);
void	sse_feed(struct srv *, struct cl *, const struct http_req *);
int	need_operator(struct srv *, struct cl *);
int	sse_event(struct srv *, struct cl *, const char *, const char *,
	    const char *);

/* wsconn.c */
void	ws_start(struct srv *, struct cl *, const struct http_req *,
	    const char *);
void	ws_input(struct srv *, struct cl *);
int	ws_event(struct srv *, struct cl *, const char *, const char *,
	    const char *, const char *);
void	ws_ping(struct srv *, struct cl *);

/* metrics.c */
void	handle_metrics(struct srv *, struct cl *);

#endif
