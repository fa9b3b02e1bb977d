/*
 * job_scratch.h: the private scratch folder of one run of a job's command.
 *
 * imgq-pop makes one folder per run under a base folder (TMPDIR or /tmp),
 * named JOB_SCRATCH_PREFIX and 12 random characters, mode 0700, and holds
 * an exclusive flock(2) on the folder itself for as long as it exists.
 * The lock tells a folder in use from one left behind by a killed
 * imgq-pop: job_scratch_sweep removes every such folder of this user whose
 * lock it can take, and a folder is only ever removed under its lock.
 * (A lock on the folder, not on a file in it, so the command gets an empty
 * folder and cannot lose the lock by emptying it.)
 *
 * Removal works on descriptors (openat, unlinkat): it never follows a
 * symbolic link, never enters another mount (file system or bind mount),
 * makes a sub-folder the command made unreadable readable again, and stops
 * at JOB_SCRATCH_DEPTH levels.
 *
 * Errors: EX_CONFIG when the base folder is missing, not a folder or not
 * writable; EX_TEMPFAIL when it is full; EX_OSERR otherwise.
 */
#ifndef IMGQ_JOB_SCRATCH_H
#define IMGQ_JOB_SCRATCH_H

#include <limits.h>
#include <sys/types.h>

#include "err.h"

#define JOB_SCRATCH_PREFIX	"imgq-pop."
#define JOB_SCRATCH_DEPTH	128	/* levels of sub-folders removed */
/* A folder's name: the prefix, 12 random characters, NUL. */
#define JOB_SCRATCH_NAME_SIZE	(sizeof(JOB_SCRATCH_PREFIX) + 12)

struct job_scratch {
	int	base;			/* the base folder, -1: not open */
	dev_t	base_dev;
	int	fd;			/* the current folder (locked), or -1 */
	int	gone;			/* the last one removed, or -1 */
	int	spare;			/* made ahead (locked), or -1 */
	char	spare_name[JOB_SCRATCH_NAME_SIZE];
	char	path[PATH_MAX];		/* its absolute path, while fd != -1 */
	size_t	base_len;		/* the base's part of path, with '/' */
};

/*
 * Opens the base folder (dir NULL or empty: /tmp).  The folders' paths
 * are made absolute from it (realpath).
 */
int	job_scratch_open(struct job_scratch *, const char *dir, struct err *);

/*
 * Makes and locks a new folder (or takes the one made ahead); s->path is
 * its path.
 */
int	job_scratch_make(struct job_scratch *, struct err *);

/*
 * Makes the next folder ahead of time (once; then make takes it), so
 * that a caller can do the work while it waits or while a command runs.
 * It is empty, locked and not yet given to anyone; close removes it.
 */
int	job_scratch_prepare(struct job_scratch *, struct err *);

/*
 * Removes the current folder with all it holds.  On failure the folder is
 * unlocked (a later sweep retries).  On success its descriptor is kept
 * until job_scratch_release (or the next remove, or close): the last
 * close of a removed folder frees its inode, which on ext4 costs more
 * than all the rest, so a caller can do it off its critical path (while
 * the next command runs).  The folder has no name by then: no sweep can
 * see it, and nothing of it is visible.
 */
int	job_scratch_remove(struct job_scratch *, struct err *);
void	job_scratch_release(struct job_scratch *);

/*
 * Removes the folders of the base left by runs that are gone (their lock
 * is free); *n gets how many.  Folders of other users, folders on another
 * file system and symbolic links are left alone.
 */
int	job_scratch_sweep(struct job_scratch *, long long *n, struct err *);

/*
 * Removes the folder made ahead (if any), unlocks and forgets the current
 * one (if any), and closes the base.
 */
void	job_scratch_close(struct job_scratch *);

/*
 * Removes everything in the folder open as fd (not the folder itself),
 * staying on the mount of fd.  Returns 0, or -1 with the first failure.
 */
int	job_rmtree_in(int fd, struct err *);

#endif
