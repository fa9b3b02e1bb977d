/*
 * test_s3_retry.c: the S3 client's retry decision (s3_retry.h), one row
 * per class of outcome: what curl said, the status, the S3 error code,
 * the attempt, the time spent, Retry-After.
 *
 * The jitter is injected: it returns its bound, so that the expected
 * delay is the backoff's ceiling for the attempt (base 100 ms doubling,
 * capped at 2000 ms), and the budget is 10 s over 10 attempts.
 */
#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>

#include "exitcode.h"
#include "s3_retry.h"
#include "tap.h"

/* Flags of a row. */
#define SINK75	0x01	/* the sink failed with EX_TEMPFAIL */
#define SINK71	0x02	/* the sink failed with EX_OSERR */
#define BIG	0x04	/* the answer passed its limit */
#define IN200	0x08	/* a 2xx that may carry an <Error> */
#define RESUMED	0x10	/* part of the body was delivered */
#define KEY	0x20	/* the request names a key */
#define CLOCK	0x40	/* the server's Date is known */
#define REGION	0x80	/* another region was named */
#define EMPTY	0x100	/* the answer had no body */

#define D	S3_NEXT_DONE
#define NOW	S3_NEXT_NOW
#define LATER	S3_NEXT_LATER
#define FAIL	S3_NEXT_FAIL

struct row {
	const char	*name;
	int		 curl;
	long		 status;
	const char	*code;
	int		 flags;
	int		 attempt;
	uint64_t	 elapsed_ms;
	long		 retry_after_s;
	enum s3_next	 next;
	int		 exit;
	uint64_t	 delay_ms;
	int		 fix;		/* enum s3_fix */
	int		 gave_up;	/* enum s3_gave_up */
	const char	*why;
};

