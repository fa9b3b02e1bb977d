/*
 * s3_retry.c: the retry decision of the S3 client (see s3_retry.h).
 *
 * Transient, as AWS documents it: no connection or a broken one, a
 * timeout, 429, 500, 502, 503, 504, and the error codes that say "slow
 * down" or "try again" whatever the status.  Everything else is final and
 * mapped to the exit code that tells the caller what to do about it.
 */
#include <string.h>

#include <curl/curl.h>

#include "exitcode.h"
#include "s3_retry.h"

static int
code_in(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

/* Exit code of a curl failure that no retry can mend; 0 for transient. */
static int
curl_final(int cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return EX_CONFIG;
	case CURLE_OUT_OF_MEMORY:
		return EX_OSERR;
	default:
		return 0;
	}
}

static int
transient(const struct s3_attempt *a)
{
	static const char *const codes[] = { "SlowDown", "InternalError",
	    "RequestTimeout", "ServiceUnavailable", "Throttling",
	    "ThrottlingException", "RequestLimitExceeded", NULL };
	long st = a->status;

	return st == 429 || st == 500 || st == 502 || st == 503 ||
	    st == 504 || code_in(a->code, codes);
}

/* An answer that names the server's clock or the bucket's region. */
static enum s3_fix
fixable(const struct s3_attempt *a)
{
	long st = a->status;

	if (a->clock_fixable && (strcmp(a->code, "RequestTimeTooSkewed") ==
	    0 || strcmp(a->code, "RequestExpired") == 0))
		return S3_FIX_CLOCK;
	if (a->region_fixable && (st == 301 || st == 307 || (st == 400 &&
	    strcmp(a->code, "AuthorizationHeaderMalformed") == 0) ||
	    (st == 403 && a->body_empty)))
		return S3_FIX_REGION;
	return S3_FIX_NONE;
}

/* The exit code of a final refusal, and a plainer reason where needed. */
static void
final(const struct s3_attempt *a, struct s3_decision *d)
{
	switch (a->status) {
	case 404:
		d->exit = EX_NOINPUT;
		if (a->code[0] == '\0')
			d->why = a->key ? "404 no such key" :
			    "404 no such bucket";
		break;
	case 401:
	case 403:
		d->exit = EX_NOPERM;
		break;
	case 412:
		/* A resumed GET whose object changed under it. */
		d->exit = a->resumed ? EX_TEMPFAIL : EX_NEGATIVE;
		if (a->resumed)
			d->why = "412: the object changed during the transfer";
		break;
	case 301:
	case 307:
	case 501:
		d->exit = EX_CONFIG;
		break;
	default:
		d->exit = a->status >= 500 ? EX_TEMPFAIL : EX_DATAERR;
		break;
	}
	d->next = S3_NEXT_FAIL;
}

/*
 * Full-jitter exponential backoff within the attempts and the budget.  A
 * refused connection counts against the budget alone: a service that
 * restarts refuses every attempt for a few seconds, and the attempts
 * would be spent in the first second of the backoff.
 */
static void
later(const struct s3_retry_policy *p, const struct s3_attempt *a,
    struct s3_decision *d)
{
	uint64_t cap, delay;
	int shift;

	d->next = S3_NEXT_FAIL;
	d->exit = EX_TEMPFAIL;
	if (a->attempt >= p->attempts && a->curl != CURLE_COULDNT_CONNECT) {
		d->gave_up = S3_SPENT_ATTEMPTS;
		return;
	}
	shift = a->attempt - 1 > 30 ? 30 : a->attempt - 1;
	cap = (uint64_t)p->base_ms << shift;
	if (cap > (uint64_t)p->cap_ms)
		cap = (uint64_t)p->cap_ms;
	delay = p->jitter(p->jitter_arg, cap);
	if ((uint64_t)a->retry_after_s * 1000 > delay)
		delay = (uint64_t)a->retry_after_s * 1000;
	if (a->elapsed_ms + delay > (uint64_t)p->budget_ms) {
		d->gave_up = S3_SPENT_TIME;
		return;
	}
	d->next = S3_NEXT_LATER;
	d->exit = 0;
	d->delay_ms = delay;
}

void
s3_retry_decide(const struct s3_retry_policy *p, const struct s3_attempt *a,
    struct s3_decision *d)
{
	long st = a->status;

	memset(d, 0, sizeof(*d));
	if (a->sink_exit != 0) {
		/*
		 * The caller's write failed (a full disk, a closed pipe):
		 * fetching the object again would fail the same way.
		 */
		d->next = S3_NEXT_FAIL;
		d->exit = a->sink_exit;
	} else if (a->too_large) {
		d->next = S3_NEXT_FAIL;
		d->exit = EX_PROTOCOL;
	} else if (a->curl != 0) {
		if ((d->exit = curl_final(a->curl)) != 0)
			d->next = S3_NEXT_FAIL;
		else
			later(p, a, d);
	} else if (st >= 200 && st < 300 && a->error_in_200 &&
	    a->code[0] != '\0')
		later(p, a, d);
	else if ((st >= 200 && st < 300) || st == 304)
		d->next = S3_NEXT_DONE;
	else if ((d->fix = fixable(a)) != S3_FIX_NONE)
		d->next = S3_NEXT_NOW;
	else if (transient(a))
		later(p, a, d);
	else
		final(a, d);
}
