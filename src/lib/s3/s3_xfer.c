/*
 * s3_xfer.c: the transfers of a client, driven together on its curl
 * multi handle: started, moved along, and each finished attempt settled
 * by the retry decision (s3_retry.h): done, a final error, a retry after
 * a backoff, or an immediate retry after learning the server's clock or
 * the bucket's region.
 *
 * An attempt's easy handle is reset and kept as the client's spare when
 * it ends, for the next attempt to take, so that a client sending one
 * request after another (imgq-recv's accept loop, s3put of many files)
 * does not make and free one per request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exitcode.h"
#include "log.h"
#include "s3_int.h"
#include "s3_retry.h"
#include "s3_xml.h"
#include "sys.h"

void
s3_xfer_init(struct s3_xfer *x, struct s3 *s, const char *method,
    const char *key)
{
	memset(x, 0, sizeof(*x));
	x->s3 = s;
	x->method = method;
	x->key = key;
	x->resp_max = S3_ERRBODY_MAX;
	x->clen = -1;
}

void
s3_xfer_clean(struct s3_xfer *x)
{
	s3_xfer_cancel(x);
	buf_free(&x->resp);
	buf_free(&x->meta);
	buf_free(&x->url);
	buf_free(&x->sts);
	buf_free(&x->authz);
}

static void
unlink_xfer(struct s3_xfer *x)
{
	struct s3_xfer **pp;

	for (pp = &x->s3->active; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	x->next = NULL;
}

/*
 * Ends the attempt's use of its easy handle: reset (no option, callback
 * or pointer into x stays) and kept as the spare, or freed when there is
 * one already.
 */
static void
drop_easy(struct s3_xfer *x)
{
	struct s3 *s = x->s3;

	if (x->easy != NULL) {
		curl_multi_remove_handle(s->multi, x->easy);
		if (s->spare == NULL) {
			curl_easy_reset(x->easy);
			s->spare = x->easy;
		} else
			curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->sl);
	x->sl = NULL;
}

void
s3_xfer_cancel(struct s3_xfer *x)
{
	drop_easy(x);
	if (x->state == XS_RUNNING || x->state == XS_WAITING)
		unlink_xfer(x);
	if (x->state != XS_DONE)
		x->state = XS_IDLE;
}

static void
done(struct s3_xfer *x, int rc)
{
	drop_easy(x);
	unlink_xfer(x);
	x->rc = rc;
	x->state = XS_DONE;
}