static const struct row rows[] = {
	/* Connections and timeouts: transient. */
	{ "connection refused", CURLE_COULDNT_CONNECT, 0, "", 0, 1, 0, 0,
	    LATER, 0, 100, 0, 0, NULL },
	{ "connection refused past the attempts: the budget alone counts",
	    CURLE_COULDNT_CONNECT, 0, "", 0, 25, 5000, 0, LATER, 0, 2000, 0,
	    0, NULL },
	{ "connection refused past the budget", CURLE_COULDNT_CONNECT, 0, "",
	    0, 25, 8001, 0, FAIL, EX_TEMPFAIL, 0, 0, S3_SPENT_TIME, NULL },
	{ "connection reset past the attempts", CURLE_RECV_ERROR, 0, "", 0,
	    10, 0, 0, FAIL, EX_TEMPFAIL, 0, 0, S3_SPENT_ATTEMPTS, NULL },
	{ "connection reset (receive)", CURLE_RECV_ERROR, 0, "", 0, 2, 0, 0,
	    LATER, 0, 200, 0, 0, NULL },
	{ "connection reset (send)", CURLE_SEND_ERROR, 0, "", 0, 1, 0, 0,
	    LATER, 0, 100, 0, 0, NULL },
	{ "timeout (stall or connect)", CURLE_OPERATION_TIMEDOUT, 0, "", 0,
	    3, 0, 0, LATER, 0, 400, 0, 0, NULL },
	{ "host not resolved", CURLE_COULDNT_RESOLVE_HOST, 0, "", 0, 1, 0, 0,
	    LATER, 0, 100, 0, 0, NULL },
	{ "body cut short", CURLE_PARTIAL_FILE, 200, "", KEY, 1, 0, 0,
	    LATER, 0, 100, 0, 0, NULL },
	/* TLS and URL problems: configuration, not retried. */
	{ "certificate not trusted", CURLE_PEER_FAILED_VERIFICATION, 0, "",
	    0, 1, 0, 0, FAIL, EX_CONFIG, 0, 0, S3_FINAL, NULL },
	{ "CA file unreadable", CURLE_SSL_CACERT_BADFILE, 0, "", 0, 1, 0, 0,
	    FAIL, EX_CONFIG, 0, 0, S3_FINAL, NULL },
	{ "client certificate problem", CURLE_SSL_CERTPROBLEM, 0, "", 0, 1, 0,
	    0, FAIL, EX_CONFIG, 0, 0, S3_FINAL, NULL },
	{ "unsupported scheme", CURLE_UNSUPPORTED_PROTOCOL, 0, "", 0, 1, 0, 0,
	    FAIL, EX_CONFIG, 0, 0, S3_FINAL, NULL },
	{ "malformed URL", CURLE_URL_MALFORMAT, 0, "", 0, 1, 0, 0, FAIL,
	    EX_CONFIG, 0, 0, S3_FINAL, NULL },
	{ "curl out of memory", CURLE_OUT_OF_MEMORY, 0, "", 0, 1, 0, 0, FAIL,
	    EX_OSERR, 0, 0, S3_FINAL, NULL },
	/* Success. */
	{ "200", 0, 200, "", KEY, 1, 0, 0, D, 0, 0, 0, 0, NULL },
	{ "204", 0, 204, "", KEY, 1, 0, 0, D, 0, 0, 0, 0, NULL },
	{ "206", 0, 206, "", KEY, 1, 0, 0, D, 0, 0, 0, 0, NULL },
	{ "304 not modified", 0, 304, "", KEY, 1, 0, 0, D, 0, 0, 0, 0, NULL },
	{ "200 with an <Error> where one may come", 0, 200, "InternalError",
	    KEY | IN200, 1, 0, 0, LATER, 0, 100, 0, 0, NULL },
	{ "200 without an <Error> where one may come", 0, 200, "",
	    KEY | IN200, 1, 0, 0, D, 0, 0, 0, 0, NULL },
	/* Server errors and throttling: transient. */
	{ "500", 0, 500, "", KEY, 1, 0, 0, LATER, 0, 100, 0, 0, NULL },
	{ "502", 0, 502, "", KEY, 1, 0, 0, LATER, 0, 100, 0, 0, NULL },
	{ "503", 0, 503, "", KEY, 1, 0, 0, LATER, 0, 100, 0, 0, NULL },
	{ "504", 0, 504, "", KEY, 1, 0, 0, LATER, 0, 100, 0, 0, NULL },
	{ "429", 0, 429, "", KEY, 1, 0, 0, LATER, 0, 100, 0, 0, NULL },
	{ "503 SlowDown, attempt 4", 0, 503, "SlowDown", KEY, 4, 0, 0, LATER,
	    0, 800, 0, 0, NULL },
	{ "500 InternalError", 0, 500, "InternalError", KEY, 1, 0, 0, LATER,
	    0, 100, 0, 0, NULL },
	{ "400 RequestTimeout", 0, 400, "RequestTimeout", KEY, 1, 0, 0, LATER,
	    0, 100, 0, 0, NULL },
	{ "400 Throttling", 0, 400, "Throttling", KEY, 1, 0, 0, LATER, 0, 100,
	    0, 0, NULL },
	{ "505: a 5xx not known as transient", 0, 505, "", KEY, 1, 0, 0, FAIL,
	    EX_TEMPFAIL, 0, 0, S3_FINAL, NULL },
	/* Credentials refused. */
	{ "403 SignatureDoesNotMatch", 0, 403, "SignatureDoesNotMatch", KEY,
	    1, 0, 0, FAIL, EX_NOPERM, 0, 0, S3_FINAL, NULL },
	{ "403 AccessDenied", 0, 403, "AccessDenied", KEY, 1, 0, 0, FAIL,
	    EX_NOPERM, 0, 0, S3_FINAL, NULL },
	{ "403 InvalidAccessKeyId", 0, 403, "InvalidAccessKeyId", KEY, 1, 0,
	    0, FAIL, EX_NOPERM, 0, 0, S3_FINAL, NULL },
	{ "401", 0, 401, "", KEY, 1, 0, 0, FAIL, EX_NOPERM, 0, 0, S3_FINAL,
	    NULL },
	/* Absent. */
	{ "404 NoSuchKey", 0, 404, "NoSuchKey", KEY, 1, 0, 0, FAIL,
	    EX_NOINPUT, 0, 0, S3_FINAL, NULL },
	{ "404 NoSuchBucket", 0, 404, "NoSuchBucket", 0, 1, 0, 0, FAIL,
	    EX_NOINPUT, 0, 0, S3_FINAL, NULL },
	{ "404 without a body, a key", 0, 404, "", KEY | EMPTY, 1, 0, 0,
	    FAIL, EX_NOINPUT, 0, 0, S3_FINAL, "404 no such key" },
	{ "404 without a body, the bucket", 0, 404, "", EMPTY, 1, 0, 0, FAIL,
	    EX_NOINPUT, 0, 0, S3_FINAL, "404 no such bucket" },
	/* Refused as bad. */
	{ "400 InvalidArgument", 0, 400, "InvalidArgument", KEY, 1, 0, 0,
	    FAIL, EX_DATAERR, 0, 0, S3_FINAL, NULL },
	{ "400 BadDigest", 0, 400, "BadDigest", KEY, 1, 0, 0, FAIL,
	    EX_DATAERR, 0, 0, S3_FINAL, NULL },
	{ "409 BucketNotEmpty", 0, 409, "BucketNotEmpty", 0, 1, 0, 0, FAIL,
	    EX_DATAERR, 0, 0, S3_FINAL, NULL },
	{ "416 InvalidRange", 0, 416, "InvalidRange", KEY, 1, 0, 0, FAIL,
	    EX_DATAERR, 0, 0, S3_FINAL, NULL },
	{ "412 of a condition: the documented no", 0, 412,
	    "PreconditionFailed", KEY, 1, 0, 0, FAIL, EX_NEGATIVE, 0, 0,
	    S3_FINAL, NULL },
	{ "412 of a resumed GET: the object changed", 0, 412,
	    "PreconditionFailed", KEY | RESUMED, 2, 0, 0, FAIL, EX_TEMPFAIL,
	    0, 0, S3_FINAL, "412: the object changed during the transfer" },
	{ "301 without a region to learn", 0, 301, "PermanentRedirect", 0, 1,
	    0, 0, FAIL, EX_CONFIG, 0, 0, S3_FINAL, NULL },
	{ "307", 0, 307, "", 0, 1, 0, 0, FAIL, EX_CONFIG, 0, 0, S3_FINAL,
	    NULL },
	{ "501 NotImplemented", 0, 501, "NotImplemented", KEY, 1, 0, 0, FAIL,
	    EX_CONFIG, 0, 0, S3_FINAL, NULL },
	/* The clock and the region, learned once each. */
	{ "403 RequestTimeTooSkewed, Date known", 0, 403,
	    "RequestTimeTooSkewed", KEY | CLOCK, 1, 0, 0, NOW, 0, 0,
	    S3_FIX_CLOCK, 0, NULL },
	{ "403 RequestExpired, Date known", 0, 403, "RequestExpired",
	    KEY | CLOCK, 1, 0, 0, NOW, 0, 0, S3_FIX_CLOCK, 0, NULL },
	{ "403 RequestTimeTooSkewed, already corrected", 0, 403,
	    "RequestTimeTooSkewed", KEY, 2, 0, 0, FAIL, EX_NOPERM, 0, 0,
	    S3_FINAL, NULL },
	{ "301 naming another region", 0, 301, "PermanentRedirect",
	    REGION, 1, 0, 0, NOW, 0, 0, S3_FIX_REGION, 0, NULL },
	{ "307 naming another region", 0, 307, "", REGION | EMPTY, 1, 0, 0,
	    NOW, 0, 0, S3_FIX_REGION, 0, NULL },
	{ "400 AuthorizationHeaderMalformed naming another region", 0, 400,
	    "AuthorizationHeaderMalformed", KEY | REGION, 1, 0, 0, NOW, 0, 0,
	    S3_FIX_REGION, 0, NULL },
	{ "400 AuthorizationHeaderMalformed, region already tried", 0, 400,
	    "AuthorizationHeaderMalformed", KEY, 2, 0, 0, FAIL, EX_DATAERR,
	    0, 0, S3_FINAL, NULL },
	{ "403 of a HEAD (no body) naming another region", 0, 403, "",
	    REGION | EMPTY, 1, 0, 0, NOW, 0, 0, S3_FIX_REGION, 0, NULL },
	{ "403 with a body is not about the region", 0, 403, "AccessDenied",
	    REGION, 1, 0, 0, FAIL, EX_NOPERM, 0, 0, S3_FINAL, NULL },
	/* The backoff, its cap, the attempt limit and the time budget. */
	{ "backoff capped at 2000 ms", 0, 503, "", KEY, 9, 0, 0, LATER, 0,
	    2000, 0, 0, NULL },
	{ "503 at the attempt limit", 0, 503, "SlowDown", KEY, 10, 0, 0, FAIL,
	    EX_TEMPFAIL, 0, 0, S3_SPENT_ATTEMPTS, NULL },
	{ "reset at the attempt limit", CURLE_RECV_ERROR, 0, "", KEY, 10, 0,
	    0, FAIL, EX_TEMPFAIL, 0, 0, S3_SPENT_ATTEMPTS, NULL },
	{ "a 4xx at the attempt limit is still final", 0, 403,
	    "AccessDenied", KEY, 10, 0, 0, FAIL, EX_NOPERM, 0, 0, S3_FINAL,
	    NULL },
	{ "budget exhausted by the next delay", 0, 503, "", KEY, 1, 9901, 0,
	    FAIL, EX_TEMPFAIL, 0, 0, S3_SPENT_TIME, NULL },
	{ "budget just enough", 0, 503, "", KEY, 1, 9900, 0, LATER, 0, 100, 0,
	    0, NULL },
	{ "Retry-After longer than the backoff", 0, 503, "SlowDown", KEY, 1,
	    0, 3, LATER, 0, 3000, 0, 0, NULL },
	{ "Retry-After shorter than the backoff", 0, 503, "", KEY, 6, 0, 1,
	    LATER, 0, 2000, 0, 0, NULL },
	{ "Retry-After beyond the budget", 0, 429, "", KEY, 1, 0, 30, FAIL,
	    EX_TEMPFAIL, 0, 0, S3_SPENT_TIME, NULL },
	/* The caller's sink and the answer's size. */
	{ "sink: a local write failure is not retried as a network one",
	    CURLE_WRITE_ERROR, 200, "", KEY | SINK75, 1, 0, 0, FAIL,
	    EX_TEMPFAIL, 0, 0, S3_FINAL, NULL },
	{ "sink: write error (final)", CURLE_WRITE_ERROR, 200, "",
	    KEY | SINK71, 1, 0, 0, FAIL, EX_OSERR, 0, 0, S3_FINAL, NULL },
	{ "answer larger than its limit", CURLE_WRITE_ERROR, 200, "",
	    KEY | BIG, 1, 0, 0, FAIL, EX_PROTOCOL, 0, 0, S3_FINAL, NULL },
};

