/*
 * img_resample.c: separable Lanczos-3 resampling of 8-bit pixels.
 *
 * GraphicsMagick's ResizeImage works on 16-bit quanta in double precision
 * and took 40 ms for 1280x800 to 1024x640, more than the JPEG decode that
 * precedes it.  This is the classic two-pass filter with the support
 * widened by the reduction factor (so it low-passes as it shrinks), its
 * weights computed once per output row or column and held in 14-bit fixed
 * point, and integer accumulation.  The vertical pass runs first, so the
 * horizontal one (the costlier per sample) sees only the output's rows;
 * both use SSE2 multiply-adds of 16-bit pairs (two taps at once) where
 * the compiler targets it, AVX2 where the processor has it, with a plain
 * C path for the rest.  The passes go a strip of output rows at a time,
 * and the source may come a row at a time (img_resample8_rows): a
 * decoder's rows are resampled as they come.  Pure: no GraphicsMagick
 * here.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_SSE2 1
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <tmmintrin.h>
#include <immintrin.h>
#define HAVE_SSSE3 1
#define HAVE_AVX2 1
#endif
#endif

#include "exitcode.h"
#include "img_int.h"

#define PREC	14
#define LOBES	3.0
#define PI	3.14159265358979323846
/* bytes after each buffer that a 4-byte pixel load may touch */
#define PAD	16

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

/*
 * Taps of every output sample: an even count (a zero weight pads an odd
 * one, so that taps go in pairs), weights in 16 bits.
 */
struct taps {
	uint32_t	*first;	/* first source index of each output */
	uint32_t	*count;	/* taps of each output, even */
	int16_t		*w;	/* out * max weights */
	uint32_t	max;
};

static void
taps_free(struct taps *t)
{
	free(t->first);
	free(t->count);
	free(t->w);
}

/*
 * Weights mapping in source samples onto out samples; the source spans
 * extent samples (in, or less when its last one is a partial box).
 */
