/*
 * fnv.h: the running hash (FNV-1a) a fuzz target keeps of what a parser
 * reported, so that a run over the whole input and one over fragments
 * can be compared in one number.
 */
#ifndef IMGQ_FNV_H
#define IMGQ_FNV_H

#include <stddef.h>
#include <stdint.h>

static void
fnv_mix(uint64_t *h, const void *d, size_t n)
{
	const unsigned char *p = d;
	size_t i;

	for (i = 0; i < n; i++)
		*h = (*h ^ p[i]) * 1099511628211ULL;
}

#endif
