/*
 * s3_retry.h: what to do after an attempt of an S3 request: done, retry
 * at once (after learning the server's clock or the bucket's region),
 * retry after a backoff, or give up with an exit code of imgq(7).
 *
 * A pure function of what the attempt ended with and the policy, so that
 * every class of failure is tested on its own (tests/unit/test_s3_retry.c)
 * without a network; the engine (s3_xfer.c) applies the decision.
 */
#ifndef IMGQ_S3_RETRY_H
#define IMGQ_S3_RETRY_H

#include <stdint.h>

/* How an attempt ended, as far as the decision needs it. */
struct s3_attempt {
	int		 curl;		/* CURLcode; 0 when an answer came */
	long		 status;	/* HTTP status of the answer */
	const char	*code;		/* S3 error code of the body, "" */
	int		 sink_exit;	/* the caller's sink failed: its code */
	int		 too_large;	/* the answer passed its size limit */
	int		 error_in_200;	/* a 2xx may carry an <Error> */
	int		 resumed;	/* part of the body was delivered */
	int		 key;		/* the request names a key */
	int		 clock_fixable;	/* server Date known, not yet used */
	int		 region_fixable; /* another region named, not tried */
	int		 body_empty;	/* the answer had no body */
	int		 attempt;	/* this one, from 1 */
	uint64_t	 elapsed_ms;	/* since the request's first attempt */
	long		 retry_after_s;	/* Retry-After, 0 without */
};

struct s3_retry_policy {
	int		 attempts;	/* per request, the first included */
	long		 base_ms, cap_ms;	/* full-jitter backoff */
	long		 budget_ms;	/* total time of one request */
	/* A uniform random number in 0 to bound, both included. */
	uint64_t	(*jitter)(void *, uint64_t bound);
	void		*jitter_arg;
};

enum s3_next {
	S3_NEXT_DONE,		/* success */
	S3_NEXT_NOW,		/* retry at once, after the fix */
	S3_NEXT_LATER,		/* retry after delay_ms */
	S3_NEXT_FAIL		/* give up with exit */
};

enum s3_fix { S3_FIX_NONE, S3_FIX_CLOCK, S3_FIX_REGION };

enum s3_gave_up {
	S3_FINAL,		/* the failure is not one to retry */
	S3_SPENT_ATTEMPTS,	/* a transient failure, no attempt left */
	S3_SPENT_TIME		/* a transient failure, the budget spent */
};

struct s3_decision {
	enum s3_next	 next;
	enum s3_fix	 fix;		/* with S3_NEXT_NOW */
	uint64_t	 delay_ms;	/* with S3_NEXT_LATER */
	int		 exit;		/* with S3_NEXT_FAIL */
	enum s3_gave_up	 gave_up;	/* with S3_NEXT_FAIL */
	const char	*why;		/* a plainer reason, or NULL */
};

void	s3_retry_decide(const struct s3_retry_policy *,
	    const struct s3_attempt *, struct s3_decision *);

#endif
