/*
 * metrics.c: /metrics, the operator's, in the Prometheus text format.
 */
#include <stdio.h>

#include "ev.h"

void
handle_metrics(struct srv *s, struct cl *c)
{
	const struct metrics *m = &s->m;
	struct buf b = { 0 };

	if (!need_operator(s, c))
		return;
	buf_addf(&b, "# TYPE imgq_events_connections gauge\n"
	    "imgq_events_connections{transport=\"sse\"} %llu\n"
	    "imgq_events_connections{transport=\"websocket\"} %llu\n"
	    "# TYPE imgq_events_accepted_total counter\n"
	    "imgq_events_accepted_total %llu\n"
	    "# TYPE imgq_events_handoffs_total counter\n"
	    "imgq_events_handoffs_total %llu\n"
	    "# TYPE imgq_events_refused_total counter\n"
	    "imgq_events_refused_total %llu\n"
	    "# TYPE imgq_events_received_total counter\n"
	    "imgq_events_received_total %llu\n"
	    "# TYPE imgq_events_sent_total counter\n"
	    "imgq_events_sent_total{transport=\"sse\"} %llu\n"
	    "imgq_events_sent_total{transport=\"websocket\"} %llu\n"
	    "# TYPE imgq_events_slow_dropped_total counter\n"
	    "imgq_events_slow_dropped_total %llu\n"
	    "# TYPE imgq_events_timeouts_total counter\n"
	    "imgq_events_timeouts_total %llu\n"
	    "# TYPE imgq_events_resubscribed_total counter\n"
	    "imgq_events_resubscribed_total %llu\n"
	    "# TYPE imgq_events_ws_protocol_errors_total counter\n"
	    "imgq_events_ws_protocol_errors_total %llu\n"
	    "# TYPE imgq_events_subscribed gauge\n"
	    "imgq_events_subscribed %d\n",
	    (unsigned long long)m->conns[T_SSE],
	    (unsigned long long)m->conns[T_WS],
	    (unsigned long long)m->accepted, (unsigned long long)m->handoffs,
	    (unsigned long long)m->refused, (unsigned long long)m->events_in,
	    (unsigned long long)m->sent[T_SSE],
	    (unsigned long long)m->sent[T_WS], (unsigned long long)m->slow,
	    (unsigned long long)m->timeouts,
	    (unsigned long long)m->resubscribed,
	    (unsigned long long)m->ws_bad, feed_up(s));
	if (b.over)
		respond(s, c, 500, "out of memory", NULL, NULL);
	else
		respond(s, c, 200, b.p, "text/plain; version=0.0.4", NULL);
	buf_free(&b);
}
