/*
 * s3_conf.c: the client's configuration from the environment and the
 * credential chain (one of the few library functions that read the
 * environment, like env_*).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "env.h"
#include "exitcode.h"
#include "s3.h"
#include "s3_cred.h"

void
s3_conf_defaults(struct s3_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->path_style = -1;
	c->connect_timeout_ms = 5000;
	c->stall_timeout_ms = 30000;
	c->attempts = 5;
	c->retry_time_ms = 60000;
	c->backoff_base_ms = 100;
	c->backoff_cap_ms = 20000;
	c->part_size = 8ULL << 20;
	c->parts_in_flight = 4;
}

static int
set(char *dst, size_t size, const char *v, const char *what, struct err *e)
{
	if (v == NULL)
		return 0;
	if (strlen(v) >= size)
		return err_set(e, EX_CONFIG, "%s is too long", what);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
path_of(char *out, size_t size, const char *var, const char *home,
    const char *rel)
{
	const char *v = env_str(var);
	int n;

	if (v != NULL)
		n = snprintf(out, size, "%s", v);
	else if (home != NULL)
		n = snprintf(out, size, "%s/%s", home, rel);
	else
		n = snprintf(out, size, "/nonexistent");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The shared credentials file, then the config file, for a profile. */
static int
from_files(struct s3_conf *c, const char *profile, int explicit_profile,
    struct err *e)
{
	char cred[1024], conf[1024];
	const char *home = env_str("HOME");
	int r1, r2;

	if (path_of(cred, sizeof(cred), "AWS_SHARED_CREDENTIALS_FILE", home,
	    ".aws/credentials") == -1 || path_of(conf, sizeof(conf),
	    "AWS_CONFIG_FILE", home, ".aws/config") == -1)
		return err_set(e, EX_CONFIG, "credentials file path too long");
	if (c->region[0] == '\0' && s3_ini_get(conf, 1, profile, "region",
	    c->region, sizeof(c->region), e) == -1)
		return -1;
	if (explicit_profile && !s3_ini_has_profile(cred, 0, profile) &&
	    !s3_ini_has_profile(conf, 1, profile))
		return err_set(e, EX_CONFIG, "profile '%s' not found in %s "
		    "or %s", profile, cred, conf);
	if (c->access_key[0] != '\0')
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *f = pass == 0 ? cred : conf;

		r1 = s3_ini_get(f, pass, profile, "aws_access_key_id",
		    c->access_key, sizeof(c->access_key), e);
		r2 = s3_ini_get(f, pass, profile, "aws_secret_access_key",
		    c->secret_key, sizeof(c->secret_key), e);
		if (r1 == -1 || r2 == -1)
			return -1;
		if (r1 == 1 && r2 == 1) {
			if (s3_ini_get(f, pass, profile, "aws_session_token",
			    c->token, sizeof(c->token), e) == -1)
				return -1;
			c->cred_source = S3_CRED_FILE;
			return 0;
		}
		c->access_key[0] = c->secret_key[0] = '\0';
	}
	return 0;
}

