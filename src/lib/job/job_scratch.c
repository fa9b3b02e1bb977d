/*
 * job_scratch.c: a private, locked scratch folder per run of a command,
 * and its removal by descriptors (see job_scratch.h).
 */
#define _GNU_SOURCE	/* statx, STATX_MNT_ID */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "job_scratch.h"
#include "sys.h"

#define NAME_RANDOM	12	/* random characters after the prefix */
#define MAKE_TRIES	8

#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | \
	O_NONBLOCK)

static int
errno_class(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		return EX_TEMPFAIL;
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
		return EX_CONFIG;
	default:
		return EX_OSERR;
	}
}

/*
 * The mount a descriptor is on: the mount id where the kernel tells it
 * (so a bind mount of the same file system counts as another), else the
 * device.
 */
static int
mount_of(int fd, uint64_t *id)
{
	struct statx sx;
	struct stat st;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID,
	    &sx) == 0 && (sx.stx_mask & STATX_MNT_ID)) {
		*id = sx.stx_mnt_id | (uint64_t)1 << 63;
		return 0;
	}
	if (fstat(fd, &st) == -1)
		return -1;
	*id = (uint64_t)st.st_dev;
	return 0;
}

/* Opens sub-folder name of fd; makes it searchable when we own it. */
static int
open_sub(int fd, const char *name)
{
	int sub;

	sub = openat(fd, name, DIR_FLAGS);
	if (sub == -1 && errno == EACCES &&
	    fchmodat(fd, name, S_IRWXU, 0) == 0)
		sub = openat(fd, name, DIR_FLAGS);
	return sub;
}

static void
rm_fail(struct err *e, int *failed, int err, const char *what,
    const char *name)
{
	if (!*failed && err == 0) {
		*failed = 1;
		err_set(e, EX_OSERR, "%s %s", what, name);
	} else if (!*failed) {
		*failed = 1;
		err_errno(e, errno_class(err) == EX_CONFIG ? EX_OSERR :
		    errno_class(err), err, "%s %s", what, name);
	}
}

static int	rm_in(int, uint64_t, int, int *, struct err *);

