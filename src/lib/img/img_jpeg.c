/*
 * img_jpeg.c: the common job without GraphicsMagick: a JPEG in, JPEG and
 * WebP variants out, straight through libjpeg(-turbo) and libwebp on
 * 8-bit pixels.
 *
 * GraphicsMagick holds pixels as 16-bit quanta (8 bytes a pixel): its
 * JPEG decode, the copies to and from the 8-bit resampler and its JPEG
 * encode touched four times the memory of the pixels themselves, and
 * every fresh page of it is a fault and a zeroing.  Here the decoder
 * writes 8-bit RGB (or grey) rows, downscaled in the DCT domain by the
 * largest factor of 1/2, 1/4 or 1/8 that leaves every variant a
 * reduction of IMG_DECODE_MARGIN; img_resample8_rows() makes the largest
 * variant from the rows as they come (when it holds every other, the
 * decode is never whole in memory), the EXIF orientation is applied to
 * that (the smallest image it can be applied to), and the others are
 * made from it.
 *
 * It declines (returns 1, nothing done) whatever it does not do exactly
 * as the GraphicsMagick path would: CMYK and YCCK, an embedded ICC
 * profile that is not sRGB, metadata to keep, PNG output.  The input has
 * been probed and checked (img_probe, img_check) before; damaged data is
 * refused like GraphicsMagick's path refuses it: a libjpeg warning of
 * damage (premature end, corrupt data) is an error.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <webp/encode.h>

#include "exitcode.h"
#include "img.h"
#include "img_int.h"

struct jerr {
	struct jpeg_error_mgr	pub;
	struct jpeg_progress_mgr prog;
	jmp_buf			jb;
	int			code;	/* of the error that stopped it */
	unsigned		max_scans;
	char			msg[JMSG_LENGTH_MAX];
	char			warning[JMSG_LENGTH_MAX];
};

static void
jerr_exit(j_common_ptr c)
{
	struct jerr *j = (struct jerr *)c->err;

	c->err->format_message(c, j->msg);
	j->code = c->err->msg_code == JERR_OUT_OF_MEMORY ? EX_OSERR :
	    EX_DATAERR;
	longjmp(j->jb, 1);
}

/*
 * Warnings that leave every pixel as the encoder meant it: a duplicated
 * or misnumbered ICC chunk (the profile is then ignored and the image
 * taken as sRGB), an unknown JFIF revision or Adobe transform code, and
 * stray bytes between the header's segments.  Stray bytes after a scan
 * has begun are what a corrupt entropy-coded segment leaves behind:
 * damage.  imgq-resize(1) has the table.
 */
static int
benign(j_common_ptr c)
{
	int code = c->err->msg_code;

	if (code == JWRN_EXTRANEOUS_DATA)
		return c->is_decompressor &&
		    ((j_decompress_ptr)c)->input_scan_number == 0;
	return code == JWRN_BOGUS_ICC || code == JWRN_JFIF_MAJOR ||
	    code == JWRN_ADOBE_XFORM;
}

/*
 * Any other warning means damaged data: the first is kept, and fails the
 * decode at its end unless an error stops it first (the error is then
 * the reason, as with GraphicsMagick).
 */
static void
jerr_emit(j_common_ptr c, int level)
{
	struct jerr *j = (struct jerr *)c->err;

	if (level < 0 && j->warning[0] == '\0' && !benign(c)) {
		c->err->format_message(c, j->warning);
		if (j->warning[0] == '\0')
			j->warning[0] = '?';
	}
}

static void
jerr_output(j_common_ptr c)
{
	(void)c;
}

/* Stops a progressive decode at its scan limit, before it spends more. */
static void
jprogress(j_common_ptr c)
{
	struct jerr *j = (struct jerr *)c->err;
	j_decompress_ptr d = (j_decompress_ptr)c;

	if (c->is_decompressor && d->input_scan_number > 0 &&
	    (unsigned)d->input_scan_number > j->max_scans) {
		(void)snprintf(j->msg, sizeof(j->msg), "more than %u scans",
		    j->max_scans);
		j->code = EX_DATAERR;
		longjmp(j->jb, 1);
	}
}