static int
taps_make(struct taps *t, uint32_t in, double extent, uint32_t out)
{
	double scale = extent / out, fs = scale > 1.0 ? scale : 1.0;
	double support = LOBES * fs, centre, sum, *wd;
	uint32_t i, k, kmax, n;
	long lo, hi;
	int32_t isum, v;
	int16_t *wi;

	memset(t, 0, sizeof(*t));
	t->max = (uint32_t)ceil(support) * 2 + 2;
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
		if (hi - lo > (long)t->max - 1)
			hi = lo + (long)t->max - 1;
		n = (uint32_t)(hi - lo);
		sum = 0.0;
		for (k = 0; k < n; k++) {
			wd[k] = lanczos((lo + (long)k + 0.5 - centre) / fs);
			sum += wd[k];
		}
		if (sum == 0.0)
			sum = 1.0;
		/* fixed point; the rounding error goes to the largest tap */
		isum = 0;
		kmax = 0;
		wi = t->w + (size_t)i * t->max;
		for (k = 0; k < n; k++) {
			v = (int32_t)lrint(wd[k] / sum * (1 << PREC));
			wi[k] = (int16_t)v;
			isum += v;
			if (wi[k] > wi[kmax])
				kmax = k;
		}
		wi[kmax] = (int16_t)(wi[kmax] + (1 << PREC) - isum);
		if (n % 2 == 1) {
			/* a zero tap, before the first if there is room */
			if (lo > 0 && hi == (long)in) {
				memmove(wi + 1, wi, n * sizeof(*wi));
				wi[0] = 0;
				lo--;
			} else
				wi[n] = 0;
			n++;
		}
		t->first[i] = (uint32_t)lo;
		t->count[i] = n;
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

#ifdef HAVE_SSE2
/* Taps w[0] and w[1] in every 32-bit lane, for _mm_madd_epi16. */
static __m128i
pair(const int16_t *w)
{
	int32_t v;

	memcpy(&v, w, sizeof(v));
	return _mm_set1_epi32(v);
}
#endif

/*
 * Vertical: output rows y0 to y0 + dh - 1 (written from dst's first row
 * on, len bytes apart), each a weighted sum of len bytes of source rows
 * (row[y] + off), whatever the channels.  A padding tap may name the row
 * after the last: it has weight 0 and reads the last row.
 */
#ifdef HAVE_AVX2
/*
 * One output row of the vertical pass, 32 bytes a step with AVX2, up to
 * the last whole step; returns where it stopped.  The unpacks and packs
 * work within 128-bit lanes and undo each other, so bytes stay in order.
 */
__attribute__((target("avx2"))) static size_t
vrow_avx2(const uint8_t *const *row, size_t off, uint32_t sh, size_t len,
    uint8_t *o, const int16_t *w, uint32_t cnt, uint32_t f)
{
	const __m256i z = _mm256_setzero_si256(),
	    half = _mm256_set1_epi32(1 << (PREC - 1));
	const uint8_t *r0, *r1;
	__m256i a0, a1, a2, a3, va, vb, lo, hi, wp;
	uint32_t k;
	int32_t pw;
	size_t i;

	for (i = 0; i + 32 <= len; i += 32) {
		a0 = a1 = a2 = a3 = z;
		for (k = 0; k < cnt; k += 2) {
			r0 = row[f + k] + off;
			r1 = f + k + 1 < sh ? row[f + k + 1] + off : r0;
			va = _mm256_loadu_si256((const void *)(r0 + i));
			vb = _mm256_loadu_si256((const void *)(r1 + i));
			memcpy(&pw, w + k, sizeof(pw));
			wp = _mm256_set1_epi32(pw);
			lo = _mm256_unpacklo_epi8(va, vb);
			hi = _mm256_unpackhi_epi8(va, vb);
			a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(
			    _mm256_unpacklo_epi8(lo, z), wp));
			a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(
			    _mm256_unpackhi_epi8(lo, z), wp));
			a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(
			    _mm256_unpacklo_epi8(hi, z), wp));
			a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(
			    _mm256_unpackhi_epi8(hi, z), wp));
		}
		a0 = _mm256_srai_epi32(_mm256_add_epi32(a0, half), PREC);
		a1 = _mm256_srai_epi32(_mm256_add_epi32(a1, half), PREC);
		a2 = _mm256_srai_epi32(_mm256_add_epi32(a2, half), PREC);
		a3 = _mm256_srai_epi32(_mm256_add_epi32(a3, half), PREC);
		_mm256_storeu_si256((void *)(o + i), _mm256_packus_epi16(
		    _mm256_packs_epi32(a0, a1), _mm256_packs_epi32(a2, a3)));
	}
	return i;
}
#endif

