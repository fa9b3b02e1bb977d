/*
 * q_tls.c: OpenSSL for rediss:// connections: the client context, the
 * handshake with its certificate check, and what a failed call means.
 *
 * Classes: a server certificate that does not verify (not signed by a
 * trusted CA, expired, another host's) is EX_CONFIG: no retry makes it
 * right, and the operator must fix the CA or the name; so is a handshake
 * that fails for want of a common protocol (a rediss:// URL naming a plain
 * port).  The server refusing our client certificate is EX_NOPERM, as
 * Redis refusing a password; a connection lost or timed out is
 * EX_TEMPFAIL.
 */
#define _DEFAULT_SOURCE

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "exitcode.h"
#include "q_io.h"
#include "sys.h"

static int
ssl_why(struct err *e, const char *what, const char *file)
{
	char why[200];

	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	ERR_clear_error();
	return err_set(e, EX_CONFIG, "%s %s: %s", what, file, why);
}

/*
 * The S3 client, for a plain http endpoint, initialises OpenSSL without
 * its table of digests by name (s3_client.c), and OpenSSL initialises once
 * per process; certificate checks look the signatures' digests up there
 * (a digest not found reads as "too weak").  Adding them again is
 * harmless.
 */
static void
digests(void)
{
	(void)EVP_add_digest(EVP_sha256());
	(void)EVP_add_digest(EVP_sha384());
	(void)EVP_add_digest(EVP_sha512());
	(void)EVP_add_digest(EVP_sha224());
}

SSL_CTX *
q_tls_ctx(const struct q_tls *t, struct err *e)
{
	SSL_CTX *ctx;
	int rc;

	digests();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		err_set(e, EX_OSERR, "TLS: out of memory");
		return NULL;
	}
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* One read(2) for a record's header and body, and what follows. */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_verify(ctx, t->insecure ? SSL_VERIFY_NONE :
	    SSL_VERIFY_PEER, NULL);
	if (t->ca_file != NULL)
		rc = SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) == 1 ?
		    0 : ssl_why(e, "TLS CA file", t->ca_file);
	else
		/*
		 * The system's store as its hashed folder, read certificate
		 * by certificate as a check needs one: the bundle file that
		 * SSL_CTX_set_default_verify_paths also loads takes tens of
		 * ms to parse at every program start.
		 */
		rc = SSL_CTX_set_default_verify_dir(ctx) == 1 ? 0 :
		    ssl_why(e, "TLS", "system CA folder");
	if (rc == 0 && t->cert_file != NULL)
		rc = SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) ==
		    1 ? 0 : ssl_why(e, "TLS certificate file", t->cert_file);
	if (rc == 0 && t->cert_file != NULL) {
		const char *k = t->key_file != NULL ? t->key_file :
		    t->cert_file;

		rc = SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM) ==
		    1 && SSL_CTX_check_private_key(ctx) == 1 ? 0 :
		    ssl_why(e, "TLS key file", k);
	}
	if (rc == 0 && t->cert_file == NULL && t->key_file != NULL)
		rc = err_set(e, EX_CONFIG, "TLS: a key file without a "
		    "certificate file");
	if (rc == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* An alert by which the server says no to our certificate. */
static int
cert_refused(unsigned long l)
{
	switch (ERR_GET_REASON(l)) {
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
		return 1;
	default:
		return 0;
	}
}

int
q_tls_fail(SSL *ssl, int rc, short *events, int *code, char *buf,
    size_t sz)
{
	int se = SSL_get_error(ssl, rc), errnum = errno;
	unsigned long l = ERR_peek_last_error();
	char why[200];

	*code = EX_TEMPFAIL;
	switch (se) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		(void)snprintf(buf, sz, "connection closed");
		break;
	case SSL_ERROR_SYSCALL:
		(void)snprintf(buf, sz, "%s", l == 0 && errnum != 0 ?
		    strerror(errnum) : "connection closed");
		break;
	default:
		ERR_error_string_n(l, why, sizeof(why));
		if (cert_refused(l))
			*code = EX_NOPERM;
		(void)snprintf(buf, sz, "%s%s", *code == EX_NOPERM ?
		    "the server refused the client certificate: " : "TLS: ",
		    why);
		break;
	}
	ERR_clear_error();
	return -1;
}

/* The name the certificate must have: a DNS name, or an address. */
static int
expect_name(SSL *ssl, const char *name)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    name) == 1 ? 0 : -1;
	if (SSL_set_tlsext_host_name(ssl, name) != 1 ||
	    SSL_set1_host(ssl, name) != 1)
		return -1;
	return 0;
}

static int
verify_failed(SSL *ssl, const char *name, const char *w, struct err *e)
{
	long v = SSL_get_verify_result(ssl);

	ERR_clear_error();
	if (v == X509_V_ERR_HOSTNAME_MISMATCH ||
	    v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		return err_set(e, EX_CONFIG, "unable to connect to %s: TLS "
		    "certificate does not match %s", w, name);
	return err_set(e, EX_CONFIG, "unable to connect to %s: TLS "
	    "certificate not trusted: %s", w, X509_verify_cert_error_string(v));
}

SSL *
q_tls_handshake(int fd, const struct q_tlsdest *d, const char *host,
    const char *w, struct err *e)
{
	uint64_t deadline = sys_now_ms() + Q_CONNECT_TIMEOUT_MS;
	const char *name = d->name != NULL ? d->name : host;
	struct pollfd p;
	char why[200];
	SSL *ssl;
	int rc, se, code;

	ERR_clear_error();
	if ((ssl = SSL_new(d->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    expect_name(ssl, name) == -1) {
		err_set(e, EX_OSERR, "unable to connect to %s: TLS: out of "
		    "memory", w);
		goto fail;
	}
	while ((rc = SSL_connect(ssl)) != 1) {
		if (SSL_get_error(ssl, rc) == SSL_ERROR_SSL &&
		    SSL_get_verify_result(ssl) != X509_V_OK) {
			verify_failed(ssl, name, w, e);
			goto fail;
		}
		se = SSL_get_error(ssl, rc);
		if (q_tls_fail(ssl, rc, &p.events, &code, why,
		    sizeof(why)) == -1) {
			/* The ends do not agree on TLS (a plain port?). */
			if (se == SSL_ERROR_SSL && code == EX_TEMPFAIL)
				code = EX_CONFIG;
			err_set(e, code, "unable to connect to %s: %s", w, why);
			goto fail;
		}
		p.fd = fd;
		rc = poll(&p, 1, deadline > sys_now_ms() ?
		    (int)(deadline - sys_now_ms()) : 0);
		if (rc == 0 || (rc == -1 && errno != EINTR)) {
			err_errno(e, EX_TEMPFAIL, rc == 0 ? ETIMEDOUT : errno,
			    "unable to connect to %s: TLS handshake", w);
			goto fail;
		}
	}
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}