static struct jpeg_error_mgr *
jerr_init(struct jerr *j)
{
	jpeg_std_error(&j->pub);
	j->pub.error_exit = jerr_exit;
	j->pub.emit_message = jerr_emit;
	j->pub.output_message = jerr_output;
	j->prog.progress_monitor = jprogress;
	j->code = EX_DATAERR;
	j->max_scans = IMG_JPEG_MAX_SCANS;
	j->msg[0] = '\0';
	j->warning[0] = '\0';
	return &j->pub;
}

/* An 8-bit image: ch samples a pixel, rows w * ch bytes apart. */
struct pix {
	uint8_t		*p;
	uint32_t	w, h;
	int		ch;
};

static int
pix_alloc(struct pix *x, uint32_t w, uint32_t h, int ch, struct err *e)
{
	x->w = w;
	x->h = h;
	x->ch = ch;
	/* resamplers may read a few bytes past the end */
	if ((x->p = malloc((size_t)w * h * (size_t)ch + 16)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	memset(x->p + (size_t)w * h * (size_t)ch, 0, 16);
	return 0;
}

/*
 * The EXIF orientation applied: upright pixel (ux, uy) is stored pixel
 * base + ux * sx + uy * sy (in pixels, signed steps).
 */
static int
orient(const struct pix *s, int o, struct pix *d, struct err *e)
{
	int64_t W = s->w, H = s->h, base, sx, sy, at;
	uint32_t ux, uy, uw = o >= 5 ? s->h : s->w, uh = o >= 5 ? s->w : s->h;
	size_t n = (size_t)s->ch;
	uint8_t *q;

	switch (o) {
	case 2:	base = W - 1;		sx = -1; sy = W;	break;
	case 3:	base = H * W - 1;	sx = -1; sy = -W;	break;
	case 4:	base = (H - 1) * W;	sx = 1;	sy = -W;	break;
	case 5:	base = 0;		sx = W;	sy = 1;		break;
	case 6:	base = (H - 1) * W;	sx = -W; sy = 1;	break;
	case 7:	base = H * W - 1;	sx = -W; sy = -1;	break;
	case 8:	base = W - 1;		sx = W;	sy = -1;	break;
	default: base = 0;		sx = 1;	sy = W;		break;
	}
	if (pix_alloc(d, uw, uh, s->ch, e) == -1)
		return -1;
	q = d->p;
	for (uy = 0; uy < uh; uy++) {
		at = base + (int64_t)uy * sy;
		if (n == 3)
			for (ux = 0; ux < uw; ux++, at += sx, q += 3)
				memcpy(q, s->p + at * 3, 3);
		else
			for (ux = 0; ux < uw; ux++, at += sx)
				*q++ = s->p[at];
	}
	return 0;
}

static int
scale(const struct pix *s, uint32_t w, uint32_t h, struct pix *d,
    struct err *e)
{
	if (pix_alloc(d, w, h, s->ch, e) == -1)
		return -1;
	if (img_resample8(s->p, s->w, s->h, d->p, w, h, s->ch, e) == -1) {
		free(d->p);
		d->p = NULL;
		return -1;
	}
	return 0;
}

/* The error that stopped libjpeg, as err. */
static int
jfail(const struct jerr *j, struct err *e)
{
	if (j->code == EX_OSERR)
		return err_set(e, EX_OSERR, "decoding jpeg: out of memory (%s)",
		    j->msg);
	return err_set(e, EX_DATAERR, "decoding jpeg: %s", j->msg);
}

/*
 * Libjpeg once the decompression has started: every call through one of
 * these, each its own setjmp() for the errors, so that the streaming
 * resample, which calls jnext() from inside img_resample8_rows(), sees a
 * failure as a return and frees what it holds.
 */
struct jsrc {
	struct jpeg_decompress_struct *c;
	struct jerr	*j;
};

/* The next scanline to row. */
static int
jnext(void *ctx, uint8_t *row, struct err *e)
{
	struct jsrc *s = ctx;
	JSAMPROW r = row;

	if (setjmp(s->j->jb))
		return jfail(s->j, e);
	if (jpeg_read_scanlines(s->c, &r, 1) != 1)
		return err_set(e, EX_DATAERR, "decoding jpeg: no image");
	return 0;
}

/* The scanlines not read yet, then the end; a warning of damage fails. */
static int
jfinish(struct jsrc *s, uint8_t *scratch, struct err *e)
{
	while (s->c->output_scanline < s->c->output_height)
		if (jnext(s, scratch, e) == -1)
			return -1;
	if (setjmp(s->j->jb))
		return jfail(s->j, e);
	(void)jpeg_finish_decompress(s->c);
	if (s->j->warning[0] != '\0')
		return err_set(e, EX_DATAERR, "decoding jpeg: %s",
		    s->j->warning);
	return 0;
}

/*
 * The pixels, decompression started: tw x th resampled as the scanlines
 * come when tw is not 0, differs from the decode and the resampler can
 * take rows as they come (the whole decode is then never in memory),
 * else the decode itself.
 */
static int
pixels(struct jsrc *s, uint32_t tw, uint32_t th, struct pix *px,
    struct err *e)
{
	struct jpeg_decompress_struct *c = s->c;
	uint32_t y;
	uint8_t *row;
	int rc;

	if ((tw == c->output_width && th == c->output_height) ||
	    !img_resample8_streams(c->output_width, c->output_height, tw, th))
		tw = th = 0;
	if (pix_alloc(px, tw ? tw : c->output_width, tw ? th :
	    c->output_height, c->output_components, e) == -1)
		return -1;
	if (tw != 0) {
		if ((row = malloc((size_t)c->output_width *
		    (size_t)c->output_components)) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		rc = img_resample8_rows(jnext, s, c->output_width,
		    c->output_height, px->p, tw, th, px->ch, e);
		if (rc == 0)
			rc = jfinish(s, row, e);
		free(row);
		return rc;
	}
	for (y = 0; y < px->h; y++)
		if (jnext(s, px->p + (size_t)y * px->w * (size_t)px->ch,
		    e) == -1)
			return -1;
	return jfinish(s, px->p, e);
}

/* The DCT scale: the smallest of 1/8, 1/4, 1/2 that is hw x hh or more. */
static unsigned
scale_denom(const struct img_info *in, uint32_t hw, uint32_t hh)
{
	unsigned d;

	for (d = 8; d > 1 && hw > 0 && hh > 0; d /= 2)
		if ((in->width + d - 1) / d >= hw &&
		    (in->height + d - 1) / d >= hh)
			return d;
	return 1;
}

/*
 * The decode, downscaled by 1/2, 1/4 or 1/8 while still hint[0] x
 * hint[1] or more; resampled to hint[2] x hint[3] on the way when that
 * is not 0 x 0 (see pixels()).
 */
static int
decode(const void *buf, size_t len, const struct img_info *in,
    const uint32_t hint[4], uint64_t max_memory, struct pix *out,
    struct err *e)
{
	struct jpeg_decompress_struct c;
	struct jerr j;
	struct jsrc s = { &c, &j };
	JOCTET *icc = NULL;
	unsigned int icc_len = 0;

	out->p = NULL;
	memset(&c, 0, sizeof(c));
	c.err = jerr_init(&j);
	if (setjmp(j.jb)) {
		jpeg_destroy_decompress(&c);
		free(icc);
		return jfail(&j, e);
	}
	jpeg_create_decompress(&c);
	c.progress = &j.prog;
	c.mem->max_memory_to_use = (long)(max_memory < (uint64_t)LONG_MAX ?
	    max_memory : (uint64_t)LONG_MAX);
	jpeg_mem_src(&c, buf, (unsigned long)len);
	jpeg_save_markers(&c, JPEG_APP0 + 2, 0xffff);
	(void)jpeg_read_header(&c, TRUE);
	j.max_scans = img_jpeg_max_scans(c.image_width, c.image_height);
	if (c.image_width != in->width || c.image_height != in->height)
		goto decline;
	if (c.num_components == 3 && c.jpeg_color_space != JCS_CMYK &&
	    c.jpeg_color_space != JCS_YCCK)
		c.out_color_space = JCS_RGB;
	else if (c.num_components == 1)
		c.out_color_space = JCS_GRAYSCALE;
	else
		goto decline;
	if (jpeg_read_icc_profile(&c, &icc, &icc_len) && (c.num_components
	    != 3 || !img_icc_is_srgb(icc, icc_len)))
		goto decline;
	free(icc);
	icc = NULL;
	c.scale_num = 1;
	c.scale_denom = scale_denom(in, hint[0], hint[1]);
	c.dct_method = JDCT_ISLOW;
	/*
	 * Chroma upsampled by repetition, merged with the colour
	 * conversion: cheaper than the smooth upsampler, and every output
	 * is either reduced or subsampled again by its encoder, which
	 * turns repeated chroma back into what was stored.
	 */
	c.do_fancy_upsampling = FALSE;
	jpeg_calc_output_dimensions(&c);
	if ((uint64_t)c.output_width * c.output_height *
	    (uint64_t)c.output_components > max_memory) {
		jpeg_destroy_decompress(&c);
		return err_set(e, EX_OSERR, "decoding jpeg: out of memory "
		    "(limit %llu bytes)", (unsigned long long)max_memory);
	}
	(void)jpeg_start_decompress(&c);
	if (pixels(&s, hint[2], hint[3], out, e) == -1) {
		jpeg_destroy_decompress(&c);
		free(out->p);
		out->p = NULL;
		return -1;
	}
	jpeg_destroy_decompress(&c);
	return 0;
decline:
	jpeg_destroy_decompress(&c);
	free(icc);
	return 1;
}

static int
encode_jpeg(const struct pix *s, const struct img_variant *v,
    struct img_output *o, struct err *e)
{
	struct jpeg_compress_struct c;
	struct jerr j;
	unsigned char *volatile mem = NULL;
	unsigned char *m = NULL;
	unsigned long n = 0;
	JSAMPROW row;

	memset(&c, 0, sizeof(c));
	c.err = jerr_init(&j);
	if (setjmp(j.jb)) {
		jpeg_destroy_compress(&c);
		free(mem);
		return err_set(e, EX_SOFTWARE, "encode %s as jpg %ux%u: %s",
		    v->name, s->w, s->h, j.msg);
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &m, &n);
	c.image_width = s->w;
	c.image_height = s->h;
	c.input_components = s->ch;
	c.in_color_space = s->ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, v->quality, TRUE);
	/*
	 * One pass: Huffman optimisation would save 1-3% of the bytes for
	 * a second pass over the coefficients (vips, Pillow and libjpeg
	 * leave it off by default too).  Progressive output always has it.
	 */
	c.optimize_coding = FALSE;
	c.dct_method = JDCT_ISLOW;
	c.density_unit = 1;
	c.X_density = c.Y_density = 72;
	if (v->progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	mem = m;
	while (c.next_scanline < c.image_height) {
		row = s->p + (size_t)c.next_scanline * s->w * (size_t)s->ch;
		(void)jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	o->data = m;
	o->len = n;
	o->width = s->w;
	o->height = s->h;
	return 0;
}

static int
encode_webp(const struct pix *s, const struct img_variant *v,
    struct img_output *o, struct err *e)
{
	WebPConfig cfg;
	WebPPicture pic;
	WebPMemoryWriter wr;
	uint8_t *rgb = NULL;
	size_t i, np = (size_t)s->w * s->h;
	int ok;

	if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
		return err_set(e, EX_SOFTWARE, "webp: library version");
	cfg.quality = (float)v->quality;
	/*
	 * Method 2, not libwebp's default 4: 4 adds a token pass that
	 * doubled the encode of a 256x256 thumbnail (the largest part of
	 * a thumbnail's cost) for 3-4% fewer bytes.
	 */
	cfg.method = 2;
	pic.width = (int)s->w;
	pic.height = (int)s->h;
	if (s->ch == 1) {
		if ((rgb = malloc(np * 3)) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		for (i = 0; i < np; i++)
			rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = s->p[i];
	}
	if (!WebPPictureImportRGB(&pic, rgb ? rgb : s->p, (int)s->w * 3)) {
		free(rgb);
		WebPPictureFree(&pic);
		return err_set(e, EX_OSERR, "out of memory");
	}
	free(rgb);
	WebPMemoryWriterInit(&wr);
	pic.writer = WebPMemoryWrite;
	pic.custom_ptr = &wr;
	ok = WebPEncode(&cfg, &pic);
	WebPPictureFree(&pic);
	if (!ok || wr.size == 0) {
		WebPMemoryWriterClear(&wr);
		return err_set(e, pic.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY ?
		    EX_OSERR : EX_SOFTWARE, "encode %s as webp %ux%u: error %d",
		    v->name, s->w, s->h, (int)pic.error_code);
	}
	if ((o->data = malloc(wr.size)) == NULL) {
		WebPMemoryWriterClear(&wr);
		return err_set(e, EX_OSERR, "out of memory");
	}
	memcpy(o->data, wr.mem, wr.size);
	o->len = wr.size;
	o->width = s->w;
	o->height = s->h;
	WebPMemoryWriterClear(&wr);
	return 0;
}

/* The crop of a fill variant (or all of it), encoded. */
static int
finish(const struct pix *s, const struct img_variant *v,
    const struct img_geom *g, struct img_output *o, struct err *e)
{
	struct pix c;
	size_t n = (size_t)s->ch;
	uint32_t y;
	int rc;

	c = *s;
	if (g->crop_w != s->w || g->crop_h != s->h) {
		if (pix_alloc(&c, g->crop_w, g->crop_h, s->ch, e) == -1)
			return -1;
		for (y = 0; y < g->crop_h; y++)
			memcpy(c.p + (size_t)y * c.w * n, s->p +
			    ((size_t)(g->crop_y + y) * s->w + g->crop_x) * n,
			    (size_t)c.w * n);
	}
	rc = v->format == IMG_WEBP ? encode_webp(&c, v, o, e) :
	    encode_jpeg(&c, v, o, e);
	if (c.p != s->p)
		free(c.p);
	return rc;
}

/* A fill variant from an upright source: its crop alone, encoded. */
static int
scale_crop(const struct pix *s, const struct img_geom *g,
    const struct img_variant *v, struct img_output *o, struct err *e)
{
	struct img_geom whole = *g;
	struct pix c;
	int rc;

	if (pix_alloc(&c, g->crop_w, g->crop_h, s->ch, e) == -1)
		return -1;
	if (s->w == g->scale_w && s->h == g->scale_h) {
		free(c.p);
		return finish(s, v, g, o, e);
	}
	if (img_resample8_win(s->p, s->w, s->h, c.p, g->scale_w, g->scale_h,
	    g->crop_x, g->crop_y, g->crop_w, g->crop_h, s->ch, e) == -1) {
		free(c.p);
		return -1;
	}
	whole.scale_w = whole.crop_w;
	whole.scale_h = whole.crop_h;
	whole.crop_x = whole.crop_y = 0;
	rc = finish(&c, v, &whole, o, e);
	free(c.p);
	return rc;
}

/*
 * The size (stored orientation) to resample the decode to as it comes,
 * or 0 x 0: the largest variant's, when it is not cropped and holds every
 * other, which is then made from it (the decode itself is not kept).
 */
static void
streamed(const struct img_info *in, const struct img_geom *geo,
    const size_t *order, size_t n, uint32_t *tw, uint32_t *th)
{
	const struct img_geom *g = &geo[order[0]];
	size_t k;

	*tw = *th = 0;
	if (g->crop_w != g->scale_w || g->crop_h != g->scale_h)
		return;
	for (k = 1; k < n; k++)
		if (geo[order[k]].scale_w > g->scale_w ||
		    geo[order[k]].scale_h > g->scale_h)
			return;
	*tw = in->orientation >= 5 ? g->scale_h : g->scale_w;
	*th = in->orientation >= 5 ? g->scale_w : g->scale_h;
}

int
img_jpeg_render(const void *buf, size_t len, const struct img_info *in,
    const struct img_variant *v, size_t n, const struct img_render_opts *opt,
    uint64_t max_memory, struct img_output *out, struct err *e)
{
	struct img_geom geo[IMG_FAST_MAX];
	struct pix dec, it[IMG_FAST_MAX], tmp;
	size_t order[IMG_FAST_MAX], i, j, k, nit = 0, best;
	uint32_t uw, uh, sw, sh, hint[4];
	int rc, cropped;

	if (in->format != IMG_JPEG || opt->keep_meta || n == 0 ||
	    n > IMG_FAST_MAX)
		return 1;
	for (i = 0; i < n; i++)
		if (v[i].format != IMG_JPEG && v[i].format != IMG_WEBP)
			return 1;
	img_upright(in, &uw, &uh);
	img_decode_hint(in, v, n, IMG_DECODE_MARGIN, &hint[0], &hint[1]);
	/* largest first: the later ones start from it */
	img_variant_plan(v, n, uw, uh, geo, order);
	streamed(in, geo, order, n, &hint[2], &hint[3]);
	if ((rc = decode(buf, len, in, hint, max_memory, &dec, e)) != 0)
		return rc;
	memset(out, 0, n * sizeof(*out));
	rc = 0;
	for (k = 0; k < n && rc == 0; k++) {
		const struct img_geom *g = &geo[order[k]];

		/* the smallest upright intermediate still large enough */
		best = nit;
		for (j = 0; j < nit; j++)
			if (it[j].w >= g->scale_w && it[j].h >= g->scale_h &&
			    (best == nit || (uint64_t)it[j].w * it[j].h <
			    (uint64_t)it[best].w * it[best].h))
				best = j;
		if (best < nit && it[best].w == g->scale_w &&
		    it[best].h == g->scale_h) {
			rc = finish(&it[best], &v[order[k]], g, &out[order[k]],
			    e);
			continue;
		}
		if (best == nit && dec.p == NULL)
			/* enlarging past the decode: from the largest */
			for (best = 0, j = 1; j < nit; j++)
				if ((uint64_t)it[j].w * it[j].h >
				    (uint64_t)it[best].w * it[best].h)
					best = j;
		cropped = g->crop_w != g->scale_w || g->crop_h != g->scale_h;
		if (cropped && (best < nit || in->orientation <= 1)) {
			/*
			 * A fill variant: only its crop is resampled, and it
			 * is nobody's intermediate.
			 */
			rc = scale_crop(best < nit ? &it[best] : &dec, g,
			    &v[order[k]], &out[order[k]], e);
			continue;
		}
		if (best < nit)
			rc = scale(&it[best], g->scale_w, g->scale_h, &it[nit],
			    e);
		else {
			/* from the decode, in its stored orientation */
			sw = in->orientation >= 5 ? g->scale_h : g->scale_w;
			sh = in->orientation >= 5 ? g->scale_w : g->scale_h;
			tmp = dec;
			if ((sw != dec.w || sh != dec.h) &&
			    (rc = scale(&dec, sw, sh, &tmp, e)) == -1)
				break;
			if (in->orientation > 1) {
				rc = orient(&tmp, in->orientation, &it[nit], e);
				if (tmp.p != dec.p)
					free(tmp.p);
			} else {
				/* the decode itself may become one */
				it[nit] = tmp;
				if (tmp.p == dec.p)
					dec.p = NULL;
			}
		}
		if (rc == -1)
			break;
		nit++;
		rc = finish(&it[nit - 1], &v[order[k]], g, &out[order[k]], e);
	}
	for (j = 0; j < nit; j++)
		free(it[j].p);
	free(dec.p);
	if (rc == -1) {
		img_output_free(out, n);
		return -1;
	}
	return 0;
}