static void
vpass(const uint8_t *const *row, size_t off, uint32_t sh, size_t len,
    uint8_t *dst, uint32_t y0, uint32_t dh, const struct taps *ty)
{
	uint32_t y, k;
	size_t i;
#ifdef HAVE_AVX2
	int avx2 = __builtin_cpu_supports("avx2");
#endif

	for (y = 0; y < dh; y++) {
		const int16_t *w = ty->w + (size_t)(y0 + y) * ty->max;
		uint8_t *o = dst + (size_t)y * len;
		uint32_t cnt = ty->count[y0 + y], f = ty->first[y0 + y];
		const uint8_t *rows[2];

		i = 0;
#ifdef HAVE_AVX2
		if (avx2)
			i = vrow_avx2(row, off, sh, len, o, w, cnt, f);
#endif
#ifdef HAVE_SSE2
		for (; i + 16 <= len; i += 16) {
			__m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0,
			    a3 = a0, z = a0, va, vb, lo, hi, wp;

			for (k = 0; k < cnt; k += 2) {
				rows[0] = row[f + k] + off;
				rows[1] = f + k + 1 < sh ? row[f + k + 1] +
				    off : rows[0];
				va = _mm_loadu_si128((const void *)(rows[0] + i));
				vb = _mm_loadu_si128((const void *)(rows[1] + i));
				wp = pair(w + k);
				lo = _mm_unpacklo_epi8(va, vb);
				hi = _mm_unpackhi_epi8(va, vb);
				a0 = _mm_add_epi32(a0, _mm_madd_epi16(
				    _mm_unpacklo_epi8(lo, z), wp));
				a1 = _mm_add_epi32(a1, _mm_madd_epi16(
				    _mm_unpackhi_epi8(lo, z), wp));
				a2 = _mm_add_epi32(a2, _mm_madd_epi16(
				    _mm_unpacklo_epi8(hi, z), wp));
				a3 = _mm_add_epi32(a3, _mm_madd_epi16(
				    _mm_unpackhi_epi8(hi, z), wp));
			}
			wp = _mm_set1_epi32(1 << (PREC - 1));
			a0 = _mm_srai_epi32(_mm_add_epi32(a0, wp), PREC);
			a1 = _mm_srai_epi32(_mm_add_epi32(a1, wp), PREC);
			a2 = _mm_srai_epi32(_mm_add_epi32(a2, wp), PREC);
			a3 = _mm_srai_epi32(_mm_add_epi32(a3, wp), PREC);
			_mm_storeu_si128((void *)(o + i), _mm_packus_epi16(
			    _mm_packs_epi32(a0, a1), _mm_packs_epi32(a2, a3)));
		}
#endif
		for (; i < len; i++) {
			int32_t acc = 0;

			for (k = 0; k < cnt; k++) {
				uint32_t r = f + k < sh ? f + k : sh - 1;

				acc += w[k] * row[r][off + i];
			}
			o[i] = clamp8(acc);
		}
	}
}

/*
 * Horizontal, RGB: two taps at a time, each pixel's three samples (and
 * one byte of the next, weighted but dropped) in one multiply-add.  The
 * load of a pixel reads four bytes: src has PAD bytes after its end.
 */
#ifdef HAVE_SSE2
static void
hpass3(const uint8_t *src, uint32_t sw, uint32_t sx0, uint32_t rows,
    uint8_t *dst, uint32_t x0, uint32_t dw, const struct taps *tx)
{
	const __m128i z = _mm_setzero_si128(),
	    half = _mm_set1_epi32(1 << (PREC - 1));
	uint32_t y, x, k, v;

	for (y = 0; y < rows; y++) {
		const uint8_t *row = src + (size_t)y * sw * 3;
		uint8_t *o = dst + (size_t)y * dw * 3;

		for (x = 0; x < dw; x++, o += 3) {
			const int16_t *w = tx->w + (size_t)(x0 + x) * tx->max;
			const uint8_t *p = row + (size_t)(tx->first[x0 + x] -
			    sx0) * 3;
			uint32_t cnt = tx->count[x0 + x], pa, pb;
			__m128i acc = _mm_setzero_si128(), px;

			for (k = 0; k < cnt; k += 2, p += 6) {
				memcpy(&pa, p, 4);
				memcpy(&pb, p + 3, 4);
				px = _mm_unpacklo_epi8(_mm_unpacklo_epi8(
				    _mm_cvtsi32_si128((int)pa),
				    _mm_cvtsi32_si128((int)pb)), z);
				acc = _mm_add_epi32(acc, _mm_madd_epi16(px,
				    pair(w + k)));
			}
			acc = _mm_srai_epi32(_mm_add_epi32(acc, half), PREC);
			acc = _mm_packs_epi32(acc, acc);
			v = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(acc,
			    acc));
			memcpy(o, &v, 3);
		}
	}
}
#endif

#ifdef HAVE_SSSE3
/*
 * The same with SSSE3, four taps a step: one 16-byte load covers five
 * pixels and two byte shuffles pair the samples of taps 0-1 and 2-3 for
 * the multiply-adds (the unpacks above need two loads for two taps).
 * The load reads up to 10 bytes past the row's last tap: PAD covers it.
 */
#define SHUF01	0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1
#define SHUF23	6, -1, 9, -1, 7, -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1

