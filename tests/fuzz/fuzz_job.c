/*
 * fuzz_job: the parts of the queue that take untrusted bytes: REDIS_URL
 * (from the environment) and job records (field names and values from
 * any producer), encoded as JSON for the ingest's status API.
 *
 * The first byte picks the target; the rest is the input:
 *	0: q_url_parse of the text (up to the first NUL)
 *	1: json_str, decoded back: must give the same bytes, each byte
 *	   that is not UTF-8 replaced by U+FFFD
 *	2: job_json of a record: NUL-separated name, value, name, ...
 *	   checked for balanced structure
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "json.h"
#include "q.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes the JSON string at s (after the quote); returns bytes used. */
static size_t
decode(const char *s, size_t n, unsigned char *out, size_t *olen)
{
	size_t i = 0, o = 0;

	while (i < n && s[i] != '"') {
		if (s[i] != '\\') {
			out[o++] = (unsigned char)s[i++];
			continue;
		}
		if (i + 1 >= n)
			abort();
		switch (s[i + 1]) {
		case 'n': out[o++] = '\n'; i += 2; break;
		case 'r': out[o++] = '\r'; i += 2; break;
		case 't': out[o++] = '\t'; i += 2; break;
		case '"': out[o++] = '"'; i += 2; break;
		case '\\': out[o++] = '\\'; i += 2; break;
		case 'u':
			if (i + 6 <= n && memcmp(s + i + 2, "fffd", 4) == 0) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
				i += 6;
				break;
			}
			if (i + 6 > n || s[i + 2] != '0' || s[i + 3] != '0' ||
			    hexv(s[i + 4]) < 0 || hexv(s[i + 5]) < 0)
				abort();
			out[o++] = (unsigned char)(hexv(s[i + 4]) << 4 |
			    hexv(s[i + 5]));
			i += 6;
			break;
		default:
			abort();
		}
	}
	if (i >= n)
		abort();	/* unterminated */
	*olen = o;
	return i + 1;
}

static void
roundtrip(const uint8_t *d, size_t n)
{
	struct buf b = { 0 };
	size_t olen, used, i, k, elen = 0;
	unsigned char *out, *want;

	if (json_str(&b, d, n) == -1)
		return;
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.p[i] < 0x20)
			abort();	/* raw control byte in JSON */
	if (b.len < 2 || b.p[0] != '"' || (out = malloc(3 * n + 1)) == NULL ||
	    (want = malloc(3 * n + 1)) == NULL)
		abort();
	for (i = 0; i < n; i += k) {
		if ((k = utf8_seq_len(d + i, n - i)) == 0) {
			memcpy(want + elen, "\xef\xbf\xbd", 3);
			elen += 3;
			k = 1;
		} else {
			memcpy(want + elen, d + i, k);
			elen += k;
		}
	}
	used = decode(b.p + 1, b.len - 1, out, &olen);
	if (used != b.len - 1 || olen != elen || memcmp(out, want, elen) != 0)
		abort();
	free(want);
	free(out);
	buf_free(&b);
}

static void
record(const uint8_t *d, size_t n)
{
	const char *names[16], *vals[16];
	size_t nl[16], vl[16], k = 0, i = 0, start, depth = 0;
	char *json, *p;
	int in_str = 0;

	while (i <= n && k < 16) {
		start = i;
		while (i < n && d[i] != 0)
			i++;
		if ((k & 1) == 0) {
			names[k / 2] = (const char *)d + start;
			nl[k / 2] = i - start;
		} else {
			vals[k / 2] = (const char *)d + start;
			vl[k / 2] = i - start;
		}
		k++;
		i++;
	}
	k /= 2;
	if ((json = job_json("0mx1dkfla04z2gcdkrfzsne0dt", names, nl, vals,
	    vl, k, &i, NULL)) == NULL)
		return;
	if (strlen(json) != i || json[0] != '{' || json[i - 1] != '}')
		abort();
	for (p = json; *p != '\0'; p++) {
		if (in_str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = 0;
			continue;
		}
		if (*p == '"')
			in_str = 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (depth == 0)
				abort();
			depth--;
		}
	}
	if (in_str || depth != 0)
		abort();
	free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct q_url u;
	char *s;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if ((s = malloc(size)) == NULL)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		if (q_url_parse(s, &u, NULL) == 0 && (strlen(u.host) >=
		    sizeof(u.host) || strlen(u.path) >= sizeof(u.path) ||
		    u.port < 1 || u.port > 65535 || u.db < 0 ||
		    (u.is_unix && u.path[0] != '/') ||
		    (!u.is_unix && u.host[0] == '\0')))
			abort();
		free(s);
		break;
	case 1:
		roundtrip(data + 1, size - 1);
		break;
	default:
		record(data + 1, size - 1);
		break;
	}
	return 0;
}
