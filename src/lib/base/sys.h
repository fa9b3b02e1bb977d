/*
 * sys.h: small process and descriptor helpers every program uses.
 */
#ifndef IMGQ_SYS_H
#define IMGQ_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/*
 * Makes descriptors 0, 1 and 2 sane: each one that is closed is opened on
 * /dev/null, so that a later open() cannot land on them.  Returns -1 when
 * that fails (then nothing can be reported safely).
 */
int	sys_sane_fds(void);

/* Ignores SIGPIPE (network tools get EPIPE instead). */
void	sys_ignore_sigpipe(void);

/* Writes all of buf, retrying on EINTR and short writes. */
int	sys_write_all(int, const void *, size_t, struct err *);

/* Milliseconds of CLOCK_MONOTONIC and of the real clock. */
uint64_t sys_now_ms(void);
uint64_t sys_wall_ms(void);

/* n random bytes from getrandom(2); -1 on failure. */
int	sys_random(void *, size_t, struct err *);

#endif
