#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "job.h"
#include "json.h"
#include "sys.h"

static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

void
job_id_make(char *id, uint64_t ms, const unsigned char *rnd)
{
	int i;
	uint64_t hi, lo;

	for (i = JOB_ID_TIME - 1; i >= 0; i--) {
		id[i] = b36[ms % 36];
		ms /= 36;
	}
	/* 17 digits from 88 bits: two halves of 44 bits, 9 + 8 digits. */
	hi = lo = 0;
	for (i = 0; i < 5; i++)
		hi = hi << 8 | rnd[i];
	hi = hi << 4 | (rnd[5] >> 4);
	for (i = 6; i < 11; i++)
		lo = lo << 8 | rnd[i];
	lo = lo << 4 | (rnd[5] & 0x0f);
	for (i = JOB_ID_TIME + 8; i >= JOB_ID_TIME; i--) {
		id[i] = b36[hi % 36];
		hi /= 36;
	}
	for (i = JOB_ID_LEN - 1; i >= JOB_ID_TIME + 9; i--) {
		id[i] = b36[lo % 36];
		lo /= 36;
	}
	id[JOB_ID_LEN] = '\0';
}

/* Adds one to a base-36 string in place; 0 when it overflowed. */
static int
b36_inc(char *s, size_t n)
{
	while (n-- > 0) {
		const char *p = strchr(b36, s[n]);

		if (p[1] != '\0') {
			s[n] = p[1];
			return 1;
		}
		s[n] = '0';
	}
	return 0;
}

int
job_id_new(char *id, struct err *e)
{
	static char last[JOB_ID_LEN + 1];
	unsigned char rnd[11];

	if (sys_random(rnd, sizeof(rnd), e) == -1)
		return -1;
	job_id_make(id, sys_wall_ms(), rnd);
	/*
	 * Within one process ids strictly increase, even within one
	 * millisecond or when the clock steps back: then the last id plus
	 * one (its random part stays unpredictable enough, and unique).
	 */
	if (last[0] != '\0' && strcmp(id, last) <= 0) {
		memcpy(id, last, sizeof(last));
		if (!b36_inc(id, JOB_ID_LEN))
			job_id_make(id, sys_wall_ms(), rnd);
	}
	memcpy(last, id, sizeof(last));
	return 0;
}

int
job_id_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < JOB_ID_LEN; i++)
		if (s[i] == '\0' || strchr(b36, s[i]) == NULL)
			return 0;
	return s[JOB_ID_LEN] == '\0';
}

static const char *const state_names[JOB_NSTATES] = {
	[JOB_QUEUED] = JOB_S_QUEUED,
	[JOB_ACTIVE] = JOB_S_ACTIVE,
	[JOB_RETRY] = JOB_S_RETRY,
	[JOB_DONE] = JOB_S_DONE,
	[JOB_DEAD] = JOB_S_DEAD,
};

const char *
job_state_name(enum job_state st)
{
	return (unsigned)st < JOB_NSTATES ? state_names[st] : "";
}

int
job_state_of(const char *s, size_t n)
{
	int i;

	for (i = 0; i < JOB_NSTATES; i++)
		if (strlen(state_names[i]) == n &&
		    memcmp(state_names[i], s, n) == 0)
			return i;
	return -1;
}

int
job_state_final(int st)
{
	return st == JOB_DONE || st == JOB_DEAD;
}

uint64_t
job_id_time(const char *s)
{
	uint64_t ms = 0;
	int i;

	for (i = 0; i < JOB_ID_TIME; i++)
		ms = ms * 36 + (uint64_t)(strchr(b36, s[i]) - b36);
	return ms;
}

int
job_field_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > JOB_FIELD_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return 1;
	return 0;
}

static const char *const reserved[] = {
	"id", "state", "attempts", "run", "consumer", "queued", "started",
	"finished", "due", "delay", "exit", "signal", "error", "stderr",
	"outputs", "settled", "idem", "job_id", "attempt", "tmpdir", NULL
};

static const char *const numeric[] = {
	"attempts", "run", "queued", "started", "finished", "due", "delay",
	"exit", "signal", "settled", "created", "size", NULL
};

int
job_field_reserved(const char *s, size_t n)
{
	return in_list(reserved, s, n);
}

int
job_field_numeric(const char *s, size_t n)
{
	return in_list(numeric, s, n);
}

static int
is_integer(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 0 && s[0] == '-')
		i++;
	if (i == n || n - i > 15 || (s[i] == '0' && n - i > 1))
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
put_value(struct buf *b, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	size_t i, start;
	int rc = 0;

	if (job_field_numeric(name, nlen) && is_integer(v, vlen))
		return buf_add(b, v, vlen);
	if (!(nlen == 7 && memcmp(name, "outputs", 7) == 0))
		return json_str(b, v, vlen);
	rc |= buf_addc(b, '[');
	for (i = start = 0; i <= vlen; i++) {
		if (i < vlen && v[i] != '\n')
			continue;
		if (i == vlen && i == start)
			break;
		if (start > 0)
			rc |= buf_addc(b, ',');
		rc |= json_str(b, v + start, i - start);
		start = i + 1;
	}
	rc |= buf_addc(b, ']');
	return rc;
}

char *
job_json(const char *id, const char *const *names, const size_t *nlens,
    const char *const *vals, const size_t *vlens, size_t n, size_t *outlen,
    struct err *e)
{
	struct buf b = { 0 };
	size_t i, len;
	char *s;
	int rc = 0;

	rc |= buf_adds(&b, "{\"id\":");
	rc |= json_str(&b, id, strlen(id));
	for (i = 0; i < n && rc == 0; i++) {
		/* A record never holds "id"; skip one rather than repeat it. */
		if (nlens[i] == 2 && memcmp(names[i], "id", 2) == 0)
			continue;
		rc |= buf_addc(&b, ',');
		rc |= json_str(&b, names[i], nlens[i]);
		rc |= buf_addc(&b, ':');
		rc |= put_value(&b, names[i], nlens[i], vals[i], vlens[i]);
	}
	rc |= buf_addc(&b, '}');
	len = b.len;
	if (rc != 0 || (s = buf_take(&b)) == NULL) {
		buf_free(&b);
		err_set(e, EX_OSERR, "out of memory encoding a job record");
		return NULL;
	}
	if (outlen != NULL)
		*outlen = len;
	return s;
}

int
job_env_name(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i;

	if (!job_field_name_valid(s, n) || outsz < n + 6)
		return -1;
	memcpy(out, "IMGQ_", 5);
	for (i = 0; i < n; i++)
		out[5 + i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i];
	out[5 + n] = '\0';
	return 0;
}
