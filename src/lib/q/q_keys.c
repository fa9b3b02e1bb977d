/*
 * q_keys.c: the names of a queue's keys (see q_int.h).
 */
#include <stdio.h>

#include "q_int.h"

const char *const q_key_suffix[QK_N] = {
	[QK_TAG] = "",
	[QK_QUEUE] = QK_S_QUEUE,
	[QK_C] = QK_S_C,
	[QK_CONSUMERS] = QK_S_CONSUMERS,
	[QK_BEATS] = QK_S_BEATS,
	[QK_DELAYED] = QK_S_DELAYED,
	[QK_DEAD] = QK_S_DEAD,
	[QK_DONE] = QK_S_DONE,
	[QK_JOB] = QK_S_JOB,
	[QK_IDEM] = QK_S_IDEM,
	[QK_IDEMREQ] = QK_S_IDEMREQ,
	[QK_EVENTS] = QK_S_EVENTS,
};

int
q_key(char *buf, size_t sz, const char *queue, enum q_key kind,
    const char *arg)
{
	int n;

	n = snprintf(buf, sz, "{%s}:%s%s", queue, q_key_suffix[kind],
	    arg != NULL ? arg : "");
	return n < 0 || (size_t)n >= sz ? -1 : n;
}
