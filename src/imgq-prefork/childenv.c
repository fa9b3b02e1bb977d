/*
 * childenv.c: the environment of imgq-prefork's children and probe.
 *
 * The layers, the weaker first (envset.h, imgq(7)): the file of -e, our
 * own environment, then for each child what we set for it.  A reload
 * keeps the last complete generation's environment aside, so that an
 * abandoned reload can go back to it.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "dotenv.h"
#include "envset.h"
#include "prefork.h"

extern char **environ;

static void
one_free(struct pf_env *v)
{
	envset_free(&v->set);
	dotenv_free(&v->dot);
}

int
pf_env_load(struct pf_envs *s, const char *file, int reloading,
    struct err *e)
{
	struct pf_env v;

	memset(&v, 0, sizeof(v));
	envset_init(&v.set);
	if (file != NULL && dotenv_load(file, &v.dot, e) == -1)
		return -1;
	if (envset_put_all(&v.set, v.dot.vars, v.dot.n, e) == -1 ||
	    envset_put_all(&v.set, environ, SIZE_MAX, e) == -1) {
		one_free(&v);
		return -1;
	}
	if (s->loaded && !reloading && !s->has_prev) {
		s->prev = s->cur;
		s->has_prev = 1;
	} else if (s->loaded)
		one_free(&s->cur);
	s->cur = v;
	s->loaded = 1;
	return 0;
}

void
pf_env_settle(struct pf_envs *s, int keep)
{
	if (!s->has_prev)
		return;
	if (keep)
		one_free(&s->prev);
	else {
		one_free(&s->cur);
		s->cur = s->prev;
	}
	s->has_prev = 0;
}

void
pf_env_free(struct pf_envs *s)
{
	if (s->loaded)
		one_free(&s->cur);
	if (s->has_prev)
		one_free(&s->prev);
	s->loaded = s->has_prev = 0;
}

char **
pf_env_envp(struct pf_envs *s)
{
	return envset_envp(&s->cur.set);
}

static int
put_num(struct envset *v, const char *name, long long n, struct err *e)
{
	char num[24];

	(void)snprintf(num, sizeof(num), "%lld", n);
	return envset_set(v, name, strlen(name), num, strlen(num), e);
}

int
pf_env_child(struct pf_envs *s, int slot, long long requests, int ready_fd,
    struct envset *v, struct err *e)
{
	envset_init(v);
	if (envset_put_all(v, pf_env_envp(s), SIZE_MAX, e) == -1) {
		envset_free(v);
		return -1;
	}
	/* Ours only: a value inherited from our own starter would lie. */
	envset_unset(v, "IMGQ_MAX_REQUESTS");
	envset_unset(v, "IMGQ_READY_FD");
	if (put_num(v, "IMGQ_PREFORK_SLOT", slot, e) == -1 ||
	    (requests > 0 &&
	    put_num(v, "IMGQ_MAX_REQUESTS", requests, e) == -1) ||
	    (ready_fd > 0 && put_num(v, "IMGQ_READY_FD", ready_fd, e) == -1)) {
		envset_free(v);
		return -1;
	}
	return 0;
}
