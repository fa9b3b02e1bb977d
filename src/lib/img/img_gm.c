/*
 * img_gm.c: decoding and rendering with the GraphicsMagick C API.
 *
 * GraphicsMagick is only ever handed bytes that img_probe() accepted, with
 * the coder named explicitly ("JPEG:img"), so it never guesses a format
 * from content or a name.  img_init() unregisters every coder but the few
 * this program reads and writes, refuses every file, URL and program
 * access through the confirm-access hook, and sets resource limits, so
 * that neither a delegate nor a disk-backed pixel cache can happen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcms2.h>
#include <magick/api.h>

#include "exitcode.h"
#include "img.h"
#include "img_int.h"

struct img {
	Image		*im;		/* upright, sRGB (or grey), 8-bit */
	uint32_t	uw, uh;		/* upright size of the original */
};

/* Coders kept registered: what is read, and what is written. */
static const char *const kept_coders[] = {
	"JPEG", "JPG", "PNG", "GIF", "WEBP", "TIFF",
};

/*
 * Records an exception of our own.  ThrowException() of GraphicsMagick
 * 1.3.40 leaves the ExceptionInfo's signature cleared, and the
 * DestroyExceptionInfo() that must follow then fails an assertion and
 * aborts; ThrowLoggedException() keeps it valid.
 */
static void
gm_throw(ExceptionInfo *ex, ExceptionType sev, const char *reason,
    const char *desc)
{
	ThrowLoggedException(ex, sev, reason, desc, "imgq", __func__,
	    __LINE__);
}

static MagickPassFail
refuse_access(const ConfirmAccessMode mode, const char *path,
    ExceptionInfo *ex)
{
	(void)mode;
	gm_throw(ex, FileOpenError, "access refused by imgq", path);
	return MagickFail;
}

static int
kept(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kept_coders) / sizeof(kept_coders[0]); i++)
		if (strcmp(name, kept_coders[i]) == 0)
			return 1;
	return 0;
}

int
img_init(const char *argv0, const struct img_limits *l, struct err *e)
{
	ExceptionInfo ex;
	MagickInfo **all;
	char names[512][32];
	size_t i, n = 0;

	GetExceptionInfo(&ex);
	if (InitializeMagickEx(argv0, MAGICK_OPT_NO_SIGNAL_HANDER, &ex) !=
	    MagickPass) {
		err_set(e, EX_SOFTWARE, "GraphicsMagick initialisation: %s",
		    ex.reason ? ex.reason : "failed");
		DestroyExceptionInfo(&ex);
		return -1;
	}
	/* Every coder but ours goes: no PS, SVG, MVG, MSL, URL, TXT... */
	if ((all = GetMagickInfoArray(&ex)) == NULL) {
		DestroyExceptionInfo(&ex);
		return err_set(e, EX_SOFTWARE, "cannot list coders");
	}
	for (i = 0; all[i] != NULL && n < sizeof(names) / sizeof(names[0]);
	    i++) {
		if (kept(all[i]->name) ||
		    strlen(all[i]->name) >= sizeof(names[0]))
			continue;
		memcpy(names[n++], all[i]->name, strlen(all[i]->name) + 1);
	}
	MagickFree(all);
	for (i = 0; i < n; i++)
		(void)UnregisterMagickInfo(names[i]);
	(void)MagickSetConfirmAccessHandler(refuse_access);
	DestroyExceptionInfo(&ex);

	if (l->max_pixels > 0)
		(void)SetMagickResourceLimit(PixelsResource,
		    (magick_int64_t)l->max_pixels);
	if (l->max_side > 0) {
		(void)SetMagickResourceLimit(WidthResource, l->max_side);
		(void)SetMagickResourceLimit(HeightResource, l->max_side);
	}
	if (l->max_memory > 0)
		(void)SetMagickResourceLimit(MemoryResource,
		    (magick_int64_t)l->max_memory);
	(void)SetMagickResourceLimit(MapResource, 0);
	(void)SetMagickResourceLimit(DiskResource, 0);
	(void)SetMagickResourceLimit(ThreadsResource,
	    l->threads > 0 ? l->threads : 1);
	return 0;
}

/*
 * Maps an exception to an exit code: input problems are EX_DATAERR, an
 * allocation that failed EX_OSERR, anything else EX_SOFTWARE.  Warnings
 * that mean damaged data count as errors: a truncated JPEG decodes "fine"
 * with a grey bottom and a CorruptImageWarning.
 */
