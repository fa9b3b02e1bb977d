/*
 * cred.c: the S3 credentials of the jobs.  imgq-pop resolves them once
 * with the S3 tools' own chain (s3put(1)), refreshes those that expire
 * (container, instance metadata) ahead of their expiry, and hands them to
 * each job in a file of its scratch folder, mode 0600, named by
 * IMGQ_S3_CREDENTIALS_FILE: the S3 tools of a job neither repeat the
 * lookup (files, HTTP to a metadata service) nor find a key in any
 * environment, the decoder's included.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "pop.h"
#include "s3.h"
#include "s3_cred.h"
#include "sys.h"

#define CRED_NAME	".s3-credentials"
#define CRED_VAR	"IMGQ_S3_CREDENTIALS_FILE"
/* Refreshed this long before they expire; the tools re-read the file
 * five minutes before (s3_req_start). */
#define REFRESH_AHEAD_S	900
/* After a refresh that failed or gave no later expiry. */
#define RETRY_MS	30000

static struct s3_conf cred;
static int have;
static uint64_t next_try;

void
pop_cred_init(void)
{
	struct err e;

	err_clear(&e);
	if (s3_conf_from_env_opt(&cred, &e) == -1) {
		/* Instance metadata is tried unasked, last: off EC2 its
		 * silence is no news. */
		if (cred.cred_source == S3_CRED_IMDS &&
		    env_str("AWS_EC2_METADATA_SERVICE_ENDPOINT") == NULL)
			log_info("S3 credentials: %s; jobs get none", e.msg);
		else
			log_warn("S3 credentials: %s; jobs get none", e.msg);
		memset(&cred, 0, sizeof(cred));
		return;
	}
	have = cred.access_key[0] != '\0';
	if (!have)
		log_info("no S3 credentials found; jobs get none");
}

/* Writes the document beside its place, then renames it there. */
static int
write_doc(const char *path, struct err *e)
{
	char tmp[PATH_MAX];
	struct buf b = { 0 };
	int fd, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return err_set(e, EX_OSERR, "%s: path too long", path);
	if (s3_cred_doc(&cred, &b, e) == -1) {
		buf_free(&b);
		return -1;
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		err_errno(e, EX_OSERR, errno, "%s", tmp);
	else if (fchmod(fd, 0600) == -1 ||
	    sys_write_all(fd, b.p, b.len, NULL) == -1)
		err_errno(e, EX_OSERR, errno, "%s", tmp);
	else if (close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) == 0)
			rc = 0;
		else
			err_errno(e, EX_OSERR, errno, "%s", path);
	} else
		err_errno(e, EX_OSERR, errno, "%s", tmp);
	if (fd != -1)
		close(fd);
	if (rc == -1)
		(void)unlink(tmp);
	memset(b.p, 0, b.len);
	buf_free(&b);
	return rc;
}

static int
cred_path(const char *dir, char out[PATH_MAX], struct err *e)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/" CRED_NAME, dir) >=
	    PATH_MAX)
		return err_set(e, EX_OSERR, "%s: path too long", dir);
	return 0;
}

void
pop_cred_refresh(const char *dir)
{
	struct s3_conf fresh;
	char path[PATH_MAX];
	struct err e;
	uint64_t now;

	if (!have || cred.cred_expiry == 0 ||
	    time(NULL) + REFRESH_AHEAD_S < cred.cred_expiry ||
	    (now = sys_now_ms()) < next_try)
		return;
	err_clear(&e);
	fresh = cred;
	if (s3_cred_fetch(&fresh, &e) == -1) {
		log_warn("S3 credentials: refresh failed: %s", e.msg);
		next_try = now + RETRY_MS;
	} else {
		if (time(NULL) + REFRESH_AHEAD_S >= fresh.cred_expiry)
			next_try = now + RETRY_MS;
		cred = fresh;
		log_info("S3 credentials refreshed");
		if (dir != NULL && (cred_path(dir, path, &e) == -1 ||
		    write_doc(path, &e) == -1))
			log_warn("S3 credentials: %s", e.msg);
	}
	memset(&fresh, 0, sizeof(fresh));
}

int
pop_cred_put(struct envset *s, const char *dir, struct err *e)
{
	char path[PATH_MAX];

	/* The variable names the file of this run, nothing else. */
	envset_unset(s, CRED_VAR);
	if (!have)
		return 0;
	pop_cred_refresh(NULL);
	if (cred_path(dir, path, e) == -1 || write_doc(path, e) == -1 ||
	    envset_set(s, CRED_VAR, strlen(CRED_VAR), path, strlen(path),
	    e) == -1)
		return -1;
	/* A region the chain found in a config file goes with the keys. */
	if (envset_get(s, "AWS_REGION") == NULL &&
	    envset_get(s, "AWS_DEFAULT_REGION") == NULL &&
	    envset_set(s, "AWS_REGION", 10, cred.region, strlen(cred.region),
	    e) == -1)
		return -1;
	return 0;
}
