/*
 * dotenv.h: the KEY=value environment file of the original system (.env).
 *
 * One assignment a line:
 *
 *	# a comment
 *	KEY=value			unquoted: trailing blanks and " #comment"
 *					are dropped
 *	export KEY='literal value'	single quotes: nothing is special
 *	KEY="line\nnext"		double quotes: \n \r \t \\ \" \$ escapes
 *
 * Keys are [A-Za-z_][A-Za-z0-9_]*; a later line for the same key wins.
 * Nothing is evaluated: $VAR, backquotes and $(...) are literal text.
 * The result is a list of "KEY=value" strings, ready for an environment.
 */
#ifndef IMGQ_DOTENV_H
#define IMGQ_DOTENV_H

#include <stddef.h>

#include "err.h"

#define DOTENV_MAX_BYTES	(1024 * 1024)	/* a file larger is refused */
#define DOTENV_MAX_VARS		4096

struct dotenv {
	char	**vars;		/* "KEY=value", NUL-terminated strings */
	size_t	  n;
};

/*
 * Parses len bytes into an empty (zeroed) struct dotenv.  On failure
 * returns -1 with EX_CONFIG and "line N: why", and d is left empty.
 */
int	dotenv_parse(const char *, size_t, struct dotenv *, struct err *);

/*
 * Reads and parses a file (at most DOTENV_MAX_BYTES); EX_CONFIG when it
 * cannot be read or does not parse, the message naming the path.
 */
int	dotenv_load(const char *, struct dotenv *, struct err *);

void	dotenv_free(struct dotenv *);

#endif
