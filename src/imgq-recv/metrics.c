/*
 * metrics.c: request and upload counters, in Prometheus text.
 *
 * The counters live in this process's memory, or, when
 * IMGQ_RECV_METRICS_FILE names a file, in that file mapped shared, so
 * that every process of a prefork pool (and every CGI or inetd process)
 * adds to the same figures.  Updates are atomic adds.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "job.h"
#include "q.h"
#include "recv.h"

#define MET_MAGIC	0x696d67717276320aULL	/* "imgqrv2\n" */

static const int statuses[MET_STATUSES] = {
	200, 202, 204, 302, 303, 304, 400, 401, 403, 404, 405, 408, 409,
	411, 413, 414, 415, 417, 422, 431, 500, 501, 503, 505, 0, -1
};

static const double bounds[MET_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

int
met_open(struct srv *s, struct err *e)
{
	struct metrics *m;
	struct stat st;
	int fd;

	if (s->c.metrics_file == NULL) {
		if ((s->m = calloc(1, sizeof(*s->m))) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		return 0;
	}
	fd = open(s->c.metrics_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return err_errno(e, EX_CONFIG, errno, "unable to open %s",
		    s->c.metrics_file);
	if (fstat(fd, &st) == -1 || (st.st_size < (off_t)sizeof(*m) &&
	    ftruncate(fd, sizeof(*m)) == -1)) {
		err_errno(e, EX_CONFIG, errno, "unable to size %s",
		    s->c.metrics_file);
		close(fd);
		return -1;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return err_errno(e, EX_OSERR, errno, "unable to map %s",
		    s->c.metrics_file);
	if (m->magic != MET_MAGIC) {
		uint64_t zero = 0;

		/* a new file (or another layout): start from zero, once */
		if (__atomic_compare_exchange_n(&m->magic, &zero, MET_MAGIC,
		    0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) == 0 &&
		    m->magic != MET_MAGIC) {
			memset((char *)m + sizeof(m->magic), 0,
			    sizeof(*m) - sizeof(m->magic));
			m->magic = MET_MAGIC;
		}
	}
	s->m = m;
	return 0;
}

static void
add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

void
met_request(struct srv *s, int status, uint64_t bytes)
{
	size_t i;

	(void)bytes;
	for (i = 0; i < MET_STATUSES - 1; i++)
		if (statuses[i] == status)
			break;
	add(&s->m->requests[i], 1);
}

void
met_upload(struct srv *s, const char *id, uint64_t ms, uint64_t bytes)
{
	struct metrics *m = s->m;
	uint64_t slot;
	size_t i;

	add(&m->uploads, 1);
	add(&m->bytes_stored, bytes);
	add(&m->upload_ms_sum, ms);
	add(&m->upload_count, 1);
	for (i = 0; i < MET_BUCKETS; i++)
		if ((double)ms / 1000.0 <= bounds[i])
			add(&m->upload_bucket[i], 1);
	slot = __atomic_fetch_add(&m->recent_next, 1, __ATOMIC_RELAXED);
	snprintf(m->recent[slot % MET_RECENT], sizeof(m->recent[0]), "%s",
	    id);
}

/* The last n job ids uploaded, newest first. */
size_t
met_recent(struct srv *s, char (*ids)[32], size_t n)
{
	uint64_t next = __atomic_load_n(&s->m->recent_next, __ATOMIC_RELAXED);
	size_t k = 0;

	while (k < n && k < MET_RECENT && next > 0) {
		next--;
		memcpy(ids[k], s->m->recent[next % MET_RECENT], 32);
		ids[k][31] = '\0';
		if (job_id_valid(ids[k]))
			k++;
	}
	return k;
}

static int
queue_depth(struct srv *s, long long *depth)
{
	struct err e;

	if (need_q(s, &e) == NULL || q_depth(s->q, depth, &e) == -1)
		return -1;
	return 0;
}

void
handle_metrics(struct conn *c, struct rq *r)
{
	struct metrics *m = c->srv->m;
	struct buf b = { 0 };
	long long depth;
	size_t i;
	uint64_t v;

	buf_adds(&b, "# HELP imgq_recv_requests_total HTTP requests answered, "
	    "by status.\n# TYPE imgq_recv_requests_total counter\n");
	for (i = 0; i < MET_STATUSES; i++) {
		if ((v = m->requests[i]) == 0 && statuses[i] != 202)
			continue;
		if (statuses[i] > 0)
			buf_addf(&b, "imgq_recv_requests_total{status=\"%d\"} "
			    "%llu\n", statuses[i], (unsigned long long)v);
		else
			buf_addf(&b, "imgq_recv_requests_total{status=\"%s\"} "
			    "%llu\n", statuses[i] == 0 ? "none" : "other",
			    (unsigned long long)v);
	}
	buf_addf(&b, "# HELP imgq_recv_received_bytes_total Request body "
	    "bytes read.\n# TYPE imgq_recv_received_bytes_total counter\n"
	    "imgq_recv_received_bytes_total %llu\n",
	    (unsigned long long)m->bytes_in);
	buf_addf(&b, "# HELP imgq_recv_stored_bytes_total Bytes of uploads "
	    "stored and queued.\n# TYPE imgq_recv_stored_bytes_total counter\n"
	    "imgq_recv_stored_bytes_total %llu\n",
	    (unsigned long long)m->bytes_stored);
	buf_addf(&b, "# HELP imgq_recv_uploads_total Files stored and "
	    "queued.\n# TYPE imgq_recv_uploads_total counter\n"
	    "imgq_recv_uploads_total %llu\n", (unsigned long long)m->uploads);
	buf_adds(&b, "# HELP imgq_recv_upload_duration_seconds From the "
	    "request's start to a file's job queued.\n"
	    "# TYPE imgq_recv_upload_duration_seconds histogram\n");
	for (i = 0; i < MET_BUCKETS; i++)
		buf_addf(&b, "imgq_recv_upload_duration_seconds_bucket"
		    "{le=\"%g\"} %llu\n", bounds[i],
		    (unsigned long long)m->upload_bucket[i]);
	buf_addf(&b, "imgq_recv_upload_duration_seconds_bucket{le=\"+Inf\"} "
	    "%llu\nimgq_recv_upload_duration_seconds_sum %.3f\n"
	    "imgq_recv_upload_duration_seconds_count %llu\n",
	    (unsigned long long)m->upload_count,
	    (double)m->upload_ms_sum / 1000.0,
	    (unsigned long long)m->upload_count);
	if (queue_depth(c->srv, &depth) == 0)
		buf_addf(&b, "# HELP imgq_queue_depth Jobs waiting in the "
		    "queue.\n# TYPE imgq_queue_depth gauge\n"
		    "imgq_queue_depth %lld\n", depth);
	events_metrics(c, r, &b);
	if (b.over) {
		buf_free(&b);
		respond_error(c, 500, "out of memory", NULL);
		return;
	}
	respond(c, 200, "text/plain; version=0.0.4",
	    "Cache-Control: no-store\r\n", b.p, b.len);
	buf_free(&b);
}
