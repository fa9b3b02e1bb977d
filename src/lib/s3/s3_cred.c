/*
 * s3_cred.c: shared files, container credentials, instance metadata.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "exitcode.h"
#include "buf.h"
#include "s3_cred.h"
#include "sigv4.h"

#define INI_MAX		(1 << 20)
#define CRED_BODY_MAX	65536

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Is this section header (inside the brackets) the profile's? */
static int
section_is(char *sec, int is_config, const char *profile)
{
	sec = trim(sec);
	if (!is_config || strcmp(profile, "default") == 0)
		return strcmp(sec, profile) == 0;
	if (strncmp(sec, "profile", 7) != 0 ||
	    !isspace((unsigned char)sec[7]))
		return 0;
	return strcmp(trim(sec + 8), profile) == 0;
}

static int
ini_scan(const char *path, int is_config, const char *profile,
    const char *key, char *out, size_t size, int *has_section,
    struct err *e)
{
	char line[8192], *p, *eq, *end;
	int in = 0, found = 0;
	long total = 0;
	FILE *f;

	*has_section = 0;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, EX_CONFIG, errno, "%s", path);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((total += (long)strlen(line)) > INI_MAX)
			break;
		p = trim(line);
		if (*p == '#' || *p == ';' || *p == '\0')
			continue;
		if (*p == '[') {
			if ((end = strchr(p, ']')) == NULL)
				continue;
			*end = '\0';
			in = section_is(p + 1, is_config, profile);
			*has_section |= in;
			continue;
		}
		if (!in || key == NULL || (eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(trim(p), key) != 0)
			continue;
		p = trim(eq + 1);
		if (strlen(p) >= size) {
			fclose(f);
			return err_set(e, EX_CONFIG, "%s: %s is too long",
			    path, key);
		}
		memcpy(out, p, strlen(p) + 1);
		found = 1;
	}
	fclose(f);
	return found;
}

int
s3_ini_get(const char *path, int is_config, const char *profile,
    const char *key, char *out, size_t size, struct err *e)
{
	int has;

	return ini_scan(path, is_config, profile, key, out, size, &has, e);
}

int
s3_ini_has_profile(const char *path, int is_config, const char *profile)
{
	int has = 0;
	char dummy[2];

	if (ini_scan(path, is_config, profile, NULL, dummy, sizeof(dummy),
	    &has, NULL) == -1)
		return 0;
	return has;
}

int
s3_json_str(const char *s, size_t len, const char *name, char *out,
    size_t size)
{
	const char *p = s, *end = s + len;
	size_t n = strlen(name), k = 0;
	char hex[5];
	unsigned long c;

	for (; p + n + 2 <= end; p++) {
		if (*p != '"' || memcmp(p + 1, name, n) != 0 || p[n + 1] != '"')
			continue;
		p += n + 2;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || *p++ != ':')
			continue;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || *p++ != '"')
			return -1;
		while (p < end && *p != '"') {
			if (k + 1 >= size)
				return -1;
			if (*p != '\\') {
				out[k++] = *p++;
				continue;
			}
			if (++p >= end)
				return -1;
			if (*p == 'u') {
				if (end - p < 5)
					return -1;
				memcpy(hex, p + 1, 4);
				hex[4] = '\0';
				c = strtoul(hex, NULL, 16);
				if (c == 0 || c > 0x7f)
					return -1;
				out[k++] = (char)c;
				p += 5;
				continue;
			}
			out[k++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			p++;
		}
		if (p >= end)
			return -1;
		out[k] = '\0';
		return 0;
	}
	return -1;
}

static size_t
collect(char *ptr, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, ptr, sz * n) == -1)
		return 0;
	return sz * n;
}

/* One short request to a credential endpoint. */
static int
fetch(const char *method, const char *url, const char *hdr,
    struct buf *body, struct err *e)
{
	struct curl_slist *sl = NULL;
	long status = 0;
	CURLcode cc;
	CURL *c;

