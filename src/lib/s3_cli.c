/*
 * s3_cli.c: shared parts of the S3 programs (see s3_cli.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "exitcode.h"
#include "s3_cli.h"

int
s3_cli_target(const char *arg, struct s3_conf *c, const char **key,
    struct err *e)
{
	const char *b, *slash;
	size_t n;

	if (strncmp(arg, "s3://", 5) != 0) {
		*key = arg;
		return 0;
	}
	b = arg + 5;
	slash = strchr(b, '/');
	n = slash ? (size_t)(slash - b) : strlen(b);
	if (n == 0 || n >= sizeof(c->bucket))
		return err_set(e, EX_USAGE, "bad bucket in '%s'", arg);
	memcpy(c->bucket, b, n);
	c->bucket[n] = '\0';
	*key = slash ? slash + 1 : b + n;
	return 0;
}

int
s3_cli_opt(int opt, const char *arg, struct s3_conf *c, struct err *e)
{
	long long n;
	uint64_t ms;

	switch (opt) {
	case 'A':
		if (parse_long(arg, 1, 100, &n, e) == -1)
			return err_prefix(e, "-A");
		c->attempts = (int)n;
		return 1;
	case 'R':
		if (parse_duration_ms(arg, 0, 86400000, &ms, e) == -1)
			return err_prefix(e, "-R");
		c->retry_time_ms = (long)ms;
		return 1;
	case 'T':
		if (parse_duration_ms(arg, 1000, 3600000, &ms, e) == -1)
			return err_prefix(e, "-T");
		c->stall_timeout_ms = (long)ms;
		return 1;
	case 'C':
		if (strlen(arg) >= sizeof(c->ca_file))
			return err_set(e, EX_USAGE, "-C: path too long");
		memcpy(c->ca_file, arg, strlen(arg) + 1);
		return 1;
	case 'U':
		c->unsigned_payload = 1;
		return 1;
	default:
		return 0;
	}
}

int
s3_cli_escape(struct s3_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	char esc[4];

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\';
			esc[1] = c == '\\' ? '\\' : c == '\n' ? 'n' :
			    c == '\r' ? 'r' : 't';
			if (s3_buf_add(b, esc, 2) == -1)
				return -1;
		} else if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			if (s3_buf_add(b, esc, 4) == -1)
				return -1;
		} else if (s3_buf_addc(b, c) == -1)
			return -1;
	}
	return 0;
}

int
s3_cli_unescape(struct s3_buf *b, const char *s, size_t n, struct err *e)
{
	char hex[3] = "";
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\\') {
			if (++i >= n)
				return err_set(e, EX_DATAERR, "key ends with "
				    "a backslash");
			switch (s[i]) {
			case '\\': c = '\\'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'x':
				if (i + 2 >= n + 0 ||
				    !isxdigit((unsigned char)s[i + 1]) ||
				    !isxdigit((unsigned char)s[i + 2]))
					return err_set(e, EX_DATAERR,
					    "bad \\x escape in a key");
				hex[0] = s[i + 1];
				hex[1] = s[i + 2];
				c = (int)strtol(hex, NULL, 16);
				i += 2;
				if (c == 0)
					return err_set(e, EX_DATAERR,
					    "NUL in a key");
				break;
			default:
				return err_set(e, EX_DATAERR, "bad escape "
				    "\\%c in a key", s[i]);
			}
		}
		if (s3_buf_addc(b, c) == -1)
			return err_set(e, EX_OSERR, "out of memory");
	}
	return 0;
}
