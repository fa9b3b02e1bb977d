/*
 * sandbox.h: the seccomp filter imgq-resize runs its decoders under.
 *
 * Once the input and output descriptors are open, only what decoding,
 * encoding and writing to those descriptors need is left: reading and
 * writing open descriptors, memory (never executable), threads, time,
 * signals to itself, exit.  A file that could still be opened (open,
 * openat, access, stat: GraphicsMagick and glibc probe for optional
 * configuration) fails with EPERM and the code goes on without it; any
 * other call (execve, socket, connect, fork, ptrace, kill...) ends the
 * process at once with one line naming the call and exit 70.  See
 * imgq-resize(1), SECURITY in imgq(7).
 */
#ifndef IMGQ_RESIZE_SANDBOX_H
#define IMGQ_RESIZE_SANDBOX_H

#include "err.h"

/*
 * Installs the filter on the calling process (every thread) for good.
 * Fails with EX_OSERR (and the process unchanged) where the kernel or
 * libseccomp refuses it.
 */
int	sandbox_enter(struct err *);

#endif