static void
fail(struct s3_xfer *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct s3_xfer *x, int code, const char *fmt, ...)
{
	char msg[ERR_MSGLEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(&x->err, code, "%s", msg);
	done(x, -1);
}

/* What the request was, for messages: "PUT s3://bucket/key". */
static const char *
what(const struct s3_xfer *x, char *buf, size_t size)
{
	char k[300];
	size_t i;
	int n;

	n = snprintf(buf, size, "%s s3://%s/%s", x->method, x->s3->c.bucket,
	    x->key ? s3_key_esc(x->key, k, sizeof(k)) : "");
	for (i = 0; i < x->nparams && n >= 0 && (size_t)n < size; i++)
		if (strcmp(x->params[i].name, "partNumber") == 0)
			(void)snprintf(buf + n, size - (size_t)n, " part %s",
			    x->params[i].value);
	return buf;
}

/* The attempt waits for its next try: at once, or after a backoff. */
static void
again(struct s3_xfer *x, const struct s3_decision *d, uint64_t now,
    const char *why)
{
	char w[400];

	drop_easy(x);
	if (d->next == S3_NEXT_NOW)
		s3_trace(x->s3, 1, "%s: retrying at once: %s",
		    what(x, w, sizeof(w)), why);
	else
		s3_trace(x->s3, 1, "%s: %s; retry %d in %llu ms",
		    what(x, w, sizeof(w)), why, x->attempt,
		    (unsigned long long)d->delay_ms);
	x->next_at = now + d->delay_ms;
	x->state = XS_WAITING;
}

/* Learns what the answer said of the server's clock or our region. */
static void
learn(struct s3_xfer *x, enum s3_fix fix, time_t server, const char *reg)
{
	struct s3 *s = x->s3;

	if (fix == S3_FIX_CLOCK) {
		s->skew_s = (long long)(server - time(NULL));
		if (s->skew_s > -2 && s->skew_s < 2)
			s->skew_s = 0;
		x->skew_done = 1;
		s3_trace(s, 1, "clock offset from the server: %lld s",
		    s->skew_s);
	} else if (fix == S3_FIX_REGION) {
		s3_trace(s, 1, "bucket %s is in region %s, not %s",
		    s->c.bucket, reg, s->region);
		memcpy(s->region, reg, strlen(reg) + 1);
		x->region_done = 1;
	}
}

/* The reason of a failed attempt, for messages. */
static void
reason(const struct s3_xfer *x, CURLcode cc, long status,
    const struct s3_xml_error *xe, char *why, size_t size)
{
	if (x->sink_failed)
		(void)snprintf(why, size, "%s", x->sink_err.msg);
	else if (cc != CURLE_OK)
		(void)snprintf(why, size, "%s", x->curlerr[0] ? x->curlerr :
		    curl_easy_strerror(cc));
	else if (status >= 200 && status < 300 && x->error_in_200 &&
	    xe->code[0] != '\0')
		(void)snprintf(why, size, "%ld %s: %s", status, xe->code,
		    xe->message);
	else
		(void)snprintf(why, size, "%ld %s%s%s", status, xe->code,
		    xe->message[0] ? ": " : "", xe->message);
}

/* A final failure: the error and its message. */
static void
give_up(struct s3_xfer *x, const struct s3_decision *d,
    const struct s3_xml_error *xe, const char *why, uint64_t elapsed)
{
	char w[400], sts[1100];

	what(x, w, sizeof(w));
	if (d->gave_up == S3_SPENT_ATTEMPTS)
		fail(x, d->exit, "%s: %s (gave up after %d attempts)", w, why,
		    x->attempt);
	else if (d->gave_up == S3_SPENT_TIME)
		fail(x, d->exit, "%s: %s (gave up after %d attempts in %llu "
		    "ms)", w, why, x->attempt, (unsigned long long)elapsed);
	else if (x->sink_failed) {
		x->err = x->sink_err;
		done(x, -1);
	} else if (x->resp_over)
		fail(x, d->exit, "%s: answer larger than %zu bytes", w,
		    x->resp_max);
	else if (strcmp(xe->code, "SignatureDoesNotMatch") == 0 &&
	    xe->sts[0]) {
		log_escape(xe->sts, strlen(xe->sts), sts, sizeof(sts));
		s3_trace(x->s3, 1, "server's string to sign: %s", sts);
		log_escape(x->sts.p, x->sts.len, sts, sizeof(sts));
		s3_trace(x->s3, 1, "our string to sign: %s", sts);
		fail(x, d->exit, "%s: %s (server signed '%s', we signed '%s')",
		    w, why, xe->sts, buf_str(&x->sts));
	} else
		fail(x, d->exit, "%s: %s", w, d->why ? d->why : why);
}

/* What the attempt ended with, for the retry decision. */
static void
outcome(const struct s3_xfer *x, CURLcode cc, long status,
    const struct s3_xml_error *xe, struct s3_attempt *a)
{
	memset(a, 0, sizeof(*a));
	a->curl = (int)cc;
	a->status = status;
	a->code = xe->code;
	a->sink_exit = x->sink_failed ? x->sink_err.code : 0;
	a->too_large = x->resp_over;
	a->error_in_200 = x->error_in_200;
	a->resumed = x->sunk > 0;
	a->key = x->key != NULL;
	a->body_empty = x->resp.len == 0;
	a->attempt = x->attempt;
	a->retry_after_s = x->retry_after_s;
}

static void
settle(struct s3_xfer *x, CURLcode cc)
{
	struct s3 *s = x->s3;
	struct s3_retry_policy p = { s->c.attempts, s->c.backoff_base_ms,
	    s->c.backoff_cap_ms, s->c.retry_time_ms, s3_jitter, s };
	struct s3_xml_error xe;
	struct s3_attempt a;
	struct s3_decision d;
	struct err pe;
	const char *reg;
	uint64_t now = sys_now_ms();
	long status = 0;
	time_t server = 0;
	char w[400], why[700];

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	s3_trace(s, 1, "%s -> %ld%s%s in %llu ms (attempt %d)",
	    what(x, w, sizeof(w)), status, cc ? ", " : "",
	    cc ? curl_easy_strerror(cc) : "",
	    (unsigned long long)(now - x->t_attempt), x->attempt);
	memset(&xe, 0, sizeof(xe));
	if (cc == CURLE_OK && !x->sink_failed && !x->resp_over &&
	    x->resp.len > 0)
		(void)s3_xml_error(x->resp.p, x->resp.len, &xe, &pe);
	outcome(x, cc, status, &xe, &a);
	a.elapsed_ms = now - x->t0;
	a.clock_fixable = !x->skew_done && x->date[0] != '\0' &&
	    s3_http_date(x->date, &server) == 0;
	reg = xe.region[0] ? xe.region : x->region_hdr;
	a.region_fixable = !x->region_done && reg[0] != '\0' &&
	    strcmp(reg, s->region) != 0 && strlen(reg) < sizeof(s->region);
	s3_retry_decide(&p, &a, &d);
	if (d.next == S3_NEXT_DONE) {
		done(x, 0);
		return;
	}
	reason(x, cc, status, &xe, why, sizeof(why));
	if (d.next == S3_NEXT_FAIL) {
		give_up(x, &d, &xe, why, a.elapsed_ms);
		return;
	}
	learn(x, d.fix, server, reg);
	again(x, &d, now, why);
}

static int
collect(struct s3 *s)
{
	struct s3_xfer *x;
	CURLMsg *m;
	int left, n = 0;

	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x == NULL)
			continue;
		settle(x, m->data.result);
		n += x->state == XS_DONE;
	}
	return n;
}

