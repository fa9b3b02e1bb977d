/*
 * envset.h: the environment of a child, built from layers.
 *
 * A set is a list of "NAME=value" strings holding each name once.  A put
 * replaces the entry of its name, so there is one rule: what is put later
 * wins.  Callers put their layers from the weakest to the strongest, in
 * the order of imgq(7) (flag, then environment, then built-in default; a
 * .env file is loaded by whoever starts a program, beneath the
 * environment it was given):
 *
 *	1. a .env file			imgq-env, imgq-prefork -e
 *	2. the environment inherited	environ
 *	3. what the starter sets	imgq-prefork's IMGQ_PREFORK_SLOT,
 *	   (or removes)			IMGQ_MAX_REQUESTS, IMGQ_READY_FD;
 *					imgq-pop's job variables
 *
 * (imgq-env -o puts the first two the other way round.)  An entry keeps
 * the place of its name's first put.  A string without '=' or with an
 * empty name is no variable and is skipped.  Strings given to envset_put
 * stay the caller's and must outlive the set; envset_set makes its own.
 * A set holds at most ENVSET_MAX entries (EX_CONFIG beyond); out of
 * memory is EX_OSERR.
 */
#ifndef IMGQ_ENVSET_H
#define IMGQ_ENVSET_H

#include <stddef.h>

#include "err.h"

#define ENVSET_MAX	8192

struct envset {
	char	**v;		/* the entries, NULL-terminated */
	size_t	  n, cap;
	char	**own;		/* the strings envset_set made */
	size_t	  nown, owncap;
};

void	envset_init(struct envset *);

/* Puts one "NAME=value" string (not copied). */
int	envset_put(struct envset *, char *, struct err *);

/* Puts the first n strings of a list, or those before its NULL. */
int	envset_put_all(struct envset *, char *const *, size_t n,
	    struct err *);

/*
 * Puts name=value from a name of nlen bytes and a value of vlen bytes
 * (copied); EX_DATAERR when the name holds '=' or either holds a NUL.
 */
int	envset_set(struct envset *, const char *, size_t, const void *,
	    size_t, struct err *);

/* Removes the entry of a name, if there is one. */
void	envset_unset(struct envset *, const char *);

/* The value of a name, or NULL. */
const char *envset_get(const struct envset *, const char *);

/* The entries for execve(2); valid until the next put or the free. */
char	**envset_envp(struct envset *);

void	envset_free(struct envset *);

#endif
