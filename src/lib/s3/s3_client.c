/*
 * s3_client.c: the client's life: made from a configuration, its one
 * curl multi handle (connections and DNS are cached there and reused),
 * the spare easy handle, the random source of the backoff, the trace,
 * and freed with its secrets wiped.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "exitcode.h"
#include "log.h"
#include "s3_int.h"
#include "sys.h"

static int curl_ready;

void
s3_trace(struct s3 *s, int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (s->c.trace == NULL || s->c.verbose < level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->c.trace(s->c.trace_arg, line);
}

const char *
s3_key_esc(const char *key, char *buf, size_t size)
{
	return log_escape(key, strlen(key), buf, size);
}

void
s3_set_trace(struct s3 *s, int level, void (*fn)(void *, const char *),
    void *arg)
{
	s->c.verbose = level;
	s->c.trace = fn;
	s->c.trace_arg = arg;
}

const char *
s3_bucket(const struct s3 *s)
{
	return s->c.bucket;
}

uint64_t
s3_jitter(void *arg, uint64_t bound)
{
	struct s3 *s = arg;

	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng % (bound + 1);
}

static int
dns_safe(const char *b)
{
	size_t n = strlen(b), i;

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) ||
		    isdigit((unsigned char)b[i]) || b[i] == '-'))
			return 0;
	return 1;
}

/* curl's global set-up, once per process. */
static int
curl_once(const struct s3_conf *c, struct err *e)
{
	if (curl_ready)
		return 0;
	/*
	 * Without TLS (a plain http endpoint, no https proxy), curl's
	 * global init need not have OpenSSL register every cipher and
	 * digest by name, read its configuration and load its error
	 * strings, a good share of a small request's CPU.  Once run, these
	 * choices hold for the process (OpenSSL initialises once).
	 */
	if (strncasecmp(c->endpoint, "http://", 7) == 0 &&
	    (c->proxy[0] == '\0' || strncasecmp(c->proxy, "http://", 7) == 0))
		(void)OPENSSL_init_ssl(OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
		    OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
		    OPENSSL_INIT_NO_LOAD_CONFIG |
		    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
		    OPENSSL_INIT_NO_LOAD_SSL_STRINGS, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, EX_OSERR, "curl_global_init failed");
	curl_ready = 1;
	return 0;
}

static int
conf_ok(const struct s3_conf *c, struct err *e)
{
	if (c->bucket[0] == '\0')
		return err_set(e, EX_CONFIG, "no bucket: set AWS_BUCKET_NAME "
		    "or name it as s3://bucket/key");
	if (strchr(c->bucket, '/') != NULL)
		return err_set(e, EX_CONFIG, "bad bucket name '%s'",
		    c->bucket);
	if (c->access_key[0] == '\0' || c->secret_key[0] == '\0')
		return err_set(e, EX_CONFIG, "no credentials");
	return 0;
}

/*
 * Without a CA file of the user's, certificates are looked up one by one
 * in curl's hashed CA folder rather than read from its bundle: OpenSSL 3
 * takes tens of milliseconds of CPU to parse the whole bundle, in every
 * process, for the one or two certificates a handshake needs.  Where
 * curl knows no folder, or it is not there, its bundle it is.
 */
static void
default_ca(struct s3_conf *c)
{
	struct stat st;
	char *path = NULL;
	size_t n;
	CURL *h;

	if (c->ca_file[0] != '\0' || c->ca_path[0] != '\0' ||
	    (h = curl_easy_init()) == NULL)
		return;
	if (curl_easy_getinfo(h, CURLINFO_CAPATH, &path) == CURLE_OK &&
	    path != NULL && (n = strlen(path)) < sizeof(c->ca_path) &&
	    stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		memcpy(c->ca_path, path, n + 1);
	curl_easy_cleanup(h);
}

struct s3 *
s3_new(const struct s3_conf *c, struct err *e)
{
	struct s3 *s;

	if (conf_ok(c, e) == -1 || curl_once(c, e) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	s->c = *c;
	default_ca(&s->c);
	if (s->c.path_style < 0)
		s->c.path_style = s->c.endpoint[0] != '\0' ||
		    !dns_safe(s->c.bucket);
	s->skew_s = c->clock_offset_s;
	memcpy(s->region, c->region[0] ? c->region : "us-east-1",
	    sizeof(s->region));
	s->region[sizeof(s->region) - 1] = '\0';
	if ((s->multi = curl_multi_init()) == NULL) {
		free(s);
		err_set(e, EX_OSERR, "curl_multi_init failed");
		return NULL;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	if (sys_random(&s->rng, sizeof(s->rng), NULL) == -1 || s->rng == 0)
		s->rng = 0x9e3779b97f4a7c15ULL ^ sys_now_ms();
	return s;
}

void
s3_free(struct s3 *s)
{
	if (s == NULL)
		return;
	while (s->active != NULL)
		s3_xfer_cancel(s->active);
	if (s->spare != NULL)
		curl_easy_cleanup(s->spare);
	curl_multi_cleanup(s->multi);
	sigv4_keycache_wipe(&s->keys);
	memset(s->c.secret_key, 0, sizeof(s->c.secret_key));
	memset(s->c.token, 0, sizeof(s->c.token));
	free(s);
}