static int
start_due(struct s3 *s, long *wait)
{
	struct s3_xfer *x, *next;
	uint64_t now = sys_now_ms();
	int n = 0;

	for (x = s->active; x != NULL; x = next) {
		next = x->next;
		if (x->state != XS_WAITING)
			continue;
		if (x->next_at > now) {
			if ((long)(x->next_at - now) < *wait)
				*wait = (long)(x->next_at - now);
			continue;
		}
		if (s3_req_start(x, &x->err) == -1) {
			done(x, -1);
			n++;
		}
	}
	return n;
}

int
s3_drive(struct s3 *s, int timeout_ms, int fd, int *ready, struct err *e)
{
	struct curl_waitfd wfd;
	long wait = timeout_ms < 0 ? 60000 : timeout_ms;
	int running, n, ndone;

	if (ready != NULL)
		*ready = 0;
	ndone = start_due(s, &wait);
	if (curl_multi_perform(s->multi, &running) != CURLM_OK)
		return err_set(e, EX_OSERR, "curl_multi_perform failed");
	ndone += collect(s);
	if (ndone > 0)
		return ndone;
	wait = timeout_ms < 0 ? 60000 : timeout_ms;
	(void)start_due(s, &wait);
	memset(&wfd, 0, sizeof(wfd));
	wfd.fd = fd;
	wfd.events = CURL_WAIT_POLLIN;
	if (curl_multi_poll(s->multi, fd >= 0 ? &wfd : NULL, fd >= 0 ? 1 : 0,
	    (int)wait, &n) != CURLM_OK)
		return err_set(e, EX_OSERR, "curl_multi_poll failed");
	if (fd >= 0 && ready != NULL && wfd.revents != 0)
		*ready = 1;
	if (curl_multi_perform(s->multi, &running) != CURLM_OK)
		return err_set(e, EX_OSERR, "curl_multi_perform failed");
	ndone += start_due(s, &wait);
	return ndone + collect(s);
}

int
s3_run(struct s3 *s, int timeout_ms, struct err *e)
{
	return s3_drive(s, timeout_ms, -1, NULL, e) == -1 ? -1 : 0;
}

int
s3_xfer_start(struct s3_xfer *x, struct err *e)
{
	x->t0 = sys_now_ms();
	x->attempt = 0;
	x->rc = 0;
	err_clear(&x->err);
	x->next = x->s3->active;
	x->s3->active = x;
	x->state = XS_WAITING;
	if (s3_req_start(x, &x->err) == -1) {
		done(x, -1);
		if (e != NULL)
			*e = x->err;
		return -1;
	}
	return 0;
}

int
s3_xfer_run(struct s3_xfer *x, struct err *e)
{
	if (s3_xfer_start(x, e) == -1)
		return -1;
	while (x->state != XS_DONE)
		if (s3_drive(x->s3, 1000, -1, NULL, e) == -1) {
			s3_xfer_cancel(x);
			return -1;
		}
	if (x->rc == -1 && e != NULL)
		*e = x->err;
	return x->rc;
}