	buf_reset(body);
	body->max = CRED_BODY_MAX;
	if ((c = curl_easy_init()) == NULL)
		return err_set(e, EX_OSERR, "curl_easy_init failed");
	if (hdr != NULL)
		sl = curl_slist_append(sl, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* S3 speaks HTTP/1.1; the static build has no HTTP/2 */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(sl);
	if (cc != CURLE_OK)
		return err_set(e, EX_CONFIG, "no credentials: %s: %s", url,
		    curl_easy_strerror(cc));
	if (status != 200)
		return err_set(e, EX_CONFIG, "no credentials: %s: HTTP %ld",
		    url, status);
	return 0;
}

int
s3_cred_parse(struct s3_conf *c, const char *p, size_t len, struct err *e)
{
	char exp[64], d[17];
	size_t i, k = 0;

	if (s3_json_str(p, len, "AccessKeyId", c->access_key,
	    sizeof(c->access_key)) == -1 ||
	    s3_json_str(p, len, "SecretAccessKey", c->secret_key,
	    sizeof(c->secret_key)) == -1)
		return err_set(e, EX_PROTOCOL,
		    "credential answer without AccessKeyId/SecretAccessKey");
	if (s3_json_str(p, len, "Token", c->token,
	    sizeof(c->token)) == -1)
		c->token[0] = '\0';
	c->cred_expiry = 0;
	if (s3_json_str(p, len, "Expiration", exp, sizeof(exp)) == 0) {
		/* 2024-01-02T03:04:05Z (a fraction, if any, dropped) */
		for (i = 0; exp[i] != '\0' && k < 15; i++)
			if (isdigit((unsigned char)exp[i]) || exp[i] == 'T')
				d[k++] = exp[i];
		d[k++] = 'Z';
		d[k] = '\0';
		if (sigv4_parse_amz_date(d, &c->cred_expiry) == -1)
			c->cred_expiry = 0;
	}
	return 0;
}

int
s3_cred_fetch(struct s3_conf *c, struct err *e)
{
	struct buf body = { 0 }, url = { 0 }, tok = { 0 };
	char hdr[2200], role[256];
	int rc = -1;
	size_t n;

	if (c->cred_source == S3_CRED_HANDED)
		return s3_cred_reload(c, e);
	if (c->cred_source == S3_CRED_CONTAINER) {
		if (c->cred_auth[0] != '\0' && (size_t)snprintf(hdr,
		    sizeof(hdr), "Authorization: %s", c->cred_auth) >=
		    sizeof(hdr)) {
			err_set(e, EX_CONFIG, "container token too long");
			goto out;
		}
		if (fetch("GET", c->cred_url, c->cred_auth[0] ? hdr : NULL,
		    &body, e) == -1 ||
		    s3_cred_parse(c, body.p, body.len, e) == -1)
			goto out;
		rc = 0;
		goto out;
	}
	/* IMDSv2: a session token first, then the role, then its keys. */
	buf_addf(&url, "%s/latest/api/token", c->cred_url);
	if (fetch("PUT", buf_str(&url),
	    "X-aws-ec2-metadata-token-ttl-seconds: 21600", &tok, e) == -1)
		goto out;
	if (tok.len == 0 || tok.len > 1024 || (size_t)snprintf(hdr,
	    sizeof(hdr), "X-aws-ec2-metadata-token: %s", tok.p) >=
	    sizeof(hdr)) {
		err_set(e, EX_PROTOCOL, "bad instance metadata token");
		goto out;
	}
	buf_reset(&url);
	buf_addf(&url, "%s/latest/meta-data/iam/security-credentials/",
	    c->cred_url);
	if (fetch("GET", buf_str(&url), hdr, &body, e) == -1)
		goto out;
	n = strcspn(buf_str(&body), "\r\n");
	if (n == 0 || n >= sizeof(role)) {
		err_set(e, EX_CONFIG, "no credentials: no instance role");
		goto out;
	}
	memcpy(role, body.p, n);
	role[n] = '\0';
	buf_reset(&url);
	buf_addf(&url, "%s/latest/meta-data/iam/security-credentials/%s",
	    c->cred_url, role);
	if (fetch("GET", buf_str(&url), hdr, &body, e) == -1 ||
	    s3_cred_parse(c, body.p, body.len, e) == -1)
		goto out;
	rc = 0;
out:
	memset(hdr, 0, sizeof(hdr));
	if (body.p != NULL)
		memset(body.p, 0, body.len);
	buf_free(&body);
	buf_free(&url);
	buf_free(&tok);
	return rc;
}
