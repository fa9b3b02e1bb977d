#include <stdlib.h>
#include <string.h>

#include "envset.h"
#include "exitcode.h"

static char *no_vars[] = { NULL };

void
envset_init(struct envset *s)
{
	memset(s, 0, sizeof(*s));
}

static int
grow(char ***v, size_t *cap, size_t want, struct err *e)
{
	size_t nc;
	char **nv;

	if (want <= *cap)
		return 0;
	nc = *cap == 0 ? 64 : *cap * 2;
	while (nc < want)
		nc *= 2;
	if ((nv = realloc(*v, nc * sizeof(*nv))) == NULL)
		return err_set(e, EX_OSERR, "environment: out of memory");
	*v = nv;
	*cap = nc;
	return 0;
}

/* The entry of the name that kv starts with (nl bytes, then '='). */
static size_t
find(const struct envset *s, const char *kv, size_t nl)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i][0] == kv[0] && strncmp(s->v[i], kv, nl + 1) == 0)
			return i;
	return s->n;
}

int
envset_put(struct envset *s, char *kv, struct err *e)
{
	size_t nl = strcspn(kv, "="), i;

	if (nl == 0 || kv[nl] != '=')
		return 0;
	if ((i = find(s, kv, nl)) < s->n) {
		s->v[i] = kv;
		return 0;
	}
	if (s->n == ENVSET_MAX)
		return err_set(e, EX_CONFIG, "environment: more than %d "
		    "variables", ENVSET_MAX);
	if (grow(&s->v, &s->cap, s->n + 2, e) == -1)
		return -1;
	s->v[s->n++] = kv;
	s->v[s->n] = NULL;
	return 0;
}

int
envset_put_all(struct envset *s, char *const *list, size_t n, struct err *e)
{
	size_t i;

	for (i = 0; i < n && list != NULL && list[i] != NULL; i++)
		if (envset_put(s, list[i], e) == -1)
			return -1;
	return 0;
}

int
envset_set(struct envset *s, const char *name, size_t nl, const void *val,
    size_t vl, struct err *e)
{
	char *kv;

	if (nl == 0 || memchr(name, '=', nl) != NULL ||
	    memchr(name, '\0', nl) != NULL ||
	    (vl > 0 && memchr(val, '\0', vl) != NULL))
		return err_set(e, EX_DATAERR, "environment: not a variable: "
		    "%.*s", (int)(nl > 64 ? 64 : nl), name);
	if (grow(&s->own, &s->owncap, s->nown + 1, e) == -1)
		return -1;
	if ((kv = malloc(nl + vl + 2)) == NULL)
		return err_set(e, EX_OSERR, "environment: out of memory");
	memcpy(kv, name, nl);
	kv[nl] = '=';
	if (vl > 0)
		memcpy(kv + nl + 1, val, vl);
	kv[nl + 1 + vl] = '\0';
	s->own[s->nown++] = kv;
	return envset_put(s, kv, e);
}

/* The entry of a name, or s->n. */
static size_t
find_name(const struct envset *s, const char *name)
{
	size_t nl = strlen(name), i;

	for (i = 0; i < s->n; i++)
		if (strncmp(s->v[i], name, nl) == 0 && s->v[i][nl] == '=')
			return i;
	return s->n;
}

void
envset_unset(struct envset *s, const char *name)
{
	size_t i = find_name(s, name);

	if (i == s->n)
		return;
	memmove(s->v + i, s->v + i + 1, (s->n - i) * sizeof(*s->v));
	s->n--;
}

const char *
envset_get(const struct envset *s, const char *name)
{
	size_t i = find_name(s, name);

	return i < s->n ? s->v[i] + strlen(name) + 1 : NULL;
}

char **
envset_envp(struct envset *s)
{
	return s->n > 0 ? s->v : no_vars;
}

void
envset_free(struct envset *s)
{
	while (s->nown > 0)
		free(s->own[--s->nown]);
	free(s->own);
	free(s->v);
	envset_init(s);
}
