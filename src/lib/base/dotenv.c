#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dotenv.h"
#include "exitcode.h"

/* The value being built: grows as needed, bounded by the file's size. */
struct val {
	char	*p;
	size_t	 len, cap;
};

static int
val_add(struct val *v, char c)
{
	char *np;

	if (v->len + 1 >= v->cap) {
		v->cap = v->cap == 0 ? 64 : v->cap * 2;
		if ((np = realloc(v->p, v->cap)) == NULL)
			return -1;
		v->p = np;
	}
	v->p[v->len++] = c;
	v->p[v->len] = '\0';
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_key_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_key_char(char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9');
}

/* After a closing quote only blanks and a comment may follow. */
static int
rest_is_empty(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	return s == end || *s == '#';
}

/* Adds or replaces "key=value" in d. */
static int
put(struct dotenv *d, const char *key, size_t klen, const char *val,
    size_t vlen, struct err *e, unsigned line)
{
	char *s, **nv;
	size_t i;

	if ((s = malloc(klen + vlen + 2)) == NULL)
		return err_errno(e, EX_OSERR, ENOMEM, "line %u", line);
	memcpy(s, key, klen);
	s[klen] = '=';
	if (vlen > 0)
		memcpy(s + klen + 1, val, vlen);
	s[klen + 1 + vlen] = '\0';
	for (i = 0; i < d->n; i++)
		if (strncmp(d->vars[i], s, klen + 1) == 0) {
			free(d->vars[i]);
			d->vars[i] = s;
			return 0;
		}
	if (d->n >= DOTENV_MAX_VARS) {
		free(s);
		return err_set(e, EX_CONFIG, "line %u: more than %d variables",
		    line, DOTENV_MAX_VARS);
	}
	if ((nv = realloc(d->vars, (d->n + 2) * sizeof(*nv))) == NULL) {
		free(s);
		return err_errno(e, EX_OSERR, ENOMEM, "line %u", line);
	}
	d->vars = nv;
	d->vars[d->n++] = s;
	d->vars[d->n] = NULL;
	return 0;
}

/* Parses the value of one line, s..end, into v. */
static int
parse_value(const char *s, const char *end, struct val *v, struct err *e,
    unsigned line)
{
	const char *q;
	char c;

	if (s < end && *s == '\'') {
		for (q = s + 1; q < end && *q != '\''; q++)
			if (val_add(v, *q) == -1)
				return err_errno(e, EX_OSERR, ENOMEM, "line %u",
				    line);
		if (q == end)
			return err_set(e, EX_CONFIG,
			    "line %u: unterminated single quote", line);
		if (!rest_is_empty(q + 1, end))
			return err_set(e, EX_CONFIG,
			    "line %u: text after the closing quote", line);
		return 0;
	}
	if (s < end && *s == '"') {
		for (q = s + 1; q < end && *q != '"'; q++) {
			c = *q;
			if (c == '\\' && q + 1 < end) {
				switch (*++q) {
				case 'n': c = '\n'; break;
				case 'r': c = '\r'; break;
				case 't': c = '\t'; break;
				case '\\': case '"': case '$': c = *q; break;
				default:
					if (val_add(v, '\\') == -1)
						goto nomem;
					c = *q;
					break;
				}
			}
			if (val_add(v, c) == -1)
				goto nomem;
		}
		if (q == end)
			return err_set(e, EX_CONFIG,
			    "line %u: unterminated double quote", line);
		if (!rest_is_empty(q + 1, end))
			return err_set(e, EX_CONFIG,
			    "line %u: text after the closing quote", line);
		return 0;
	}
	/* Unquoted: up to a comment that follows a blank, trimmed. */
	for (q = s; q < end; q++)
		if (*q == '#' && (q == s || is_blank(q[-1])))
			break;
	while (q > s && is_blank(q[-1]))
		q--;
	for (; s < q; s++)
		if (val_add(v, *s) == -1)
			goto nomem;
	return 0;
nomem:
	return err_errno(e, EX_OSERR, ENOMEM, "line %u", line);
}

static int
parse_line(const char *s, const char *end, struct dotenv *d, struct err *e,
    unsigned line)
{
	struct val v = { NULL, 0, 0 };
	const char *key;
	size_t klen;
	int r;

	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s == '#')
		return 0;
	if (end - s > 7 && memcmp(s, "export", 6) == 0 && is_blank(s[6])) {
		s += 7;
		while (s < end && is_blank(*s))
			s++;
	}
	if (s == end || !is_key_start(*s))
		return err_set(e, EX_CONFIG, "line %u: expected KEY=value",
		    line);
	key = s;
	while (s < end && is_key_char(*s))
		s++;
	klen = (size_t)(s - key);
	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s != '=')
		return err_set(e, EX_CONFIG, "line %u: expected KEY=value",
		    line);
	s++;
	while (s < end && is_blank(*s))
		s++;
	if (parse_value(s, end, &v, e, line) == -1) {
		free(v.p);
		return -1;
	}
	r = put(d, key, klen, v.p == NULL ? "" : v.p, v.len, e, line);
	free(v.p);
	return r;
}

int
dotenv_parse(const char *buf, size_t len, struct dotenv *d, struct err *e)
{
	const char *s = buf, *end = buf + len, *nl, *le;
	unsigned line = 0;

	d->vars = NULL;
	d->n = 0;
	if (len > DOTENV_MAX_BYTES)
		return err_set(e, EX_CONFIG, "larger than %d bytes",
		    DOTENV_MAX_BYTES);
	if (memchr(buf, '\0', len) != NULL)
		return err_set(e, EX_CONFIG, "holds a NUL byte");
	while (s < end) {
		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		le = nl != NULL ? nl : end;
		if (le > s && le[-1] == '\r')
			le--;
		if (parse_line(s, le, d, e, line) == -1) {
			dotenv_free(d);
			return -1;
		}
		s = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

int
dotenv_load(const char *path, struct dotenv *d, struct err *e)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	d->vars = NULL;
	d->n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_errno(e, EX_CONFIG, errno, "%s", path);
	if ((buf = malloc(DOTENV_MAX_BYTES + 1)) == NULL) {
		(void)close(fd);
		return err_errno(e, EX_OSERR, ENOMEM, "%s", path);
	}
	for (;;) {
		n = read(fd, buf + len, DOTENV_MAX_BYTES + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = err_errno(e, EX_CONFIG, errno, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > DOTENV_MAX_BYTES) {
			r = err_set(e, EX_CONFIG, "%s: larger than %d bytes",
			    path, DOTENV_MAX_BYTES);
			goto out;
		}
	}
	r = dotenv_parse(buf, len, d, e);
	if (r == -1)
		(void)err_prefix(e, "%s", path);
out:
	free(buf);
	(void)close(fd);
	return r;
}

void
dotenv_free(struct dotenv *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->vars[i]);
	free(d->vars);
	d->vars = NULL;
	d->n = 0;
}
