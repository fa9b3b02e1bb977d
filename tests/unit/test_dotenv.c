/* Unit tests of the .env parser (src/lib/dotenv.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"
#include "exitcode.h"
#include "tap.h"

/* Parses text and joins the result with '|' (or "ERR code: msg"). */
static const char *
parsed(const char *text)
{
	static char out[4096];
	struct dotenv d;
	struct err e;
	size_t i, o = 0;
	int n;

	err_clear(&e);
	if (dotenv_parse(text, strlen(text), &d, &e) == -1) {
		(void)snprintf(out, sizeof(out), "ERR %d: %s", e.code, e.msg);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < d.n; i++) {
		n = snprintf(out + o, sizeof(out) - o, "%s%s", i ? "|" : "",
		    d.vars[i]);
		if (n < 0 || (size_t)n >= sizeof(out) - o)
			break;
		o += (size_t)n;
	}
	if (d.vars != NULL && d.vars[d.n] != NULL)
		(void)snprintf(out, sizeof(out), "not NULL-terminated");
	dotenv_free(&d);
	return out;
}

int
main(void)
{
	is_str(parsed(""), "", "empty file");
	is_str(parsed("# comment\n\n   \n\t# x\n"), "", "comments and blanks");
	is_str(parsed("A=1\nB=two words\n"), "A=1|B=two words", "unquoted");
	is_str(parsed("A=1\r\nB=2\r\n"), "A=1|B=2", "CRLF line ends");
	is_str(parsed("A = 1  \n"), "A=1", "blanks around = and after");
	is_str(parsed("A=x # note\nB=x#y\n"), "A=x|B=x#y",
	    "comment only after a blank");
	is_str(parsed("A=\nB=#c\n"), "A=|B=", "empty values");
	is_str(parsed("export REDIS_URL=redis://h:1/0\n"),
	    "REDIS_URL=redis://h:1/0", "export prefix");
	is_str(parsed("exportX=1\n"), "exportX=1", "a key that starts export");
	is_str(parsed("A='$HOME \\n \"q\"' # c\n"),
	    "A=$HOME \\n \"q\"", "single quotes are literal");
	is_str(parsed("A=\"a\\nb\\t\\\"c\\\" \\$d \\\\ \\x\"\n"),
	    "A=a\nb\t\"c\" $d \\ \\x", "double-quote escapes");
	is_str(parsed("A=\"#not a comment\"\n"), "A=#not a comment",
	    "# inside quotes");
	is_str(parsed("A=$(rm -rf /) `id` ${B}\n"), "A=$(rm -rf /) `id` ${B}",
	    "nothing is evaluated");
	is_str(parsed("A=1\nB=2\nA=3\n"), "A=3|B=2", "a later line wins");
	is_str(parsed("A_b9=x\n_=y"), "A_b9=x|_=y", "key characters, no "
	    "final newline");
	is_str(parsed("A=1\n9A=2\n"), "ERR 78: line 2: expected KEY=value",
	    "key cannot start with a digit");
	is_str(parsed("A B=1\n"), "ERR 78: line 1: expected KEY=value",
	    "blank inside a key");
	is_str(parsed("just words\n"), "ERR 78: line 1: expected KEY=value",
	    "no =");
	is_str(parsed("A='x\n"), "ERR 78: line 1: unterminated single quote",
	    "unterminated single quote");
	is_str(parsed("\nA=\"x\n"),
	    "ERR 78: line 2: unterminated double quote",
	    "unterminated double quote");
	is_str(parsed("A=\"x\" y\n"),
	    "ERR 78: line 1: text after the closing quote",
	    "text after a quote");
	{
		struct dotenv d;
		struct err e;
		static const char nul[] = "A=1\0B=2";

		err_clear(&e);
		is_int(dotenv_parse(nul, sizeof(nul) - 1, &d, &e), -1,
		    "a NUL byte is refused");
		is_str(e.msg, "holds a NUL byte", "NUL message");
		err_clear(&e);
		is_int(dotenv_load("/nonexistent/.env", &d, &e), -1,
		    "missing file");
		is_int(e.code, EX_CONFIG, "missing file is EX_CONFIG");
		is_str(e.msg, "/nonexistent/.env: No such file or directory",
		    "missing file message");
	}
	{
		/* More than the variable limit. */
		size_t cap = (DOTENV_MAX_VARS + 1) * 16, o = 0;
		char *big = malloc(cap);
		int i;

		for (i = 0; i <= DOTENV_MAX_VARS && big != NULL; i++)
			o += (size_t)snprintf(big + o, cap - o, "K%d=v\n", i);
		ok(big != NULL && strncmp(parsed(big), "ERR 78: line 4097: "
		    "more than 4096 variables", 43) == 0, "variable limit");
		free(big);
	}
	return tap_done();
}