/* One output pixel from cnt taps at p, weights w. */
__attribute__((target("ssse3"))) static inline void
pixel3_ssse3(const uint8_t *p, const int16_t *w, uint32_t cnt, uint8_t *o)
{
	const __m128i m01 = _mm_setr_epi8(SHUF01), m23 = _mm_setr_epi8(SHUF23);
	__m128i acc = _mm_setzero_si128(), px;
	uint32_t k, v;

	for (k = 0; k + 4 <= cnt; k += 4, p += 12) {
		px = _mm_loadu_si128((const void *)p);
		acc = _mm_add_epi32(acc, _mm_madd_epi16(
		    _mm_shuffle_epi8(px, m01), pair(w + k)));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(
		    _mm_shuffle_epi8(px, m23), pair(w + k + 2)));
	}
	if (k < cnt) {
		px = _mm_loadu_si128((const void *)p);
		acc = _mm_add_epi32(acc, _mm_madd_epi16(
		    _mm_shuffle_epi8(px, m01), pair(w + k)));
	}
	acc = _mm_srai_epi32(_mm_add_epi32(acc,
	    _mm_set1_epi32(1 << (PREC - 1))), PREC);
	acc = _mm_packs_epi32(acc, acc);
	v = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(acc, acc));
	memcpy(o, &v, 3);
}

__attribute__((target("ssse3"))) static void
hpass3_ssse3(const uint8_t *src, uint32_t sw, uint32_t sx0, uint32_t rows,
    uint8_t *dst, uint32_t x0, uint32_t dw, const struct taps *tx)
{
	uint32_t y, x;

	for (y = 0; y < rows; y++) {
		const uint8_t *row = src + (size_t)y * sw * 3;
		uint8_t *o = dst + (size_t)y * dw * 3;

		for (x = x0; x < x0 + dw; x++, o += 3)
			pixel3_ssse3(row + (size_t)(tx->first[x] - sx0) * 3,
			    tx->w + (size_t)x * tx->max, tx->count[x], o);
	}
}
#endif