static uint64_t
full(void *arg, uint64_t bound)
{
	(void)arg;
	return bound;
}

static uint64_t
none(void *arg, uint64_t bound)
{
	uint64_t *seen = arg;

	*seen = bound;
	return 0;
}

static void
attempt_of(const struct row *r, struct s3_attempt *a)
{
	*a = (struct s3_attempt){ 0 };
	a->curl = r->curl;
	a->status = r->status;
	a->code = r->code;
	a->sink_exit = r->flags & SINK75 ? EX_TEMPFAIL :
	    r->flags & SINK71 ? EX_OSERR : 0;
	a->too_large = (r->flags & BIG) != 0;
	a->error_in_200 = (r->flags & IN200) != 0;
	a->resumed = (r->flags & RESUMED) != 0;
	a->key = (r->flags & KEY) != 0;
	a->clock_fixable = (r->flags & CLOCK) != 0;
	a->region_fixable = (r->flags & REGION) != 0;
	a->body_empty = (r->flags & EMPTY) != 0;
	a->attempt = r->attempt;
	a->elapsed_ms = r->elapsed_ms;
	a->retry_after_s = r->retry_after_s;
}

static void
table(void)
{
	struct s3_retry_policy p = { 10, 100, 2000, 10000, full, NULL };
	struct s3_attempt a;
	struct s3_decision d;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		attempt_of(r, &a);
		s3_retry_decide(&p, &a, &d);
		is_int(d.next, r->next, "%s: next", r->name);
		is_int(d.exit, r->exit, "%s: exit code", r->name);
		is_int(d.delay_ms, r->delay_ms, "%s: delay", r->name);
		is_int(d.fix, r->fix, "%s: fix", r->name);
		is_int(d.gave_up, r->gave_up, "%s: gave up", r->name);
		if (r->why != NULL)
			is_str(d.why, r->why, "%s: reason", r->name);
		else
			ok(d.why == NULL, "%s: the answer's own reason",
			    r->name);
	}
}

/* Full jitter: the delay may be 0, and the bound is the backoff's. */
static void
jitter(void)
{
	uint64_t seen = 0;
	struct s3_retry_policy p = { 10, 100, 2000, 10000, none, &seen };
	struct s3_attempt a = { .curl = CURLE_RECV_ERROR, .code = "",
	    .attempt = 3 };
	struct s3_decision d;

	s3_retry_decide(&p, &a, &d);
	is_int(d.next, S3_NEXT_LATER, "jitter 0: retried");
	is_int(d.delay_ms, 0, "jitter 0: at once");
	is_int(seen, 400, "jitter drawn within the backoff of attempt 3");
	a.retry_after_s = 2;
	s3_retry_decide(&p, &a, &d);
	is_int(d.delay_ms, 2000, "jitter 0 with Retry-After: the server's");
	p.attempts = 100;
	p.budget_ms = 86400000;
	a.attempt = 60;
	a.retry_after_s = 0;
	s3_retry_decide(&p, &a, &d);
	is_int(seen, 2000, "a late attempt's backoff stays capped");
}

int
main(void)
{
	table();
	jitter();
	return tap_done();
}
