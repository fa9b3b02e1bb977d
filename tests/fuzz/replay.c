/*
 * replay.c: runs a libFuzzer target without libFuzzer, over files or
 * folders named on the command line (the seed corpus in make check).
 * Each input is fed once whole and, for targets that read in fragments,
 * through the target's own fragmenting; prints one TAP line per input.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int n;

static int
run_file(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, r;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		printf("not ok %d - %s: cannot open\n", ++n, path);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		r = fread(buf + len, 1, cap - len, f);
		if (r == 0)
			break;
		len += r;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %d - %s\n", ++n, path);
	fflush(stdout);
	return 0;
}

static int
run(const char *path)
{
	struct dirent **ents;
	struct stat st;
	char sub[4096];
	int i, k, fails = 0;

	if (stat(path, &st) == -1) {
		printf("not ok %d - %s: missing\n", ++n, path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	k = scandir(path, &ents, NULL, alphasort);
	for (i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    snprintf(sub, sizeof(sub), "%s/%s", path,
		    ents[i]->d_name) < (int)sizeof(sub))
			fails += run(sub);
		free(ents[i]);
	}
	free(ents);
	return fails;
}

int
main(int argc, char **argv)
{
	int i, fails = 0;

	for (i = 1; i < argc; i++)
		fails += run(argv[i]);
	printf("1..%d\n", n);
	return fails != 0;
}