#ifdef HAVE_AVX2
/* Two 128-bit halves in one register: lo in lane 0, hi in lane 1. */
__attribute__((target("avx2"))) static inline __m256i
lanes(__m128i lo, __m128i hi)
{
	return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

/*
 * The SSSE3 step for two neighbouring output pixels at once, one in each
 * 128-bit lane (AVX2's byte shuffles stay within a lane); a pixel whose
 * tap count differs from its neighbour's (near an edge) goes alone.
 */
__attribute__((target("avx2"))) static void
hpass3_avx2(const uint8_t *src, uint32_t sw, uint32_t sx0, uint32_t rows,
    uint8_t *dst, uint32_t x0, uint32_t dw, const struct taps *tx)
{
	const __m256i m01 = _mm256_setr_epi8(SHUF01, SHUF01),
	    m23 = _mm256_setr_epi8(SHUF23, SHUF23),
	    half = _mm256_set1_epi32(1 << (PREC - 1));
	uint32_t y, x, k, cnt, v;
	__m256i acc, px;

	for (y = 0; y < rows; y++) {
		const uint8_t *row = src + (size_t)y * sw * 3;
		uint8_t *o = dst + (size_t)y * dw * 3;

		for (x = x0; x < x0 + dw; ) {
			const int16_t *wa = tx->w + (size_t)x * tx->max,
			    *wb = wa + tx->max;
			const uint8_t *pa = row + (size_t)(tx->first[x] - sx0) *
			    3, *pb;

			cnt = tx->count[x];
			if (x + 1 == x0 + dw || tx->count[x + 1] != cnt) {
				pixel3_ssse3(pa, wa, cnt, o);
				x++;
				o += 3;
				continue;
			}
			pb = row + (size_t)(tx->first[x + 1] - sx0) * 3;
			acc = _mm256_setzero_si256();
			for (k = 0; k + 4 <= cnt; k += 4, pa += 12, pb += 12) {
				px = lanes(_mm_loadu_si128((const void *)pa),
				    _mm_loadu_si128((const void *)pb));
				acc = _mm256_add_epi32(acc, _mm256_madd_epi16(
				    _mm256_shuffle_epi8(px, m01),
				    lanes(pair(wa + k), pair(wb + k))));
				acc = _mm256_add_epi32(acc, _mm256_madd_epi16(
				    _mm256_shuffle_epi8(px, m23),
				    lanes(pair(wa + k + 2), pair(wb + k + 2))));
			}
			if (k < cnt) {
				px = lanes(_mm_loadu_si128((const void *)pa),
				    _mm_loadu_si128((const void *)pb));
				acc = _mm256_add_epi32(acc, _mm256_madd_epi16(
				    _mm256_shuffle_epi8(px, m01),
				    lanes(pair(wa + k), pair(wb + k))));
			}
			acc = _mm256_srai_epi32(_mm256_add_epi32(acc, half),
			    PREC);
			acc = _mm256_packs_epi32(acc, acc);
			acc = _mm256_packus_epi16(acc, acc);
			v = (uint32_t)_mm_cvtsi128_si32(
			    _mm256_castsi256_si128(acc));
			memcpy(o, &v, 3);
			v = (uint32_t)_mm_cvtsi128_si32(
			    _mm256_extracti128_si256(acc, 1));
			memcpy(o + 3, &v, 3);
			x += 2;
			o += 6;
		}
	}
}
#endif

/* Horizontal, any channels, plain C. */
static void
hpass(const uint8_t *src, uint32_t sw, uint32_t sx0, uint32_t rows,
    uint8_t *dst, uint32_t x0, uint32_t dw, size_t n, const struct taps *tx)
{
	uint32_t y, x, k, c;
	int32_t acc[4];

	for (y = 0; y < rows; y++) {
		const uint8_t *row = src + (size_t)y * sw * n;
		uint8_t *o = dst + (size_t)y * dw * n;

		for (x = 0; x < dw; x++) {
			const int16_t *w = tx->w + (size_t)(x0 + x) * tx->max;
			uint32_t f = tx->first[x0 + x] - sx0;
			const uint8_t *p = row + (size_t)f * n;
			uint32_t cnt = tx->count[x0 + x];

			/* a padding tap past the row's end weighs 0 */
			if (f + cnt > sw)
				cnt = sw - f;
			memset(acc, 0, sizeof(acc));
			for (k = 0; k < cnt; k++, p += n)
				for (c = 0; c < n; c++)
					acc[c] += w[k] * p[c];
			for (c = 0; c < n; c++)
				*o++ = clamp8(acc[c]);
		}
	}
}

int
img_resample8(const uint8_t *src, uint32_t sw, uint32_t sh, uint8_t *dst,
    uint32_t dw, uint32_t dh, int ch, struct err *e)
{
	return img_resample8_win(src, sw, sh, dst, dw, dh, 0, 0, dw, dh, ch,
	    e);
}

/*
 * The mean of div samples summed to sum, rounded: a multiply by a 24-bit
 * reciprocal, exact for div < 256 (k up to 15); a division beyond.
 */
static uint8_t
mean8(uint32_t sum, uint32_t div, uint64_t inv)
{
	if (div >= 256)
		return (uint8_t)((sum + div / 2) / div);
	return (uint8_t)(((uint64_t)(sum + div / 2) * inv) >> 24);
}

static uint64_t
recip(uint32_t div)
{
	return ((1ULL << 24) + div - 1) / div;
}

/* acc[i] += p[i] for len samples. */
static void
rowsum(uint16_t *acc, const uint8_t *p, size_t len)
{
	size_t i = 0;
#ifdef HAVE_SSE2
	const __m128i z = _mm_setzero_si128();
	__m128i v;

	for (; i + 16 <= len; i += 16) {
		v = _mm_loadu_si128((const void *)(p + i));
		_mm_storeu_si128((void *)(acc + i), _mm_add_epi16(
		    _mm_loadu_si128((const void *)(acc + i)),
		    _mm_unpacklo_epi8(v, z)));
		_mm_storeu_si128((void *)(acc + i + 8), _mm_add_epi16(
		    _mm_loadu_si128((const void *)(acc + i + 8)),
		    _mm_unpackhi_epi8(v, z)));
	}
#endif
	for (; i < len; i++)
		acc[i] = (uint16_t)(acc[i] + p[i]);
}

/*
 * k x k box average (a partial block at the right or bottom edge is the
 * mean of what it has): the cheap first step of a large reduction.
 */
static uint8_t *
box(const uint8_t *src, uint32_t sw, uint32_t sh, size_t n, uint32_t k,
    uint32_t *bw, uint32_t *bh)
{
	uint32_t w = (sw + k - 1) / k, h = (sh + k - 1) / k, x, y, i, j, c;
	uint32_t rows, cols, div, sum;
	uint64_t inv;
	uint16_t *acc;	/* row sums: k <= 256, so 255 * k fits */
	uint8_t *out, *o;
	const uint8_t *p;
	const uint16_t *a;
	size_t rowlen = (size_t)sw * n;

	out = malloc((size_t)w * h * n + PAD);
	acc = malloc(rowlen * sizeof(*acc));
	if (out == NULL || acc == NULL) {
		free(out);
		free(acc);
		return NULL;
	}
	memset(out + (size_t)w * h * n, 0, PAD);
	*bw = w;
	*bh = h;
	for (y = 0; y < h; y++) {
		rows = sh - y * k < k ? sh - y * k : k;
		p = src + (size_t)y * k * rowlen;
		memset(acc, 0, rowlen * sizeof(*acc));
		for (j = 0; j < rows; j++, p += rowlen)
			rowsum(acc, p, rowlen);
		o = out + (size_t)y * w * n;
		div = rows * k;
		inv = recip(div);
		for (x = 0; x < w; x++) {
			cols = sw - x * k < k ? sw - x * k : k;
			if (cols < k) {
				div = rows * cols;
				inv = recip(div);
			}
			a = acc + (size_t)x * k * n;
			for (c = 0; c < n; c++) {
				for (sum = 0, i = 0; i < cols; i++)
					sum += a[(size_t)i * n + c];
				*o++ = mean8(sum, div, inv);
			}
		}
	}
	free(acc);
	return out;
}

/* The horizontal pass for rows of mid (mw samples from column sx0). */
static void
hpass_any(const uint8_t *mid, uint32_t mw, uint32_t sx0, uint32_t rows,
    uint8_t *dst, uint32_t wx, uint32_t ww, size_t n, const struct taps *tx)
{
#ifdef HAVE_AVX2
	if (n == 3 && __builtin_cpu_supports("avx2"))
		hpass3_avx2(mid, mw, sx0, rows, dst, wx, ww, tx);
	else
#endif
#ifdef HAVE_SSSE3
	if (n == 3 && __builtin_cpu_supports("ssse3"))
		hpass3_ssse3(mid, mw, sx0, rows, dst, wx, ww, tx);
	else
#endif
#ifdef HAVE_SSE2
	if (n == 3)
		hpass3(mid, mw, sx0, rows, dst, wx, ww, tx);
	else
#endif
		hpass(mid, mw, sx0, rows, dst, wx, ww, n, tx);
}

/*
 * Output rows a strip at a time: the vertical pass's result stays in the
 * cache for the horizontal one, and is never a buffer of the whole
 * window's rows (fresh pages cost a fault and a zeroing each).
 */
#define STRIP	16

/*
 * Where the vertical pass finds its source rows: row[y] for each of the
 * sh rows, or, with next set, rows read in order by next() into a ring of
 * nring rows as the strips come to need them.
 */
struct source {
	const uint8_t	**row;
	uint32_t	got;		/* rows in row[] so far */
	int		(*next)(void *, uint8_t *, struct err *);
	void		*ctx;
	uint8_t		*ring;
	uint32_t	nring;
};

/* Source rows the strip of rows y0 to y1 - 1 needs: lo to hi - 1. */
static void
strip_rows(const struct taps *ty, uint32_t sh, uint32_t y0, uint32_t y1,
    uint32_t *lo, uint32_t *hi)
{
	uint32_t y;

	*lo = sh;
	*hi = 0;
	for (y = y0; y < y1; y++) {
		if (ty->first[y] < *lo)
			*lo = ty->first[y];
		if (ty->first[y] + ty->count[y] > *hi)
			*hi = ty->first[y] + ty->count[y];
	}
	if (*hi > sh)
		*hi = sh;
}

/* Reads rows until the strip's last is in; the ring holds them all. */
static int
source_fill(struct source *sp, const struct taps *ty, uint32_t sh,
    size_t rowlen, uint32_t y0, uint32_t y1, struct err *e)
{
	uint32_t lo, hi;
	uint8_t *slot;

	if (sp->next == NULL)
		return 0;
	strip_rows(ty, sh, y0, y1, &lo, &hi);
	for (; sp->got < hi; sp->got++) {
		slot = sp->ring + (size_t)(sp->got % sp->nring) * rowlen;
		if (sp->next(sp->ctx, slot, e) == -1)
			return -1;
		sp->row[sp->got] = slot;
	}
	return 0;
}

/*
 * The ring's size: the most rows that must be in it at once, from the
 * first a strip needs to the last read so far.
 */
static uint32_t
source_span(const struct taps *ty, uint32_t sh, uint32_t y0, uint32_t wh)
{
	uint32_t y, lo, hi, top = 0, span = 1;

	for (y = 0; y < wh; y += STRIP) {
		strip_rows(ty, sh, y0 + y, y0 + (wh - y < STRIP ? wh :
		    y + STRIP), &lo, &hi);
		if (hi > top)
			top = hi;
		if (top > lo && top - lo > span)
			span = top - lo;
	}
	return span;
}

/* Lanczos for the window; the source spans ex x ey of its samples. */
static int
lanczos_win(struct source *sp, uint32_t sw, uint32_t sh, double ex,
    double ey, uint8_t *dst, uint32_t dw, uint32_t dh, uint32_t wx,
    uint32_t wy, uint32_t ww, uint32_t wh, size_t n, struct err *e)
{
	struct taps tx, ty;
	uint8_t *mid = NULL;
	uint32_t x, y, rows, sx0, sx1;
	size_t len, rowlen = (size_t)sw * n;
	int rc = -1;

	if (taps_make(&tx, sw, ex, dw) == -1)
		return err_set(e, EX_OSERR, "out of memory");
	if (taps_make(&ty, sh, ey, dh) == -1) {
		taps_free(&tx);
		return err_set(e, EX_OSERR, "out of memory");
	}
	/* the source columns the window's taps reach */
	sx0 = sw;
	sx1 = 0;
	for (x = wx; x < wx + ww; x++) {
		if (tx.first[x] < sx0)
			sx0 = tx.first[x];
		if (tx.first[x] + tx.count[x] > sx1)
			sx1 = tx.first[x] + tx.count[x];
	}
	if (sx1 > sw)
		sx1 = sw;
	len = (size_t)(sx1 - sx0) * n;
	if (sp->next != NULL) {
		sp->nring = source_span(&ty, sh, wy, wh);
		sp->ring = malloc((size_t)sp->nring * rowlen);
	}
	if ((mid = malloc(len * STRIP + PAD)) == NULL ||
	    (sp->next != NULL && sp->ring == NULL)) {
		err_set(e, EX_OSERR, "out of memory");
		goto done;
	}
	memset(mid + len * STRIP, 0, PAD);
	for (y = 0; y < wh; y += rows) {
		rows = wh - y < STRIP ? wh - y : STRIP;
		if (source_fill(sp, &ty, sh, rowlen, wy + y, wy + y + rows,
		    e) == -1)
			goto done;
		vpass(sp->row, (size_t)sx0 * n, sh, len, mid, wy + y, rows,
		    &ty);
		hpass_any(mid, sx1 - sx0, sx0, rows, dst + (size_t)y * ww * n,
		    wx, ww, n, &tx);
	}
	rc = 0;
done:
	taps_free(&tx);
	taps_free(&ty);
	free(mid);
	if (sp->next != NULL) {
		free(sp->ring);
		sp->ring = NULL;
	}
	return rc;
}

/* Lanczos for the window of an image in memory. */
static int
lanczos_mem(const uint8_t *src, uint32_t sw, uint32_t sh, double ex,
    double ey, uint8_t *dst, uint32_t dw, uint32_t dh, uint32_t wx,
    uint32_t wy, uint32_t ww, uint32_t wh, size_t n, struct err *e)
{
	struct source sp;
	uint32_t y;
	int rc;

	memset(&sp, 0, sizeof(sp));
	if ((sp.row = malloc((size_t)sh * sizeof(*sp.row))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	for (y = 0; y < sh; y++)
		sp.row[y] = src + (size_t)y * sw * n;
	rc = lanczos_win(&sp, sw, sh, ex, ey, dst, dw, dh, wx, wy, ww, wh, n,
	    e);
	free(sp.row);
	return rc;
}

/*
 * The box factor for a reduction of sw x sh to dw x dh: 1 for none.  A
 * reduction of 8:1 or more starts with a k x k box average that leaves
 * Lanczos a factor of 2 to 3: with the vertical pass in SIMD the box
 * pays only where Lanczos would need dozens of taps, and a remainder of
 * 2:1 or more keeps the detail a smaller one (the box taken closer to
 * the target) measurably lost against a float Lanczos of the whole.
 */
static uint32_t
box_factor(uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh)
{
	double rx = (double)sw / dw, ry = (double)sh / dh;

	rx = rx < ry ? rx : ry;
	if (rx < 8.0)
		return 1;
	return rx / 2.0 > 256.0 ? 256 : (uint32_t)(rx / 2.0);
}

int
img_resample8_streams(uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh)
{
	return sw > 0 && sh > 0 && dw > 0 && dh > 0 &&
	    box_factor(sw, sh, dw, dh) == 1;
}

int
img_resample8_rows(int (*next)(void *, uint8_t *, struct err *), void *ctx,
    uint32_t sw, uint32_t sh, uint8_t *dst, uint32_t dw, uint32_t dh,
    int ch, struct err *e)
{
	struct source sp;
	int rc;

	if (ch < 1 || ch > 4 || !img_resample8_streams(sw, sh, dw, dh))
		return err_set(e, EX_SOFTWARE, "resample: bad arguments");
	memset(&sp, 0, sizeof(sp));
	sp.next = next;
	sp.ctx = ctx;
	if ((sp.row = calloc(sh, sizeof(*sp.row))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	rc = lanczos_win(&sp, sw, sh, sw, sh, dst, dw, dh, 0, 0, dw, dh,
	    (size_t)ch, e);
	free(sp.row);
	return rc;
}

int
img_resample8_win(const uint8_t *src, uint32_t sw, uint32_t sh,
    uint8_t *dst, uint32_t dw, uint32_t dh, uint32_t wx, uint32_t wy,
    uint32_t ww, uint32_t wh, int ch, struct err *e)
{
	uint8_t *b;
	size_t n = (size_t)ch;
	uint32_t k, bw, bh;
	int rc;

	if (ch < 1 || ch > 4 || sw == 0 || sh == 0 || dw == 0 || dh == 0 ||
	    ww == 0 || wh == 0 || wx > dw || ww > dw - wx || wy > dh ||
	    wh > dh - wy)
		return err_set(e, EX_SOFTWARE, "resample: bad arguments");
	k = box_factor(sw, sh, dw, dh);
	if (k < 2)
		return lanczos_mem(src, sw, sh, sw, sh, dst, dw, dh, wx, wy, ww,
		    wh, n, e);
	if ((b = box(src, sw, sh, n, k, &bw, &bh)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	rc = lanczos_mem(b, bw, bh, (double)sw / k, (double)sh / k, dst, dw,
	    dh, wx, wy, ww, wh, n, e);
	free(b);
	return rc;
}
