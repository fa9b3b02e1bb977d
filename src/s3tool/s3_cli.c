/*
 * s3_cli.c: shared parts of the S3 programs (see s3_cli.h).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "s3_cli.h"
#include "sys.h"

int
s3_cli_init(struct s3_cli *cli, const char *argv0, const char *usage,
    int flags)
{
	memset(cli, 0, sizeof(*cli));
	if (sys_sane_fds() == -1)
		return EX_OSERR;
	if (flags & S3_CLI_NET)
		sys_ignore_sigpipe();
	log_init(argv0);
	cli->usage = usage;
	cli->flags = flags;
	s3_conf_defaults(&cli->c);
	cli->over = cli->c;
	return 0;
}

int
s3_cli_getopt(struct s3_cli *cli, int argc, char *const *argv,
    const char *own)
{
	char opts[64];
	const char *common;
	struct err e;
	int ch, n;

	common = cli->flags & S3_CLI_NET ? S3_CLI_OPTS : "";
	n = snprintf(opts, sizeof(opts), "%sv%s", common, own);
	if (n < 0 || (size_t)n >= sizeof(opts))
		return '?';
	while ((ch = getopt(argc, argv, opts)) != -1) {
		if (ch == 'v') {
			cli->verbose++;
			continue;
		}
		if (ch == '?' || ch == ':' || strchr(common, ch) == NULL)
			return ch;
		if (s3_cli_opt(ch, optarg, &cli->over, &e) == -1) {
			log_fatal("%s", e.msg);
			return '?';
		}
		cli->set |= 1U << (strchr(S3_CLI_OPTS, ch) - S3_CLI_OPTS);
	}
	return -1;
}

int
s3_cli_usage(const struct s3_cli *cli, const char *why)
{
	if (why != NULL)
		log_fatal("%s", why);
	(void)fprintf(stderr, "%s\n", cli->usage);
	return EX_USAGE;
}

static void
trace(void *arg, const char *line)
{
	(void)arg;
	log_info("%s", line);
}

#define GIVEN(cli, ch) ((cli)->set & \
	(1U << (strchr(S3_CLI_OPTS, ch) - S3_CLI_OPTS)))

int
s3_cli_conf(struct s3_cli *cli)
{
	struct s3_conf *c = &cli->c;
	struct err e;

	if (s3_conf_from_env(c, &e) == -1)
		return s3_cli_fatal(&e);
	if (GIVEN(cli, 'A'))
		c->attempts = cli->over.attempts;
	if (GIVEN(cli, 'C'))
		memcpy(c->ca_file, cli->over.ca_file, sizeof(c->ca_file));
	if (GIVEN(cli, 'R'))
		c->retry_time_ms = cli->over.retry_time_ms;
	if (GIVEN(cli, 'T'))
		c->stall_timeout_ms = cli->over.stall_timeout_ms;
	if (GIVEN(cli, 'U'))
		c->unsigned_payload = 1;
	c->verbose = cli->verbose > 1 ? 2 : cli->verbose;
	c->trace = trace;
	return 0;
}

int
s3_cli_operands(struct s3_cli *cli, int *argc, char ***argv, int min,
    int max)
{
	*argc -= optind;
	*argv += optind;
	if (*argc < min || (max >= 0 && *argc > max))
		return s3_cli_usage(cli, NULL);
	return s3_cli_conf(cli);
}

int
s3_cli_key(struct s3_cli *cli, const char *arg, const char **key)
{
	struct err e;

	if (s3_cli_target(arg, &cli->c, key, &e) == -1)
		return s3_cli_usage(cli, e.msg);
	if (**key == '\0')
		return s3_cli_usage(cli, "no key given");
	if (strlen(*key) > S3_KEY_MAX) {
		log_fatal("a key is 1 to %d bytes", S3_KEY_MAX);
		return EX_USAGE;
	}
	return 0;
}

int
s3_cli_client(struct s3_cli *cli, struct s3 **s)
{
	struct err e;

	if ((*s = s3_new(&cli->c, &e)) == NULL)
		return s3_cli_fatal(&e);
	return 0;
}

int
s3_cli_fatal(const struct err *e)
{
	log_fatal("%s", e->msg);
	return e->code ? e->code : EX_SOFTWARE;
}

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
	case 'R':	/* the retry time: 0 to a day */
	case 'T':	/* the stall timeout: a second to an hour */
		if (parse_duration_ms(arg, opt == 'R' ? 0 : 1000,
		    opt == 'R' ? 86400000 : 3600000, &ms, e) == -1)
			return err_prefix(e, "-%c", opt);
		*(opt == 'R' ? &c->retry_time_ms : &c->stall_timeout_ms) =
		    (long)ms;
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
s3_cli_escape(struct buf *b, const char *s)
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
			if (buf_add(b, esc, 2) == -1)
				return -1;
		} else if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			if (buf_add(b, esc, 4) == -1)
				return -1;
		} else if (buf_addc(b, c) == -1)
			return -1;
	}
	return 0;
}

int
s3_cli_unescape(struct buf *b, const char *s, size_t n, struct err *e)
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
		if (buf_addc(b, c) == -1)
			return err_set(e, EX_OSERR, "out of memory");
	}
	return 0;
}
