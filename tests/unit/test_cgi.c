/*
 * test_cgi.c: a request from CGI meta-variables.
 */
#include <string.h>

#include "cgi.h"
#include "tap.h"

static int
parse(char **envp, const struct cgi_limits *lim, struct cgi_req *r,
    struct err *e)
{
	struct cgi *c = cgi_new(lim, e);
	int rc;

	rc = cgi_parse(c, envp, r, e);
	/* the strings live in c: check what is needed before freeing */
	if (rc == 0) {
		ok(r->req.method != NULL, "method kept");
	}
	cgi_free(c);
	return rc;
}

int
main(void)
{
	struct cgi_limits lim;
	struct cgi_req r;
	struct cgi *c;
	struct err e;
	char *env1[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=POST",
	    "PATH_INFO=/upload", "QUERY_STRING=name=a.jpg",
	    "SCRIPT_NAME=/cgi-bin/imgq-recv", "CONTENT_LENGTH=123",
	    "CONTENT_TYPE=multipart/form-data; boundary=x",
	    "HTTP_IDEMPOTENCY_KEY=k1", "HTTP_PROXY=http://evil:1",
	    "SERVER_PROTOCOL=HTTP/1.1", "REMOTE_ADDR=10.0.0.1", NULL };
	char *env2[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=GET",
	    NULL };
	char *env3[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=PUT",
	    "HTTP_TRANSFER_ENCODING=Chunked", NULL };
	char *env4[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=PUT",
	    "HTTP_TRANSFER_ENCODING=gzip, chunked", NULL };
	char *env5[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=PUT",
	    "HTTP_TRANSFER_ENCODING=chunked", "CONTENT_LENGTH=5", NULL };
	char *bad1[] = { "REQUEST_METHOD=GET", NULL };
	char *bad2[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=G T",
	    NULL };
	char *bad3[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=POST",
	    "CONTENT_LENGTH=12a", NULL };
	char *bad4[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=GET",
	    "HTTP_A=1", "HTTP_B=2", "HTTP_C=3", NULL };
	char *bad5[] = { "GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=GET",
	    "HTTP_A=x\001y", NULL };

	cgi_limits_default(&lim);
	c = cgi_new(&lim, &e);
	is_int(cgi_parse(c, env1, &r, &e), 0, "a full request");
	is_str(r.req.method, "POST", "method");
	is_str(r.path, "/upload", "path");
	is_str(r.query, "name=a.jpg", "query");
	is_str(r.script, "/cgi-bin/imgq-recv", "script name");
	is_str(r.remote, "10.0.0.1", "remote address");
	is_int(r.req.body, HTTP_BODY_LENGTH, "length body");
	is_int(r.req.length, 123, "length");
	is_int(r.req.minor, 1, "HTTP/1.1");
	is_str(http_field(&r.req, "idempotency-key"), "k1", "HTTP_ field");
	is_str(http_field(&r.req, "content-type"),
	    "multipart/form-data; boundary=x", "content type");
	ok(http_field(&r.req, "proxy") == NULL, "HTTP_PROXY dropped");
	is_int(cgi_parse(c, env2, &r, &e), 0, "a minimal request");
	is_str(r.path, "/", "empty PATH_INFO is /");
	is_int(r.req.body, HTTP_BODY_NONE, "no body without CONTENT_LENGTH");
	is_int(cgi_parse(c, env3, &r, &e), 0, "a chunked request");
	is_int(r.req.body, HTTP_BODY_EOF, "its body runs to the end of input");
	is_int(cgi_parse(c, env4, &r, &e), 0, "another coding than chunked");
	is_int(r.req.body, HTTP_BODY_NONE, "no body taken");
	is_int(cgi_parse(c, env5, &r, &e), 0, "chunked with CONTENT_LENGTH");
	is_int(r.req.body, HTTP_BODY_LENGTH, "the server's length wins");
	is_int(r.req.length, 5, "its length");
	cgi_free(c);
	is_int(parse(bad1, &lim, &r, &e), -1, "no GATEWAY_INTERFACE");
	is_int(r.req.status, 400, "400");
	is_int(parse(bad2, &lim, &r, &e), -1, "bad method");
	is_int(parse(bad3, &lim, &r, &e), -1, "bad length");
	is_str(e.msg, "malformed CONTENT_LENGTH", "its message");
	lim.fields_max = 2;
	is_int(parse(bad4, &lim, &r, &e), -1, "too many fields");
	is_int(r.req.status, 431, "431");
	cgi_limits_default(&lim);
	is_int(parse(bad5, &lim, &r, &e), -1, "control character");
	lim.value_max = 4;
	is_int(parse(env1, &lim, &r, &e), -1, "value too long");
	is_int(r.req.status, 414, "414 for a long PATH_INFO");
	return tap_done();
}
