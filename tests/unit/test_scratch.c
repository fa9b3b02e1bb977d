/* The scratch folders of imgq-pop: make, lock, remove, sweep. */
#define _DEFAULT_SOURCE

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "job_scratch.h"
#include "tap.h"

static char top[PATH_MAX];

static int
exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX * 2];
	FILE *f;

	(void)snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int
sub(char *out, size_t sz, const char *dir, const char *name)
{
	int n = snprintf(out, sz, "%s/%s", dir, name);

	return n > 0 && (size_t)n < sz ? 0 : -1;
}

/* Entries in a folder, but . and .. */
static int
count(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_make_remove(void)
{
	struct job_scratch s;
	struct err e;
	struct stat st;
	char p[PATH_MAX * 2], outside[PATH_MAX * 2], path[PATH_MAX];
	int fd, deep;

	err_clear(&e);
	ok(job_scratch_open(&s, top, &e) == 0, "open the base: %s", e.msg);
	ok(job_scratch_make(&s, &e) == 0, "make a folder: %s", e.msg);
	ok(strncmp(s.path, top, strlen(top)) == 0 &&
	    strncmp(s.path + strlen(top), "/imgq-pop.", 10) == 0 &&
	    strlen(s.path) == strlen(top) + 10 + 12, "named %s",
	    s.path);
	ok(stat(s.path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0700, "a folder of mode 0700");
	is_int(count(s.path), 0, "empty");
	fd = open(s.path, O_RDONLY | O_DIRECTORY);
	ok(fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1 &&
	    errno == EWOULDBLOCK, "locked while in use");
	if (fd != -1)
		close(fd);

	/* What a command may leave: files, folders, links out, no access. */
	(void)sub(outside, sizeof(outside), top, "outside");
	(void)mkdir(outside, 0755);
	put(outside, "keep", "keep me\n");
	put(s.path, "a", "a\n");
	put(s.path, ".hidden", "h\n");
	(void)sub(p, sizeof(p), s.path, "d");
	(void)mkdir(p, 0700);
	put(p, "b", "b\n");
	(void)sub(p, sizeof(p), s.path, "d/e");
	(void)mkdir(p, 0700);
	put(p, "c", "c\n");
	(void)chmod(p, 0);
	(void)sub(p, sizeof(p), s.path, "link-dir");
	ok(symlink(outside, p) == 0, "a link to a folder outside");
	(void)sub(p, sizeof(p), outside, "keep");
	(void)sub(path, sizeof(path), s.path, "link-file");
	ok(symlink(p, path) == 0, "a link to a file outside");
	(void)sub(p, sizeof(p), s.path, "fifo");
	(void)mkfifo(p, 0600);
	/* Deep, but within the limit. */
	(void)snprintf(p, sizeof(p), "%s", s.path);
	for (deep = 0; deep < 40; deep++) {
		size_t l = strlen(p);

		(void)snprintf(p + l, sizeof(p) - l, "/x");
		(void)mkdir(p, 0700);
	}
	memcpy(path, s.path, sizeof(path));
	ok(job_scratch_remove(&s, &e) == 0, "remove: %s", e.msg);
	ok(!exists(path), "the folder is gone");
	is_int(s.fd, -1, "no folder in use");
	(void)sub(p, sizeof(p), outside, "keep");
	ok(exists(p), "what links pointed to is untouched");
	is_int(count(outside), 1, "and nothing else went");

	/* A command that removed its own folder. */
	ok(job_scratch_make(&s, &e) == 0, "make again");
	ok(rmdir(s.path) == 0, "the command removes it");
	ok(job_scratch_remove(&s, &e) == 0, "remove copes: %s", e.msg);

	/* A command that renamed it away: not ours to remove. */
	ok(job_scratch_make(&s, &e) == 0, "make again");
	(void)sub(p, sizeof(p), top, "moved");
	ok(rename(s.path, p) == 0, "the command renames it");
	(void)mkdir(s.path, 0700);	/* and puts another in its place */
	memcpy(path, s.path, sizeof(path));
	ok(job_scratch_remove(&s, &e) == 0, "remove copes: %s", e.msg);
	ok(exists(p) && exists(path), "neither the moved one nor the "
	    "stranger is removed");
	(void)rmdir(p);
	(void)rmdir(path);
	(void)sub(p, sizeof(p), outside, "keep");
	(void)unlink(p);
	(void)rmdir(outside);
	job_scratch_close(&s);
}

static void
test_too_deep(void)
{
	struct job_scratch s;
	struct err e;
	char p[PATH_MAX * 2], path[PATH_MAX];
	int i, fd;

	err_clear(&e);
	ok(job_scratch_open(&s, top, &e) == 0 && job_scratch_make(&s, &e) ==
	    0, "a folder");
	memcpy(path, s.path, sizeof(path));
	(void)snprintf(p, sizeof(p), "%s", s.path);
	for (i = 0; i < JOB_SCRATCH_DEPTH + 2; i++) {
		size_t l = strlen(p);

		(void)snprintf(p + l, sizeof(p) - l, "/x");
		(void)mkdir(p, 0700);
	}
	ok(job_scratch_remove(&s, &e) == -1 && e.code == EX_OSERR &&
	    strstr(e.msg, "nested too deep") != NULL,
	    "past the depth limit: an error (%s)", e.msg);
	ok(exists(path), "the folder stays (for a later sweep)");
	/* Clean up from half way down, then the rest. */
	(void)snprintf(p, sizeof(p), "%s", path);
	for (i = 0; i < JOB_SCRATCH_DEPTH / 2; i++) {
		size_t l = strlen(p);

		(void)snprintf(p + l, sizeof(p) - l, "/x");
	}
	fd = open(p, O_RDONLY | O_DIRECTORY);
	ok(fd != -1 && job_rmtree_in(fd, &e) == 0, "the lower half");
	if (fd != -1)
		close(fd);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	ok(fd != -1 && job_rmtree_in(fd, &e) == 0 && rmdir(path) == 0,
	    "the upper half");
	if (fd != -1)
		close(fd);
	job_scratch_close(&s);
}

static void
test_sweep(void)
{
	struct job_scratch a, b;
	struct err e;
	char p[PATH_MAX * 2], left[PATH_MAX * 2], odd[PATH_MAX * 2];
	char target[PATH_MAX * 2];
	long long n = -1;

	err_clear(&e);
	ok(job_scratch_open(&a, top, &e) == 0 &&
	    job_scratch_open(&b, top, &e) == 0, "two users of one base");
	ok(job_scratch_make(&a, &e) == 0, "a live folder");
	put(a.path, "work", "w\n");
	/* Left by a killed run: the name of one, no lock. */
	(void)sub(left, sizeof(left), top, "imgq-pop.AbCdEfGh1234");
	(void)mkdir(left, 0700);
	put(left, "junk", "j\n");
	(void)sub(p, sizeof(p), left, "sub");
	(void)mkdir(p, 0700);
	put(p, "more", "m\n");
	/* Not of ours: other names, a link with our name. */
	(void)sub(odd, sizeof(odd), top, "imgq-pop.short");
	(void)mkdir(odd, 0700);
	(void)sub(target, sizeof(target), top, "target");
	(void)mkdir(target, 0700);
	put(target, "t", "t\n");
	(void)sub(p, sizeof(p), top, "imgq-pop.LinkLinkLink");
	ok(symlink(target, p) == 0, "a link with our name");

	ok(job_scratch_sweep(&b, &n, &e) == 0, "sweep: %s", e.msg);
	is_int(n, 1, "one folder removed");
	ok(!exists(left), "the one left behind");
	ok(exists(a.path) && count(a.path) == 1, "not the live one");
	ok(exists(odd), "not another name");
	ok(exists(p) && count(target) == 1, "not a link, nor where it points");
	ok(job_scratch_sweep(&a, &n, &e) == 0 && n == 0, "its own user "
	    "sweeps nothing");
	ok(exists(a.path), "and keeps its own");
	(void)unlink(p);
	(void)rmdir(odd);
	ok(job_scratch_remove(&a, &e) == 0, "remove the live one");
	job_scratch_close(&a);
	job_scratch_close(&b);
	(void)sub(p, sizeof(p), target, "t");
	(void)unlink(p);
	(void)rmdir(target);
}

static void
test_prepare(void)
{
	struct job_scratch s, o;
	struct err e;
	char spare[PATH_MAX * 2];
	long long n = -1;

	err_clear(&e);
	ok(job_scratch_open(&s, top, &e) == 0 && job_scratch_open(&o, top,
	    &e) == 0, "open");
	ok(job_scratch_prepare(&s, &e) == 0, "a folder made ahead");
	(void)sub(spare, sizeof(spare), top, s.spare_name);
	ok(exists(spare) && count(top) == 1, "it exists: %s", spare);
	ok(job_scratch_prepare(&s, &e) == 0 && count(top) == 1,
	    "once only");
	ok(job_scratch_sweep(&o, &n, &e) == 0 && n == 0 && exists(spare),
	    "a sweep leaves it (locked)");
	ok(job_scratch_make(&s, &e) == 0 && strcmp(s.path, spare) == 0,
	    "make takes it");
	ok(s.spare == -1 && s.spare_name[0] == '\0', "no spare left");
	ok(job_scratch_prepare(&s, &e) == 0 && count(top) == 2,
	    "the next one made while the first is in use");
	(void)sub(spare, sizeof(spare), top, s.spare_name);
	ok(job_scratch_remove(&s, &e) == 0 && count(top) == 1,
	    "remove the first");
	job_scratch_close(&s);
	ok(!exists(spare) && count(top) == 0, "close removes the spare");
	job_scratch_close(&o);
}

static void
test_errors(void)
{
	struct job_scratch s;
	struct err e;
	char p[PATH_MAX * 2];

	err_clear(&e);
	(void)sub(p, sizeof(p), top, "nope");
	ok(job_scratch_open(&s, p, &e) == -1 && e.code == EX_CONFIG,
	    "a missing base: 78 (%s)", e.msg);
	(void)sub(p, sizeof(p), top, "file");
	put(top, "file", "x\n");
	err_clear(&e);
	ok(job_scratch_open(&s, p, &e) == -1 && e.code == EX_CONFIG,
	    "a file as base: 78 (%s)", e.msg);
	(void)unlink(p);
	ok(job_scratch_open(&s, NULL, &e) == 0 &&
	    strncmp(s.path, "/tmp/", 5) == 0 && s.base_len == 5,
	    "no base: /tmp");
	job_scratch_close(&s);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");
	int n;

	n = snprintf(top, sizeof(top), "%s/test_scratch.XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(top) || mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_make_remove();
	test_too_deep();
	test_sweep();
	test_prepare();
	test_errors();
	is_int(count(top), 0, "nothing left in the test's folder");
	(void)rmdir(top);
	return tap_done();
}
