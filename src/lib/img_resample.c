/*
 * img_resample.c: separable Lanczos-3 resampling of 8-bit pixels.
 *
 * GraphicsMagick's ResizeImage works on 16-bit quanta in double precision
 * and took 40 ms for 1280x800 to 1024x640, more than the JPEG decode that
 * precedes it.  This is the classic two-pass filter with the support
 * widened by the reduction factor (so it low-passes as it shrinks), its
 * weights computed once per output row or column and held in 14-bit fixed
 * point, and integer accumulation: the same filter, a fraction of the
 * time.  Pure: no GraphicsMagick here.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "img_int.h"

#define PREC	14
#define LOBES	3.0
#define PI	3.14159265358979323846

static double
sinc(double x)
{
	if (x == 0.0)
		return 1.0;
	x *= PI;
	return sin(x) / x;
}

static double
lanczos(double x)
{
	if (x <= -LOBES || x >= LOBES)
		return 0.0;
	return sinc(x) * sinc(x / LOBES);
}

struct taps {
	uint32_t	*first;	/* first source index of each output */
	uint32_t	*count;	/* taps of each output */
	int32_t		*w;	/* n * max weights */
	uint32_t	max;
};

static void
taps_free(struct taps *t)
{
	free(t->first);
	free(t->count);
	free(t->w);
}

/* Weights mapping in source samples onto out samples. */
static int
taps_make(struct taps *t, uint32_t in, uint32_t out)
{
	double scale = (double)in / out, fs = scale > 1.0 ? scale : 1.0;
	double support = LOBES * fs, centre, sum, *wd;
	uint32_t i, k, kmax;
	long lo, hi;
	int32_t isum, *wi;

	memset(t, 0, sizeof(*t));
	t->max = (uint32_t)ceil(support) * 2 + 1;
	t->first = calloc(out, sizeof(*t->first));
	t->count = calloc(out, sizeof(*t->count));
	t->w = calloc((size_t)out * t->max, sizeof(*t->w));
	wd = calloc(t->max, sizeof(*wd));
	if (t->first == NULL || t->count == NULL || t->w == NULL ||
	    wd == NULL) {
		free(wd);
		taps_free(t);
		return -1;
	}
	for (i = 0; i < out; i++) {
		centre = (i + 0.5) * scale;
		lo = (long)floor(centre - support + 0.5);
		hi = (long)floor(centre + support + 0.5);
		if (lo < 0)
			lo = 0;
		if (hi > (long)in)
			hi = (long)in;
		if (hi - lo > (long)t->max)
			hi = lo + (long)t->max;
		sum = 0.0;
		for (k = 0; k < (uint32_t)(hi - lo); k++) {
			wd[k] = lanczos((lo + (long)k + 0.5 - centre) / fs);
			sum += wd[k];
		}
		if (sum == 0.0)
			sum = 1.0;
		/* fixed point; the rounding error goes to the largest tap */
		isum = 0;
		kmax = 0;
		wi = t->w + (size_t)i * t->max;
		for (k = 0; k < (uint32_t)(hi - lo); k++) {
			wi[k] = (int32_t)lrint(wd[k] / sum * (1 << PREC));
			isum += wi[k];
			if (wi[k] > wi[kmax])
				kmax = k;
		}
		wi[kmax] += (1 << PREC) - isum;
		t->first[i] = (uint32_t)lo;
		t->count[i] = (uint32_t)(hi - lo);
	}
	free(wd);
	return 0;
}

static uint8_t
clamp8(int32_t v)
{
	v = (v + (1 << (PREC - 1))) >> PREC;
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

int
img_resample8(const uint8_t *src, uint32_t sw, uint32_t sh, uint8_t *dst,
    uint32_t dw, uint32_t dh, int ch, struct err *e)
{
	struct taps tx, ty;
	uint8_t *mid;
	int32_t *racc;
	uint32_t x, y, k, c;
	int32_t acc[4];
	const int32_t *w;
	const uint8_t *p;
	size_t n = (size_t)ch;

	if (ch < 1 || ch > 4 || sw == 0 || sh == 0 || dw == 0 || dh == 0)
		return err_set(e, EX_SOFTWARE, "resample: bad arguments");
	mid = malloc((size_t)dw * sh * n);
	racc = malloc((size_t)dw * n * sizeof(*racc));
	if (mid == NULL || racc == NULL) {
		free(mid);
		free(racc);
		return err_set(e, EX_OSERR, "out of memory");
	}
	if (taps_make(&tx, sw, dw) == -1) {
		free(mid);
		free(racc);
		return err_set(e, EX_OSERR, "out of memory");
	}
	if (taps_make(&ty, sh, dh) == -1) {
		taps_free(&tx);
		free(mid);
		free(racc);
		return err_set(e, EX_OSERR, "out of memory");
	}
	/* horizontal: sw x sh -> dw x sh (loops unrolled for RGB and grey) */
	for (y = 0; y < sh; y++) {
		const uint8_t *row = src + (size_t)y * sw * n;
		uint8_t *o = mid + (size_t)y * dw * n;

		for (x = 0; x < dw; x++) {
			uint32_t cnt = tx.count[x];

			w = tx.w + (size_t)x * tx.max;
			p = row + (size_t)tx.first[x] * n;
			if (n == 3) {
				int32_t r = 0, g = 0, b = 0;

				for (k = 0; k < cnt; k++, p += 3) {
					r += w[k] * p[0];
					g += w[k] * p[1];
					b += w[k] * p[2];
				}
				o[0] = clamp8(r);
				o[1] = clamp8(g);
				o[2] = clamp8(b);
				o += 3;
			} else if (n == 1) {
				int32_t v = 0;

				for (k = 0; k < cnt; k++)
					v += w[k] * p[k];
				*o++ = clamp8(v);
			} else {
				memset(acc, 0, sizeof(acc));
				for (k = 0; k < cnt; k++, p += n)
					for (c = 0; c < n; c++)
						acc[c] += w[k] * p[c];
				for (c = 0; c < n; c++)
					*o++ = clamp8(acc[c]);
			}
		}
	}
	/* vertical: dw x sh -> dw x dh, a whole row at a time */
	for (y = 0; y < dh; y++) {
		uint8_t *o = dst + (size_t)y * dw * n;
		size_t rowlen = (size_t)dw * n, i;

		w = ty.w + (size_t)y * ty.max;
		memset(racc, 0, rowlen * sizeof(*racc));
		for (k = 0; k < ty.count[y]; k++) {
			p = mid + (size_t)(ty.first[y] + k) * rowlen;
			for (i = 0; i < rowlen; i++)
				racc[i] += w[k] * p[i];
		}
		for (i = 0; i < rowlen; i++)
			o[i] = clamp8(racc[i]);
	}
	free(racc);
	taps_free(&tx);
	taps_free(&ty);
	free(mid);
	return 0;
}
