#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static char		 prog[64] = "imgq";
static enum log_level	 level = LOG_LVL_INFO;
static enum { TO_STDERR, TO_SYSLOG, TO_NOWHERE } dest = TO_STDERR;

static const char *const words[] = {
	"fatal", "error", "warning", "info", "debug"
};

void
log_init(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	p = p != NULL ? p + 1 : argv0;
	(void)snprintf(prog, sizeof(prog), "%s", p);
}

void
log_set_level(enum log_level l)
{
	level = l;
}

enum log_level
log_get_level(void)
{
	return level;
}

void
log_use_syslog(int facility)
{
	openlog(prog, LOG_PID | LOG_NDELAY, facility);
	dest = TO_SYSLOG;
}

void
log_silence(void)
{
	dest = TO_NOWHERE;
}

const char *
log_prog(void)
{
	return prog;
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	static const int prio[] = {
		LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG
	};
	char line[2048];
	va_list ap;
	char *p;

	if (l > level || dest == TO_NOWHERE)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (p = line; *p != '\0'; p++)		/* one event, one line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (dest == TO_SYSLOG)
		syslog(prio[l], "%s: %s", words[l], line);
	else
		(void)fprintf(stderr, "%s: %s: %s\n", prog, words[l], line);
}

char *
log_escape(const void *src, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t i, o = 0;
	char tmp[5];
	size_t n;

	if (size == 0)
		return buf;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		n = 0;
		if (c == '\\') {
			tmp[n++] = '\\';
			tmp[n++] = '\\';
		} else if (c == '\n') {
			tmp[n++] = '\\';
			tmp[n++] = 'n';
		} else if (c == '\r') {
			tmp[n++] = '\\';
			tmp[n++] = 'r';
		} else if (c == '\t') {
			tmp[n++] = '\\';
			tmp[n++] = 't';
		} else if (c < 0x20 || c >= 0x7f) {
			tmp[n++] = '\\';
			tmp[n++] = 'x';
			tmp[n++] = hex[c >> 4];
			tmp[n++] = hex[c & 15];
		} else
			tmp[n++] = (char)c;
		if (o + n + 4 > size) {		/* room for "..." and NUL */
			if (size >= 4) {
				memcpy(buf + (o <= size - 4 ? o : size - 4),
				    "...", 3);
				o = (o <= size - 4 ? o : size - 4) + 3;
			}
			break;
		}
		memcpy(buf + o, tmp, n);
		o += n;
	}
	buf[o < size ? o : size - 1] = '\0';
	return buf;
}