static int
from_container(struct s3_conf *c, struct err *e)
{
	const char *full = env_str("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *rel = env_str("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *tok = env_str("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *tokfile =
	    env_str("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	int n;

	if (full == NULL && rel == NULL)
		return 0;
	if (rel != NULL)
		n = snprintf(c->cred_url, sizeof(c->cred_url),
		    "http://169.254.170.2%s", rel);
	else
		n = snprintf(c->cred_url, sizeof(c->cred_url), "%s", full);
	if (n < 0 || (size_t)n >= sizeof(c->cred_url))
		return err_set(e, EX_CONFIG, "container credentials URI "
		    "too long");
	if (tokfile != NULL) {
		FILE *f = fopen(tokfile, "r");
		size_t r;

		if (f == NULL)
			return err_errno(e, EX_CONFIG, errno, "%s",
			    tokfile);
		r = fread(c->cred_auth, 1, sizeof(c->cred_auth) - 1, f);
		fclose(f);
		c->cred_auth[r] = '\0';
		c->cred_auth[strcspn(c->cred_auth, "\r\n")] = '\0';
	} else if (set(c->cred_auth, sizeof(c->cred_auth), tok,
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN", e) == -1)
		return -1;
	c->cred_source = S3_CRED_CONTAINER;
	return s3_cred_fetch(c, e);
}

static int
from_imds(struct s3_conf *c, struct err *e)
{
	const char *ep = env_str("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	int off = 0;

	if (env_bool("AWS_EC2_METADATA_DISABLED", &off, e) == -1)
		return -1;
	if (off)
		return 0;
	if (set(c->cred_url, sizeof(c->cred_url), ep != NULL ? ep :
	    "http://169.254.169.254", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	    e) == -1)
		return -1;
	c->cred_url[strcspn(c->cred_url, "\n")] = '\0';
	{
		size_t n = strlen(c->cred_url);

		if (n > 0 && c->cred_url[n - 1] == '/')
			c->cred_url[n - 1] = '\0';
	}
	c->cred_source = S3_CRED_IMDS;
	return s3_cred_fetch(c, e);
}

static int
knobs(struct s3_conf *c, struct err *e)
{
	uint64_t ms, sz;
	long long n;
	int b;

	ms = (uint64_t)c->connect_timeout_ms;
	if (env_duration_ms("IMGQ_S3_CONNECT_TIMEOUT", 1, 600000, &ms, e) ==
	    -1)
		return -1;
	c->connect_timeout_ms = (long)ms;
	ms = (uint64_t)c->stall_timeout_ms;
	if (env_duration_ms("IMGQ_S3_TIMEOUT", 1000, 3600000, &ms, e) == -1)
		return -1;
	c->stall_timeout_ms = (long)ms;
	ms = (uint64_t)c->retry_time_ms;
	if (env_duration_ms("IMGQ_S3_RETRY_TIME", 0, 86400000, &ms, e) == -1)
		return -1;
	c->retry_time_ms = (long)ms;
	n = c->attempts;
	if (env_long("IMGQ_S3_ATTEMPTS", 1, 100, &n, e) == -1)
		return -1;
	c->attempts = (int)n;
	sz = c->part_size;
	if (env_size("IMGQ_S3_PART_SIZE", S3_MIN_PART, S3_MAX_PART, &sz, e)
	    == -1)
		return -1;
	c->part_size = sz;
	n = 0;
	if (env_long("IMGQ_S3_CLOCK_OFFSET", -86400, 86400, &n, e) == -1)
		return -1;
	c->clock_offset_s = n;
	n = c->parts_in_flight;
	if (env_long("IMGQ_S3_PARTS", 1, 64, &n, e) == -1)
		return -1;
	c->parts_in_flight = (int)n;
	if (env_str("IMGQ_S3_PATH_STYLE") != NULL) {
		if (env_bool("IMGQ_S3_PATH_STYLE", &b, e) == -1)
			return -1;
		c->path_style = b;
	}
	if (env_str("IMGQ_S3_UNSIGNED_PAYLOAD") != NULL) {
		if (env_bool("IMGQ_S3_UNSIGNED_PAYLOAD", &b, e) == -1)
			return -1;
		c->unsigned_payload = b;
	}
	if (set(c->ca_file, sizeof(c->ca_file), env_str("AWS_CA_BUNDLE"),
	    "AWS_CA_BUNDLE", e) == -1 || set(c->ca_file, sizeof(c->ca_file),
	    env_str("IMGQ_S3_CA_FILE"), "IMGQ_S3_CA_FILE", e) == -1 ||
	    set(c->ca_path, sizeof(c->ca_path), env_str("IMGQ_S3_CA_PATH"),
	    "IMGQ_S3_CA_PATH", e) == -1)
		return -1;
	return 0;
}

/* Proxies: lower-case http_proxy only (a CGI parent may set HTTP_PROXY
 * from a request's Proxy header). */
static int
proxies(struct s3_conf *c, struct err *e)
{
	int https = c->endpoint[0] == '\0' ||
	    strncasecmp(c->endpoint, "https:", 6) == 0;
	const char *p;

	if (https) {
		p = env_str("https_proxy");
		if (p == NULL)
			p = env_str("HTTPS_PROXY");
	} else
		p = env_str("http_proxy");
	if (set(c->proxy, sizeof(c->proxy), p, "proxy", e) == -1)
		return -1;
	p = env_str("no_proxy");
	if (p == NULL)
		p = env_str("NO_PROXY");
	return set(c->noproxy, sizeof(c->noproxy), p, "no_proxy", e);
}

/* The credential chain; the keys stay empty when it finds none. */
static int
chain(struct s3_conf *c, struct err *e)
{
	const char *profile = env_str("AWS_PROFILE");
	const char *ak = env_str("AWS_ACCESS_KEY_ID");
	const char *sk = env_str("AWS_SECRET_ACCESS_KEY");
	const char *handed = env_str("IMGQ_S3_CREDENTIALS_FILE");

	if (handed != NULL)
		return s3_cred_load(c, handed, e);
	if (ak != NULL && sk != NULL) {
		if (set(c->access_key, sizeof(c->access_key), ak,
		    "AWS_ACCESS_KEY_ID", e) == -1 || set(c->secret_key,
		    sizeof(c->secret_key), sk, "AWS_SECRET_ACCESS_KEY", e) ==
		    -1 || set(c->token, sizeof(c->token),
		    env_str("AWS_SESSION_TOKEN"), "AWS_SESSION_TOKEN", e) == -1)
			return -1;
		c->cred_source = S3_CRED_ENV;
	} else if (ak != NULL || sk != NULL)
		return err_set(e, EX_CONFIG, "AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY must be set together");
	if (from_files(c, profile != NULL ? profile : "default",
	    profile != NULL, e) == -1)
		return -1;
	if (c->access_key[0] == '\0' && (from_container(c, e) == -1 ||
	    (c->access_key[0] == '\0' && from_imds(c, e) == -1)))
		return -1;
	return 0;
}

int
s3_conf_from_env_opt(struct s3_conf *c, struct err *e)
{
	const char *ep = env_str("AWS_ENDPOINT_URL");
	size_t n;

	s3_conf_defaults(c);
	if (set(c->endpoint, sizeof(c->endpoint), ep, "AWS_ENDPOINT_URL",
	    e) == -1)
		return -1;
	n = strlen(c->endpoint);
	while (n > 0 && c->endpoint[n - 1] == '/')
		c->endpoint[--n] = '\0';
	if (c->endpoint[0] != '\0' &&
	    strncasecmp(c->endpoint, "http://", 7) != 0 &&
	    strncasecmp(c->endpoint, "https://", 8) != 0)
		return err_set(e, EX_CONFIG, "AWS_ENDPOINT_URL must start "
		    "with http:// or https://");
	if (set(c->region, sizeof(c->region), env_str("AWS_DEFAULT_REGION"),
	    "AWS_DEFAULT_REGION", e) == -1 || set(c->region,
	    sizeof(c->region), env_str("AWS_REGION"), "AWS_REGION", e) == -1 ||
	    set(c->bucket, sizeof(c->bucket), env_str("AWS_BUCKET_NAME"),
	    "AWS_BUCKET_NAME", e) == -1)
		return -1;
	if (knobs(c, e) == -1 || proxies(c, e) == -1 || chain(c, e) == -1)
		return -1;
	if (c->region[0] == '\0')
		memcpy(c->region, "us-east-1", 10);
	return 0;
}

int
s3_conf_from_env(struct s3_conf *c, struct err *e)
{
	if (s3_conf_from_env_opt(c, e) == -1)
		return -1;
	if (c->access_key[0] == '\0')
		return err_set(e, EX_CONFIG, "no credentials: set "
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile");
	return 0;
}
