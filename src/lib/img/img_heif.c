/*
 * img_heif.c: HEIC and AVIF through libheif, loaded only when such an
 * input arrives.
 *
 * GraphicsMagick's own HEIF coder is unregistered with the others
 * (img_init), and a GraphicsMagick built without libheif has none: here
 * libheif is opened with dlopen(3) on first use, whether or not
 * GraphicsMagick loaded it already, so no build of imgq needs -lheif and
 * a format most jobs never see costs them nothing to link.  Its decoded
 * RGB(A) pixels become a GraphicsMagick image (ConstituteImage), with the
 * embedded ICC profile attached so that img_decode() converts it.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>
#include <magick/api.h>

#include "exitcode.h"
#include "img.h"
#include "img_int.h"

#define HEIF_SONAME	"libheif.so.1"

static struct {
	void	*dl;
	struct heif_context *(*ctx_alloc)(void);
	void	(*ctx_free)(struct heif_context *);
	struct heif_error (*read_mem)(struct heif_context *, const void *,
		    size_t, const struct heif_reading_options *);
	struct heif_error (*primary)(struct heif_context *,
		    struct heif_image_handle **);
	void	(*max_size)(struct heif_context *, int);
	void	(*handle_release)(const struct heif_image_handle *);
	int	(*has_alpha)(const struct heif_image_handle *);
	size_t	(*icc_size)(const struct heif_image_handle *);
	struct heif_error (*icc)(const struct heif_image_handle *, void *);
	struct heif_error (*decode)(const struct heif_image_handle *,
		    struct heif_image **, enum heif_colorspace,
		    enum heif_chroma, const struct heif_decoding_options *);
	int	(*width)(const struct heif_image *, enum heif_channel);
	int	(*height)(const struct heif_image *, enum heif_channel);
	const uint8_t *(*plane)(const struct heif_image *,
		    enum heif_channel, int *);
	void	(*image_release)(const struct heif_image *);
} h;

static int
sym(void **fp, const char *name, struct err *e)
{
	if ((*fp = dlsym(h.dl, name)) == NULL)
		return err_set(e, EX_SOFTWARE, "%s: no %s", HEIF_SONAME,
		    name);
	return 0;
}

static int
heif_load(struct err *e)
{
	const char *why;

	if (h.dl != NULL)
		return 0;
	if ((h.dl = dlopen(HEIF_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		return err_set(e, EX_SOFTWARE, "HEIC and AVIF need %s: %s",
		    HEIF_SONAME, why ? why : "cannot load");
	}
	if (sym((void **)&h.ctx_alloc, "heif_context_alloc", e) == -1 ||
	    sym((void **)&h.ctx_free, "heif_context_free", e) == -1 ||
	    sym((void **)&h.read_mem,
	    "heif_context_read_from_memory_without_copy", e) == -1 ||
	    sym((void **)&h.primary,
	    "heif_context_get_primary_image_handle", e) == -1 ||
	    sym((void **)&h.max_size,
	    "heif_context_set_maximum_image_size_limit", e) == -1 ||
	    sym((void **)&h.handle_release, "heif_image_handle_release",
	    e) == -1 ||
	    sym((void **)&h.has_alpha, "heif_image_handle_has_alpha_channel",
	    e) == -1 ||
	    sym((void **)&h.icc_size,
	    "heif_image_handle_get_raw_color_profile_size", e) == -1 ||
	    sym((void **)&h.icc, "heif_image_handle_get_raw_color_profile",
	    e) == -1 ||
	    sym((void **)&h.decode, "heif_decode_image", e) == -1 ||
	    sym((void **)&h.width, "heif_image_get_width", e) == -1 ||
	    sym((void **)&h.height, "heif_image_get_height", e) == -1 ||
	    sym((void **)&h.plane, "heif_image_get_plane_readonly", e) == -1 ||
	    sym((void **)&h.image_release, "heif_image_release", e) == -1) {
		(void)dlclose(h.dl);
		h.dl = NULL;
		return -1;
	}
	return 0;
}

int
img_prepare(enum img_format f, struct err *e)
{
	if (f != IMG_HEIC && f != IMG_AVIF)
		return 0;
	return heif_load(e);
}

static int
heif_fail(struct err *e, struct heif_error he, const char *fmt)
{
	return err_set(e, he.code == heif_error_Memory_allocation_error ?
	    EX_OSERR : EX_DATAERR, "decoding %s: %s", fmt,
	    he.message ? he.message : "failed");
}

Image *
img_heif_decode(const void *buf, size_t len, const struct img_info *in,
    struct err *e)
{
	struct heif_context *ctx = NULL;
	struct heif_image_handle *hd = NULL;
	struct heif_image *hi = NULL;
	struct heif_error he;
	ExceptionInfo ex;
	const uint8_t *p;
	unsigned char *tight = NULL, *icc = NULL;
	Image *im = NULL;
	const char *fmt = img_format_name(in->format);
	int alpha, w, hgt, stride, y;
	size_t rowlen, n;

	GetExceptionInfo(&ex);
	if (heif_load(e) == -1)
		goto done;
	if ((ctx = h.ctx_alloc()) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		goto done;
	}
	/* libheif's own bound, beside the limits already checked */
	h.max_size(ctx, (int)(in->max_width > in->max_height ?
	    in->max_width : in->max_height));
	he = h.read_mem(ctx, buf, len, NULL);
	if (he.code == heif_error_Ok)
		he = h.primary(ctx, &hd);
	if (he.code != heif_error_Ok) {
		heif_fail(e, he, fmt);
		goto done;
	}
	alpha = h.has_alpha(hd);
	he = h.decode(hd, &hi, heif_colorspace_RGB, alpha ?
	    heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, NULL);
	if (he.code != heif_error_Ok) {
		heif_fail(e, he, fmt);
		goto done;
	}
	w = h.width(hi, heif_channel_interleaved);
	hgt = h.height(hi, heif_channel_interleaved);
	p = h.plane(hi, heif_channel_interleaved, &stride);
	rowlen = (size_t)(w > 0 ? w : 0) * (alpha ? 4 : 3);
	if (p == NULL || w <= 0 || hgt <= 0 || (uint32_t)w > in->max_width ||
	    (uint32_t)hgt > in->max_height || stride < 0 ||
	    (size_t)stride < rowlen) {
		err_set(e, EX_DATAERR, "decoding %s: bad image size", fmt);
		goto done;
	}
	if ((tight = malloc(rowlen * (size_t)hgt)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		goto done;
	}
	for (y = 0; y < hgt; y++)
		memcpy(tight + rowlen * (size_t)y, p + (size_t)stride * y,
		    rowlen);
	im = ConstituteImage((unsigned long)w, (unsigned long)hgt,
	    alpha ? "RGBA" : "RGB", CharPixel, tight, &ex);
	if (im == NULL) {
		err_set(e, ex.severity == ResourceLimitError ? EX_OSERR :
		    EX_SOFTWARE, "decoding %s: %s", fmt,
		    ex.reason ? ex.reason : "failed");
		goto done;
	}
	/* an embedded ICC profile ('prof' or 'rICC'), for to_srgb() */
	if ((n = h.icc_size(hd)) > 0 && n < (64u << 20) &&
	    (icc = malloc(n)) != NULL) {
		he = h.icc(hd, icc);
		if (he.code == heif_error_Ok)
			(void)SetImageProfile(im, "ICM", icc, n);
	}
done:
	free(icc);
	free(tight);
	if (hi != NULL)
		h.image_release(hi);
	if (hd != NULL)
		h.handle_release(hd);
	if (ctx != NULL)
		h.ctx_free(ctx);
	DestroyExceptionInfo(&ex);
	return im;
}