static int
gm_fail(struct err *e, const ExceptionInfo *ex, const char *what)
{
	const char *r = ex->reason ? ex->reason : "failed";
	const char *d = ex->description ? ex->description : NULL;
	int code;

	/* the description is often just our made-up file name */
	if (d != NULL && (strcmp(d, "img") == 0 || strcmp(d, "out") == 0 ||
	    strstr(d, ":img") != NULL || strstr(d, ":out") != NULL))
		d = NULL;

	switch (ex->severity) {
	case ResourceLimitError:
	case ResourceLimitWarning:
	case CacheError:
	case CacheFatalError:
	case ResourceLimitFatalError:
		/*
		 * Width, height and pixel limits mean the input lied about
		 * its size; memory (and the disk cache it would spill to,
		 * which is off) means this process ran out.
		 */
		code = strstr(r, "idth") != NULL || strstr(r, "eight") !=
		    NULL || strstr(r, "ixel") != NULL ? EX_DATAERR : EX_OSERR;
		/*
		 * The disk cache is off (img_init), so a pixel cache
		 * refused for want of disk was refused by the memory limit.
		 */
		if (code == EX_OSERR && strstr(r, "isk") != NULL)
			return err_set(e, code, "%s: out of memory (no room "
			    "for the pixel cache; memory limit %llu bytes)",
			    what, (unsigned long long)
			    GetMagickResourceLimit(MemoryResource));
		if (code == EX_OSERR)
			return err_set(e, code, "%s: out of memory (%s)", what,
			    r);
		break;
	case CorruptImageError:
	case CorruptImageWarning:
	case CorruptImageFatalError:
	case CoderError:
	case CoderWarning:
	case CoderFatalError:
	case BlobError:
	case BlobWarning:
	case StreamError:
	case MissingDelegateError:
	case MissingDelegateWarning:
	case TypeError:
	case ImageError:
	case FileOpenError:
		code = EX_DATAERR;
		break;
	default:
		code = EX_SOFTWARE;
		break;
	}
	return err_set(e, code, "%s: %s%s%s%s", what, r, d ? " (" : "",
	    d ? d : "", d ? ")" : "");
}

/*
 * Warnings that mean damaged data count as errors: GraphicsMagick returns
 * what libjpeg managed to decode of a truncated or corrupt JPEG (a grey
 * or garbled bottom) with a CorruptImageWarning or, for a libjpeg error,
 * a CoderWarning.  libpng and libtiff report benign oddities (a known
 * incorrect sRGB profile, an unknown tag) as CoderWarning too: those pass,
 * and so do libjpeg's warnings that are not damage.  GraphicsMagick keeps
 * one exception, so stray bytes between segments cannot be told from
 * those a corrupt scan leaves: this path refuses both.
 */
