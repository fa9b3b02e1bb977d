/*
 * img_int.h: what the img_ modules share and nobody else needs.
 */
#ifndef IMGQ_IMG_INT_H
#define IMGQ_IMG_INT_H


#include <stddef.h>
#include <stdint.h>

#include <magick/api.h>

#include "err.h"

struct img_info;

/* An sRGB ICC profile (img_srgb.c). */
extern const unsigned char img_srgb_icc[];
extern const size_t img_srgb_icc_len;

/*
 * HEIC and AVIF through libheif, opened on first use (img_heif.c): the
 * primary image as 8-bit RGB or RGBA, its ICC profile attached.  NULL and
 * err filled on failure.
 */
Image	*img_heif_decode(const void *, size_t, const struct img_info *,
	    struct err *);

/*
 * The first frame of an animated WebP (img_webp.c), composed on its
 * canvas, as RGBA.  NULL and err filled on failure.
 */
Image	*img_webp_first_frame(const void *, size_t, struct err *);

/* An RGB ICC profile that says it is sRGB (no transform needed). */
int	img_icc_is_srgb(const unsigned char *, size_t);

/*
 * Lanczos-3 resampling of interleaved 8-bit pixels with ch (1 to 4)
 * channels, sw x sh to dw x dh, alpha not premultiplied (callers pass
 * opaque images only).  EX_OSERR when memory runs out.
 */
int	img_resample8(const uint8_t *, uint32_t, uint32_t, uint8_t *,
	    uint32_t, uint32_t, int, struct err *);

/*
 * The same, but only the ww x wh window at wx, wy of the dw x dh result
 * is made (written to dst, ww * ch bytes a row): a fill variant's crop
 * without the columns and rows it drops.
 */
int	img_resample8_win(const uint8_t *, uint32_t, uint32_t, uint8_t *,
	    uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, int,
	    struct err *);

/*
 * img_resample8 from a source read a row at a time, never whole in
 * memory: next(ctx, row, err) writes the next of the sh rows (sw * ch
 * bytes) to row and returns 0, or -1 with err filled; it is called in
 * order as the output comes to need the rows, and not for rows past the
 * last that any output sample needs.  Only where
 * img_resample8_streams() says so (no box average first); EX_SOFTWARE
 * otherwise.
 */
int	img_resample8_streams(uint32_t, uint32_t, uint32_t, uint32_t);
int	img_resample8_rows(int (*)(void *, uint8_t *, struct err *), void *,
	    uint32_t, uint32_t, uint8_t *, uint32_t, uint32_t, int,
	    struct err *);

#endif
