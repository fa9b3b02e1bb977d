/*
 * log.h: one line per event, in the form of STYLE.md:
 *
 *	prog: fatal: unable to connect to 127.0.0.1:6379: Connection refused
 *
 * To stderr without timestamps (a supervisor adds them), or to syslog when
 * asked (under inetd stderr is the socket).  Attacker-controlled strings go
 * through log_escape() first.  Only programs (main.c) and long-running
 * loops log; library functions fill a struct err instead.
 */
#ifndef IMGQ_LOG_H
#define IMGQ_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_FATAL,
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

/* The program name printed before each line (basename of argv0). */
void	log_init(const char *argv0);

/* Lines up to and including this level are printed; default INFO. */
void	log_set_level(enum log_level);
enum log_level log_get_level(void);

/* Sends lines to syslog(3) (facility daemon) instead of stderr. */
void	log_use_syslog(int facility);

/* Sends lines nowhere (inetd mode before syslog is wanted). */
void	log_silence(void);

const char *log_prog(void);

void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_fatal(...)	log_msg(LOG_LVL_FATAL, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * Escapes len bytes of untrusted text for a log line into buf (always
 * NUL-terminated, truncated with "..." when too long): printable ASCII
 * stays, backslash and other bytes become \\, \n, \r, \t or \xHH.
 * Returns buf.
 */
char	*log_escape(const void *, size_t, char *, size_t);

#endif