/* Removes entry name of fd (a folder with what it holds). */
static void
rm_entry(int fd, const char *name, int isdir, uint64_t mnt, int depth,
    int *failed, struct err *e)
{
	uint64_t m;
	int sub;

	if (!isdir) {
		if (unlinkat(fd, name, 0) == 0 || errno == ENOENT)
			return;
		if (errno != EISDIR) {
			rm_fail(e, failed, errno, "cannot remove", name);
			return;
		}
	}
	if (depth >= JOB_SCRATCH_DEPTH) {
		rm_fail(e, failed, 0, "folders nested too deep at", name);
		return;
	}
	if ((sub = open_sub(fd, name)) == -1) {
		/* Replaced by a symbolic link or a file meanwhile. */
		if (errno == ELOOP || errno == ENOTDIR) {
			if (unlinkat(fd, name, 0) == -1 && errno != ENOENT)
				rm_fail(e, failed, errno, "cannot remove",
				    name);
		} else if (errno != ENOENT)
			rm_fail(e, failed, errno, "cannot open", name);
		return;
	}
	if (mount_of(sub, &m) == -1 || m != mnt) {
		(void)close(sub);
		rm_fail(e, failed, 0, "not entering another mount at", name);
		return;
	}
	(void)rm_in(sub, mnt, depth + 1, failed, e);
	(void)close(sub);
	if (unlinkat(fd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rm_fail(e, failed, errno, "cannot remove", name);
}

/*
 * Removes what fd holds.  Passes over the folder again while the last
 * pass removed something (entries removed during readdir may hide others),
 * a bounded number of times.
 */
static int
rm_in(int fd, uint64_t mnt, int depth, int *failed, struct err *e)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd, pass, seen, isdir;

	for (pass = 0; pass < 4; pass++) {
		/* A description of its own: readdir moves its offset. */
		if ((dfd = openat(fd, ".", DIR_FLAGS)) == -1) {
			rm_fail(e, failed, errno, "cannot open", ".");
			return -1;
		}
		if ((d = fdopendir(dfd)) == NULL) {
			rm_fail(e, failed, errno, "cannot read", ".");
			(void)close(dfd);
			return -1;
		}
		seen = 0;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			seen++;
			isdir = de->d_type == DT_DIR;
			if (de->d_type == DT_UNKNOWN &&
			    fstatat(fd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
				isdir = S_ISDIR(st.st_mode);
			rm_entry(fd, de->d_name, isdir, mnt, depth, failed, e);
		}
		(void)closedir(d);
		if (seen == 0 || *failed)
			break;
	}
	return *failed ? -1 : 0;
}

int
job_rmtree_in(int fd, struct err *e)
{
	uint64_t mnt;
	int failed = 0;

	if (mount_of(fd, &mnt) == -1)
		return err_errno(e, EX_OSERR, errno, "fstat");
	return rm_in(fd, mnt, 0, &failed, e);
}

int
job_scratch_open(struct job_scratch *s, const char *dir, struct err *e)
{
	struct stat st;
	char *real;
	int n;

	s->base = -1;
	s->fd = -1;
	s->gone = -1;
	s->spare = -1;
	s->path[0] = '\0';
	s->spare_name[0] = '\0';
	s->base_len = 0;
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((real = realpath(dir, NULL)) == NULL)
		return err_errno(e, errno_class(errno), errno,
		    "temporary folder %s", dir);
	n = snprintf(s->path, sizeof(s->path), "%s/", strcmp(real, "/") ?
	    real : "");
	free(real);
	if (n < 0 || (size_t)n + sizeof(JOB_SCRATCH_PREFIX) + NAME_RANDOM >=
	    sizeof(s->path)) {
		s->path[0] = '\0';
		return err_set(e, EX_CONFIG, "temporary folder %s: path too "
		    "long", dir);
	}
	s->base_len = (size_t)n;
	if ((s->base = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || fstat(s->base, &st) == -1 ||
	    faccessat(s->base, ".", W_OK | X_OK, AT_EACCESS) == -1) {
		err_errno(e, errno_class(errno), errno, "temporary folder %s",
		    dir);
		if (s->base != -1)
			(void)close(s->base);
		s->base = -1;
		s->path[0] = '\0';
		return -1;
	}
	s->base_dev = st.st_dev;
	return 0;
}

/* The name part of s->path (after the base). */
static const char *
name_of(const struct job_scratch *s)
{
	return s->path + s->base_len;
}

/*
 * 1 when fd is still the folder called name in base (not removed); *st
 * gets its status.
 */
static int
still_there(const struct job_scratch *s, int fd, const char *name,
    struct stat *st)
{
	struct stat b;

	if (fstat(fd, st) == -1 || st->st_nlink == 0 ||
	    fstatat(s->base, name, &b, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return st->st_dev == b.st_dev && st->st_ino == b.st_ino;
}

/*
 * Makes and locks a folder; name (JOB_SCRATCH_NAME_SIZE) gets its name.
 * Returns its descriptor, or -1.
 */
static int
make_one(struct job_scratch *s, char *name, struct err *e)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[NAME_RANDOM];
	struct stat st;
	size_t i;
	int tries, fd;

	for (tries = 0; tries < MAKE_TRIES; tries++) {
		if (sys_random(rnd, sizeof(rnd), e) == -1)
			return -1;
		memcpy(name, JOB_SCRATCH_PREFIX, sizeof(JOB_SCRATCH_PREFIX) - 1);
		for (i = 0; i < NAME_RANDOM; i++)
			name[sizeof(JOB_SCRATCH_PREFIX) - 1 + i] =
			    set[rnd[i] % (sizeof(set) - 1)];
		name[sizeof(JOB_SCRATCH_PREFIX) - 1 + NAME_RANDOM] = '\0';
		if (mkdirat(s->base, name, S_IRWXU) == -1) {
			if (errno == EEXIST)
				continue;
			goto fail;
		}
		if ((fd = openat(s->base, name, DIR_FLAGS)) == -1) {
			if (errno == ENOENT)	/* swept before we locked */
				continue;
			goto fail;
		}
		/*
		 * A sweep may have taken it between mkdir and the lock: then
		 * the lock is busy (the sweep leaves it empty and removes
		 * it), or free on a folder no longer there.  Make another.
		 * A file system without flock: go on unlocked; sweeps
		 * cannot lock it either, so they leave it alone.
		 */
		if (flock(fd, LOCK_EX | LOCK_NB) == -1 &&
		    errno == EWOULDBLOCK) {
			(void)close(fd);
			continue;
		}
		if (!still_there(s, fd, name, &st)) {
			(void)close(fd);
			continue;
		}
		/* Exactly 0700, whatever the umask. */
		if ((st.st_mode & 07777) != S_IRWXU &&
		    fchmod(fd, S_IRWXU) == -1) {
			int saved = errno;

			(void)unlinkat(s->base, name, AT_REMOVEDIR);
			(void)close(fd);
			errno = saved;
			goto fail;
		}
		return fd;
	}
	errno = EEXIST;
fail:
	err_errno(e, errno_class(errno), errno, "cannot make a scratch "
	    "folder in %.*s", (int)s->base_len, s->path);
	name[0] = '\0';
	return -1;
}

int
job_scratch_prepare(struct job_scratch *s, struct err *e)
{
	if (s->base == -1)
		return err_set(e, EX_SOFTWARE, "scratch: base not open");
	if (s->spare != -1)
		return 0;
	return (s->spare = make_one(s, s->spare_name, e)) == -1 ? -1 : 0;
}

int
job_scratch_make(struct job_scratch *s, struct err *e)
{
	char *name;

	if (s->base == -1)
		return err_set(e, EX_SOFTWARE, "scratch: base not open");
	if (s->fd != -1)
		return err_set(e, EX_SOFTWARE, "scratch: folder in use");
	name = s->path + s->base_len;
	if (s->spare != -1) {
		memcpy(name, s->spare_name, sizeof(s->spare_name));
		s->fd = s->spare;
		s->spare = -1;
		s->spare_name[0] = '\0';
		return 0;
	}
	return (s->fd = make_one(s, name, e)) == -1 ? -1 : 0;
}

/*
 * Empties the locked folder fd, called name in base, and removes it; mode
 * is its mode (the command may have taken our rights away).
 */
static int
remove_locked(const struct job_scratch *s, int fd, const char *name,
    mode_t mode, struct err *e)
{
	int tries;

	if ((mode & S_IRWXU) != S_IRWXU)
		(void)fchmod(fd, S_IRWXU);

	/*
	 * Mostly empty: one system call.  Else empty it and try again (a
	 * process the command left may still be writing there).
	 */
	for (tries = 0;; tries++) {
		if (unlinkat(s->base, name, AT_REMOVEDIR) == 0 ||
		    errno == ENOENT)
			return 0;
		if ((errno != ENOTEMPTY && errno != EEXIST) || tries == 3)
			break;
		if (job_rmtree_in(fd, e) == -1)
			return -1;
	}
	return err_errno(e, errno_class(errno) == EX_CONFIG ? EX_OSERR :
	    errno_class(errno), errno, "cannot remove %s", name);
}

int
job_scratch_remove(struct job_scratch *s, struct err *e)
{
	struct stat sst;
	int rc = 0;

	if (s->fd == -1)
		return 0;
	if (still_there(s, s->fd, name_of(s), &sst))
		rc = remove_locked(s, s->fd, name_of(s), sst.st_mode, e);
	/* Gone or renamed by the command: nothing of ours to remove. */
	job_scratch_release(s);
	if (rc == -1) {
		err_prefix(e, "scratch folder %s", s->path);
		(void)close(s->fd);
	} else
		s->gone = s->fd;
	s->fd = -1;
	s->path[s->base_len] = '\0';
	return rc;
}

/* 1 when the entry is a candidate: our prefix, then the random part. */
static int
is_ours(const char *name)
{
	size_t pl = sizeof(JOB_SCRATCH_PREFIX) - 1;

	return strncmp(name, JOB_SCRATCH_PREFIX, pl) == 0 &&
	    strlen(name + pl) == NAME_RANDOM;
}

int
job_scratch_sweep(struct job_scratch *s, long long *n, struct err *e)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd, fd, rc = 0;
	struct err fe;

	*n = 0;
	if (s->base == -1)
		return err_set(e, EX_SOFTWARE, "scratch: base not open");
	if ((dfd = openat(s->base, ".", DIR_FLAGS)) == -1 ||
	    (d = fdopendir(dfd)) == NULL) {
		err_errno(e, EX_OSERR, errno, "cannot read %.*s",
		    (int)s->base_len, s->path);
		if (dfd != -1)
			(void)close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_ours(de->d_name) || (de->d_type != DT_DIR &&
		    de->d_type != DT_UNKNOWN))
			continue;
		if ((s->fd != -1 && strcmp(de->d_name, name_of(s)) == 0) ||
		    (s->spare != -1 && strcmp(de->d_name, s->spare_name) == 0))
			continue;
		if ((fd = openat(s->base, de->d_name, DIR_FLAGS)) == -1)
			continue;	/* a link, or gone */
		if (fstat(fd, &st) == -1 || st.st_uid != geteuid() ||
		    st.st_dev != s->base_dev ||
		    flock(fd, LOCK_EX | LOCK_NB) == -1 ||
		    !still_there(s, fd, de->d_name, &st)) {
			(void)close(fd);
			continue;	/* not ours, in use, or gone */
		}
		err_clear(&fe);
		if (remove_locked(s, fd, de->d_name, st.st_mode, &fe) == 0)
			(*n)++;
		else if (rc == 0) {
			rc = -1;
			err_set(e, fe.code, "%s", fe.msg);
		}
		(void)close(fd);
	}
	(void)closedir(d);
	return rc;
}

void
job_scratch_release(struct job_scratch *s)
{
	if (s->gone != -1)
		(void)close(s->gone);
	s->gone = -1;
}

void
job_scratch_close(struct job_scratch *s)
{
	struct err e;

	job_scratch_release(s);
	if (s->spare != -1) {
		/* Nobody used it; if somebody put something in, empty it. */
		err_clear(&e);
		(void)remove_locked(s, s->spare, s->spare_name, S_IRWXU, &e);
		(void)close(s->spare);
		s->spare = -1;
	}
	if (s->fd != -1)
		(void)close(s->fd);
	if (s->base != -1)
		(void)close(s->base);
	s->fd = -1;
	s->base = -1;
	s->path[0] = '\0';
}
