#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"

static const struct {
	int		 code;
	const char	*name;
	enum ex_class	 class;
} table[] = {
	{ EX_OK,	"EX_OK",	EXC_SUCCESS },
	{ EX_NEGATIVE,	"EX_NEGATIVE",	EXC_NEGATIVE },
	{ EX_USAGE,	"EX_USAGE",	EXC_HALT },
	{ EX_DATAERR,	"EX_DATAERR",	EXC_REJECT },
	{ EX_NOINPUT,	"EX_NOINPUT",	EXC_REJECT },
	{ EX_SOFTWARE,	"EX_SOFTWARE",	EXC_REJECT },
	{ EX_OSERR,	"EX_OSERR",	EXC_RETRY },
	{ EX_TEMPFAIL,	"EX_TEMPFAIL",	EXC_RETRY },
	{ EX_PROTOCOL,	"EX_PROTOCOL",	EXC_REJECT },
	{ EX_NOPERM,	"EX_NOPERM",	EXC_HALT },
	{ EX_CONFIG,	"EX_CONFIG",	EXC_HALT },
};

enum ex_class
ex_class_of_code(int code)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return table[i].class;
	return EXC_REJECT;
}

enum ex_class
ex_class_of_status(int status)
{
	if (WIFEXITED(status))
		return ex_class_of_code(WEXITSTATUS(status));
	return EXC_RETRY;
}

const char *
ex_class_name(enum ex_class c)
{
	switch (c) {
	case EXC_SUCCESS:
		return "success";
	case EXC_NEGATIVE:
		return "negative";
	case EXC_RETRY:
		return "retry";
	case EXC_REJECT:
		return "reject";
	case EXC_HALT:
		return "halt";
	}
	return "reject";
}

const char *
ex_code_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return table[i].name;
	return NULL;
}

static int
coredump(int status)
{
#ifdef WCOREDUMP
	return WCOREDUMP(status);
#else
	(void)status;
	return 0;
#endif
}

const char *
ex_describe_status(int status, char *buf, unsigned long len)
{
	if (WIFEXITED(status))
		(void)snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "signal %d (%s)%s", WTERMSIG(status),
		    strsignal(WTERMSIG(status)),
		    coredump(status) ? ", core dumped" : "");
	else
		(void)snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}
