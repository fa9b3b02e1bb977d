#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "job.h"
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
grow(char **buf, size_t *cap, size_t need)
{
	char *nb;
	size_t nc;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 256;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -1;
		nc *= 2;
	}
	if ((nb = realloc(*buf, nc)) == NULL)
		return -1;
	*buf = nb;
	*cap = nc;
	return 0;
}

static int
put(char **buf, size_t *len, size_t *cap, const void *s, size_t n)
{
	if (n > SIZE_MAX - *len - 1 || grow(buf, cap, *len + n + 1) == -1)
		return -1;
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Length of a valid UTF-8 sequence at s (not overlong, no surrogates). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

int
job_json_str(char **buf, size_t *len, size_t *cap, const void *sv,
    size_t n)
{
	const unsigned char *s = sv;
	static const char hex[] = "0123456789abcdef";
	char esc[6];
	size_t i, k;

	if (put(buf, len, cap, "\"", 1) == -1)
		return -1;
	for (i = 0; i < n; i += k) {
		k = utf8_len(s + i, n - i);
		if (k > 1 || (k == 1 && s[i] >= 0x20 && s[i] != '"' &&
		    s[i] != '\\' && s[i] != 0x7f)) {
			if (put(buf, len, cap, s + i, k) == -1)
				return -1;
			continue;
		}
		k = 1;
		esc[0] = '\\';
		switch (s[i]) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			/* Control bytes and bytes that are not UTF-8. */
			memcpy(esc, "\\u00", 4);
			if (put(buf, len, cap, esc, 4) == -1)
				return -1;
			esc[0] = hex[s[i] >> 4];
			esc[1] = hex[s[i] & 15];
			break;
		}
		if (put(buf, len, cap, esc, 2) == -1)
			return -1;
	}
	return put(buf, len, cap, "\"", 1);
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
put_value(char **buf, size_t *len, size_t *cap, const char *name,
    size_t nlen, const char *v, size_t vlen)
{
	size_t i, start;

	if (job_field_numeric(name, nlen) && is_integer(v, vlen))
		return put(buf, len, cap, v, vlen);
	if (!(nlen == 7 && memcmp(name, "outputs", 7) == 0))
		return job_json_str(buf, len, cap, v, vlen);
	if (put(buf, len, cap, "[", 1) == -1)
		return -1;
	for (i = start = 0; i <= vlen; i++) {
		if (i < vlen && v[i] != '\n')
			continue;
		if (i == vlen && i == start)
			break;
		if ((start > 0 && put(buf, len, cap, ",", 1) == -1) ||
		    job_json_str(buf, len, cap, v + start, i - start) == -1)
			return -1;
		start = i + 1;
	}
	return put(buf, len, cap, "]", 1);
}

char *
job_json(const char *id, const char *const *names, const size_t *nlens,
    const char *const *vals, const size_t *vlens, size_t n, size_t *outlen,
    struct err *e)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, i;

	if (put(&buf, &len, &cap, "{\"id\":", 6) == -1 ||
	    job_json_str(&buf, &len, &cap, id, strlen(id)) == -1)
		goto oom;
	for (i = 0; i < n; i++) {
		/* A record never holds "id"; skip one rather than repeat it. */
		if (nlens[i] == 2 && memcmp(names[i], "id", 2) == 0)
			continue;
		if (put(&buf, &len, &cap, ",", 1) == -1 ||
		    job_json_str(&buf, &len, &cap, names[i], nlens[i]) == -1 ||
		    put(&buf, &len, &cap, ":", 1) == -1 ||
		    put_value(&buf, &len, &cap, names[i], nlens[i], vals[i],
		    vlens[i]) == -1)
			goto oom;
	}
	if (put(&buf, &len, &cap, "}", 1) == -1)
		goto oom;
	if (outlen != NULL)
		*outlen = len;
	return buf;
oom:
	free(buf);
	err_set(e, EX_OSERR, "out of memory encoding a job record");
	return NULL;
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