static int
bad_warning(const ExceptionInfo *ex, enum img_format f)
{
	/* libjpeg's warnings that are not damage (img_jpeg.c's benign()) */
	static const char *const benign[] = {
		"bad ICC marker", "unknown JFIF revision",
		"Unknown Adobe color transform",
	};
	size_t i;

	if (f == IMG_JPEG && ex->reason != NULL)
		for (i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
			if (strstr(ex->reason, benign[i]) != NULL)
				return 0;
	return ex->severity == CorruptImageWarning ||
	    (f == IMG_JPEG && ex->severity == CoderWarning);
}

/* The animation flag of a WebP's VP8X chunk (one frame or many). */
static int
webp_animated(const unsigned char *b, size_t len)
{
	return len >= 21 && memcmp(b + 12, "VP8X", 4) == 0 &&
	    (b[20] & 0x02) != 0;
}

static const char *
coder_of(enum img_format f)
{
	switch (f) {
	case IMG_JPEG:
		return "JPEG";
	case IMG_PNG:
		return "PNG";
	case IMG_GIF:
		return "GIF";
	case IMG_WEBP:
		return "WEBP";
	case IMG_TIFF:
		return "TIFF";
	case IMG_HEIC:
	case IMG_AVIF:
		return "HEIF";	/* decoded by img_heif.c */
	default:
		return NULL;
	}
}

/* An embedded profile that says sRGB needs no transform. */
int
img_icc_is_srgb(const unsigned char *p, size_t n)
{
	size_t i, lim = n < 2048 ? n : 2048;

	if (n < 128 || memcmp(p + 16, "RGB ", 4) != 0)
		return 0;
	for (i = 128; i + 4 <= lim; i++)
		if (memcmp(p + i, "sRGB", 4) == 0)
			return 1;
	/* UTF-16 in v4 'mluc' descriptions */
	for (i = 128; i + 8 <= lim; i++)
		if (memcmp(p + i, "\0s\0R\0G\0B", 8) == 0)
			return 1;
	return 0;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Whether Little CMS (which GraphicsMagick uses for the conversion) can
 * open the profile at all.
 */
static int
lcms_opens(const unsigned char *p, size_t n)
{
	cmsHPROFILE prof;

	if (n > UINT32_MAX)
		return 0;
	if ((prof = cmsOpenProfileFromMem(p, (cmsUInt32Number)n)) == NULL)
		return 0;
	(void)cmsCloseProfile(prof);
	return 1;
}

/*
 * An embedded profile worth handing to lcms: a sane header and tag table,
 * for the image's own colour space.  GraphicsMagick leaks the target
 * profile when lcms refuses the source, and a profile for the wrong
 * colour space can only fail, so those are ignored (as if absent).
 */
static int
icc_usable(const unsigned char *p, size_t n, const Image *im)
{
	uint32_t i, count, off, len;

	if (n < 132 || n > (64u << 20) || be32(p) != n ||
	    memcmp(p + 36, "acsp", 4) != 0 || (p[8] != 2 && p[8] != 4))
		return 0;
	if (im->colorspace == CMYKColorspace ?
	    memcmp(p + 16, "CMYK", 4) != 0 : memcmp(p + 16, "RGB ", 4) != 0)
		return 0;
	if (memcmp(p + 12, "mntr", 4) != 0 && memcmp(p + 12, "scnr", 4) != 0 &&
	    memcmp(p + 12, "prtr", 4) != 0 && memcmp(p + 12, "spac", 4) != 0)
		return 0;
	count = be32(p + 128);
	if (count == 0 || count > 256 || count > (n - 132) / 12)
		return 0;
	for (i = 0; i < count; i++) {
		off = be32(p + 132 + 12 * i + 4);
		len = be32(p + 132 + 12 * i + 8);
		if (off < 132 || off > n || len > n - off)
			return 0;
	}
	return lcms_opens(p, n);
}

/* CMYK, ICC and odd colour spaces to sRGB (grey stays grey). */
static int
to_srgb(Image *im, struct err *e)
{
	const unsigned char *icc;
	size_t n = 0;

	icc = GetImageProfile(im, "ICM", &n);
	if (icc != NULL && n > 0 && im->colorspace != GRAYColorspace &&
	    icc_usable(icc, n, im) && (im->colorspace == CMYKColorspace ||
	    !img_icc_is_srgb(icc, n))) {
		/* transforms from the embedded profile to ours */
		if (ProfileImage(im, "ICM", (unsigned char *)img_srgb_icc,
		    img_srgb_icc_len, MagickTrue) != MagickPass) {
			if (im->exception.severity >= ErrorException)
				return gm_fail(e, &im->exception,
				    "colour profile");
		}
	}
	if (im->colorspace != RGBColorspace &&
	    im->colorspace != GRAYColorspace &&
	    TransformColorspace(im, RGBColorspace) != MagickPass)
		return gm_fail(e, &im->exception, "colour conversion");
	return 0;
}

struct img *
img_decode(const void *buf, size_t len, const struct img_info *in,
    uint32_t hw, uint32_t hh, struct err *e)
{
	ImageInfo *ii;
	ExceptionInfo ex;
	Image *im, *rest, *up;
	struct img *g;
	const char *coder = coder_of(in->format);
	char size[48], what[32];

	if (coder == NULL) {
		err_set(e, EX_DATAERR, "input format not allowed: %s",
		    img_format_name(in->format));
		return NULL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	img_upright(in, &g->uw, &g->uh);
	GetExceptionInfo(&ex);
	ii = CloneImageInfo(NULL);
	if (ii == NULL) {
		free(g);
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	/* "JPEG:img": the coder is affirmed, never guessed */
	(void)snprintf(ii->filename, sizeof(ii->filename), "%s:img", coder);
	(void)snprintf(ii->magick, sizeof(ii->magick), "%s", coder);
	ii->affirm = MagickTrue;
	ii->subimage = 0;
	ii->subrange = 1;
	if (in->format == IMG_JPEG) {
		(void)snprintf(size, sizeof(size), "jpeg:max-scan-number=%u",
		    img_jpeg_max_scans(in->width, in->height));
		(void)AddDefinitions(ii, size, &ex);
	}
	if (in->format == IMG_JPEG && hw > 0 && hh > 0) {
		(void)snprintf(size, sizeof(size), "%ux%u", hw, hh);
		(void)CloneString(&ii->size, size);
	}
	(void)snprintf(what, sizeof(what), "decoding %s",
	    img_format_name(in->format));
	if (in->format == IMG_HEIC || in->format == IMG_AVIF) {
		DestroyImageInfo(ii);
		if ((im = img_heif_decode(buf, len, in, e)) == NULL)
			goto fail;
	} else if (in->format == IMG_WEBP && webp_animated(buf, len)) {
		DestroyImageInfo(ii);
		if ((im = img_webp_first_frame(buf, len, e)) == NULL)
			goto fail;
	} else {
		im = BlobToImage(ii, buf, len, &ex);
		DestroyImageInfo(ii);
	}
	if (im == NULL || ex.severity >= ErrorException ||
	    bad_warning(&ex, in->format)) {
		if (im == NULL && ex.severity == UndefinedException)
			err_set(e, EX_DATAERR, "%s: no image", what);
		else
			gm_fail(e, &ex, what);
		goto fail;
	}
	if ((rest = im->next) != NULL) {
		/* the first frame of an animation or a multi-page file */
		im->next = NULL;
		rest->previous = NULL;
		DestroyImageList(rest);
	}
	if (to_srgb(im, e) == -1)
		goto fail;
	if (in->orientation > 1) {
		up = AutoOrientImage(im, (OrientationType)in->orientation,
		    &ex);
		if (up == NULL) {
			gm_fail(e, &ex, "orientation");
			goto fail;
		}
		DestroyImage(im);
		im = up;
	}
	im->orientation = TopLeftOrientation;
	im->depth = 8;
	g->im = im;
	DestroyExceptionInfo(&ex);
	return g;
fail:
	if (im != NULL)
		DestroyImageList(im);
	DestroyExceptionInfo(&ex);
	free(g);
	return NULL;
}

void
img_size(const struct img *g, uint32_t *w, uint32_t *h)
{
	*w = (uint32_t)g->im->columns;
	*h = (uint32_t)g->im->rows;
}

void
img_free(struct img *g)
{
	if (g == NULL)
		return;
	if (g->im != NULL)
		DestroyImage(g->im);
	free(g);
}

/*
 * Opaque images: out to 8-bit samples, through img_resample8() (Lanczos-3
 * in fixed point, several times faster than ResizeImage on 16-bit
 * quanta), and back; the profiles come along for -k.
 */
static Image *
resample_fast(const Image *src, uint32_t w, uint32_t h, ExceptionInfo *ex)
{
	static const char *const profiles[] = { "ICM", "EXIF", "IPTC", "XMP" };
	int grey = src->colorspace == GRAYColorspace || src->is_grayscale;
	const char *map = grey ? "I" : "RGB";
	int ch = grey ? 1 : 3;
	uint32_t sw = (uint32_t)src->columns, sh = (uint32_t)src->rows;
	const unsigned char *p;
	uint8_t *in, *out;
	Image *im = NULL;
	struct err e;
	size_t i, n;

	in = malloc((size_t)sw * sh * ch);
	out = malloc((size_t)w * h * ch);
	if (in == NULL || out == NULL) {
		gm_throw(ex, ResourceLimitError, "Memory allocation failed",
		    "resize");
		goto done;
	}
	if (DispatchImage(src, 0, 0, sw, sh, map, CharPixel, in, ex) !=
	    MagickPass)
		goto done;
	if (img_resample8(in, sw, sh, out, w, h, ch, &e) == -1) {
		gm_throw(ex, e.code == EX_OSERR ? ResourceLimitError :
		    ImageError, e.msg, "resize");
		goto done;
	}
	if ((im = ConstituteImage(w, h, map, CharPixel, out, ex)) == NULL)
		goto done;
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if ((p = GetImageProfile(src, profiles[i], &n)) != NULL &&
		    n > 0)
			(void)SetImageProfile(im, profiles[i], p, n);
done:
	free(in);
	free(out);
	return im;
}

/*
 * Resamples src to w x h with Lanczos-3.  Images with alpha go through
 * GraphicsMagick's ResizeImage, which weighs colour by alpha; a large
 * reduction there is done in two steps, a box average (ScaleImage) down
 * to about twice the target, then Lanczos for the last factor.
 */
static Image *
resample(const Image *src, uint32_t w, uint32_t h, ExceptionInfo *ex)
{
	Image *mid, *out;
	unsigned long mw, mh;

	if (src->columns == w && src->rows == h)
		return CloneImage(src, 0, 0, MagickTrue, ex);
	if (!src->matte)
		return resample_fast(src, w, h, ex);
	if (src->columns > 6 * (unsigned long)w &&
	    src->rows > 6 * (unsigned long)h) {
		mw = 2 * (unsigned long)w;
		mh = 2 * (unsigned long)h;
		if ((mid = ScaleImage(src, mw, mh, ex)) == NULL)
			return NULL;
		out = ResizeImage(mid, w, h, LanczosFilter, 1.0, ex);
		DestroyImage(mid);
		return out;
	}
	return ResizeImage(src, w, h, LanczosFilter, 1.0, ex);
}

/* Alpha composited over bg; the result is opaque. */
static int
flatten(Image *im, const uint8_t bg[3], struct err *e)
{
	PixelPacket *p;
	unsigned long x, y;
	uint32_t a, t;
	uint32_t br = ScaleCharToQuantum(bg[0]), bgg = ScaleCharToQuantum(bg[1]),
	    bb = ScaleCharToQuantum(bg[2]);

	if (!im->matte)
		return 0;
	if (im->colorspace == GRAYColorspace || im->is_grayscale)
		(void)TransformColorspace(im, RGBColorspace);
	im->storage_class = DirectClass;
	for (y = 0; y < im->rows; y++) {
		if ((p = GetImagePixels(im, 0, (long)y, im->columns, 1)) ==
		    NULL)
			return gm_fail(e, &im->exception, "flatten");
		for (x = 0; x < im->columns; x++, p++) {
			/* GraphicsMagick: opacity MaxRGB is transparent */
			t = p->opacity;
			a = MaxRGB - t;
			p->red = (Quantum)((p->red * a + br * t +
			    MaxRGB / 2) / MaxRGB);
			p->green = (Quantum)((p->green * a + bgg * t +
			    MaxRGB / 2) / MaxRGB);
			p->blue = (Quantum)((p->blue * a + bb * t +
			    MaxRGB / 2) / MaxRGB);
			p->opacity = OpaqueOpacity;
		}
		if (!SyncImagePixels(im))
			return gm_fail(e, &im->exception, "flatten");
	}
	im->matte = MagickFalse;
	return 0;
}

/* Metadata: all of it goes, or EXIF (orientation reset) and ICC stay. */
static int
metadata(Image *im, int keep, struct err *e)
{
	const unsigned char *p;
	unsigned char *copy;
	size_t n = 0, off;

	(void)e;
	if (!keep) {
		(void)StripImage(im);
		(void)SetImageAttribute(im, "comment", NULL);
		return 0;
	}
	p = GetImageProfile(im, "EXIF", &n);
	if (p == NULL || n < 8)
		return 0;
	if ((copy = malloc(n)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	memcpy(copy, p, n);
	off = n >= 14 && memcmp(copy, "Exif\0\0", 6) == 0 ? 6 : 0;
	if (img_exif_reset(copy + off, n - off))
		(void)SetImageProfile(im, "EXIF", copy, n);
	free(copy);
	return 0;
}

static int
encode(Image *im, const struct img_variant *v, struct img_output *o,
    struct err *e)
{
	ImageInfo *wi;
	ExceptionInfo ex;
	const char *coder = v->format == IMG_PNG ? "PNG" :
	    v->format == IMG_WEBP ? "WEBP" : "JPEG";
	void *blob;
	size_t len = 0;

	if ((wi = CloneImageInfo(NULL)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	GetExceptionInfo(&ex);
	(void)snprintf(wi->filename, sizeof(wi->filename), "%s:out", coder);
	(void)snprintf(wi->magick, sizeof(wi->magick), "%s", coder);
	(void)snprintf(im->magick, sizeof(im->magick), "%s", coder);
	(void)snprintf(im->filename, sizeof(im->filename), "%s:out", coder);
	wi->quality = (unsigned long)v->quality;
	wi->interlace = v->progressive ? LineInterlace : NoInterlace;
	im->depth = 8;
	blob = ImageToBlob(wi, im, &len, &ex);
	DestroyImageInfo(wi);
	if (blob == NULL || len == 0 || ex.severity >= ErrorException) {
		if (blob != NULL)
			MagickFree(blob);
		/* the input was fine: a failure here is ours (or memory) */
		if (ex.severity == ResourceLimitError)
			gm_fail(e, &ex, "encode");
		else
			err_set(e, EX_SOFTWARE, "encode %s as %s %lux%lu: %s",
			    v->name, img_variant_ext(v), im->columns, im->rows,
			    ex.reason ? ex.reason : "failed");
		DestroyExceptionInfo(&ex);
		return -1;
	}
	DestroyExceptionInfo(&ex);
	if ((o->data = malloc(len)) == NULL) {
		MagickFree(blob);
		return err_set(e, EX_OSERR, "out of memory");
	}
	memcpy(o->data, blob, len);
	MagickFree(blob);
	o->len = len;
	o->width = (uint32_t)im->columns;
	o->height = (uint32_t)im->rows;
	return 0;
}

/* One variant from src, already scaled to g->scale_w x g->scale_h. */
static int
finish(const Image *scaled, const struct img_variant *v,
    const struct img_geom *g, const struct img_render_opts *opt,
    struct img_output *o, struct err *e)
{
	ExceptionInfo ex;
	RectangleInfo r;
	Image *im;
	int rc;

	GetExceptionInfo(&ex);
	if (g->crop_w != g->scale_w || g->crop_h != g->scale_h) {
		r.width = g->crop_w;
		r.height = g->crop_h;
		r.x = (long)g->crop_x;
		r.y = (long)g->crop_y;
		im = CropImage(scaled, &r, &ex);
	} else
		im = CloneImage(scaled, 0, 0, MagickTrue, &ex);
	if (im == NULL) {
		rc = gm_fail(e, &ex, "crop");
		DestroyExceptionInfo(&ex);
		return rc;
	}
	DestroyExceptionInfo(&ex);
	im->page.width = im->page.height = 0;
	im->page.x = im->page.y = 0;
	rc = 0;
	if (v->format == IMG_JPEG)
		rc = flatten(im, opt->bg, e);
	if (rc == 0)
		rc = metadata(im, opt->keep_meta, e);
	if (rc == 0)
		rc = encode(im, v, o, e);
	DestroyImage(im);
	return rc;
}

struct inter {
	Image		*im;	/* owned, except [0] (the decode) */
	uint32_t	w, h;
};

int
img_render(struct img *src, const struct img_variant *v, size_t n,
    const struct img_render_opts *opt, struct img_output *out,
    struct err *e)
{
	struct img_geom *geo = NULL;
	struct inter *it = NULL;
	size_t *order = NULL, j, k, nit = 1, best;
	ExceptionInfo ex;
	Image *scaled;
	int rc = -1;

	memset(out, 0, n * sizeof(*out));
	geo = calloc(n ? n : 1, sizeof(*geo));
	it = calloc(n + 1, sizeof(*it));
	order = calloc(n ? n : 1, sizeof(*order));
	if (geo == NULL || it == NULL || order == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		goto done;
	}
	/* largest scaled size first: later ones start from it */
	img_variant_plan(v, n, src->uw, src->uh, geo, order);
	it[0].im = src->im;
	it[0].w = (uint32_t)src->im->columns;
	it[0].h = (uint32_t)src->im->rows;
	GetExceptionInfo(&ex);
	for (k = 0; k < n; k++) {
		const struct img_geom *g = &geo[order[k]];

		/* the smallest intermediate still at least as large */
		best = 0;
		for (j = 1; j < nit; j++)
			if (it[j].w >= g->scale_w && it[j].h >= g->scale_h &&
			    (uint64_t)it[j].w * it[j].h <
			    (uint64_t)it[best].w * it[best].h)
				best = j;
		if (it[best].w == g->scale_w && it[best].h == g->scale_h)
			scaled = it[best].im;
		else {
			scaled = resample(it[best].im, g->scale_w, g->scale_h,
			    &ex);
			if (scaled == NULL) {
				gm_fail(e, &ex, "resize");
				break;
			}
			it[nit].im = scaled;
			it[nit].w = g->scale_w;
			it[nit].h = g->scale_h;
			nit++;
		}
		if (finish(scaled, &v[order[k]], g, opt, &out[order[k]],
		    e) == -1)
			break;
	}
	DestroyExceptionInfo(&ex);
	rc = k == n ? 0 : -1;
	if (rc == -1)
		img_output_free(out, n);
	for (j = 1; j < nit; j++)
		DestroyImage(it[j].im);
done:
	free(geo);
	free(it);
	free(order);
	return rc;
}

void
img_output_free(struct img_output *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(o[i].data);
		o[i].data = NULL;
		o[i].len = 0;
	}
}
