/*
 * Unit tests of the pure img_ modules: sniffing, header probes, EXIF,
 * variant syntax, geometry and the decode hint.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "exitcode.h"
#include "img.h"
#include "img_int.h"
#include "tap.h"

static size_t
png_chunk(uint8_t *p, const char *type, const uint8_t *d, uint32_t n)
{
	static uint32_t tab[256];
	uint32_t c, k, i;

	if (tab[1] == 0)
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			tab[i] = c;
		}
	p[0] = n >> 24;
	p[1] = n >> 16;
	p[2] = n >> 8;
	p[3] = n;
	memcpy(p + 4, type, 4);
	if (n > 0)
		memcpy(p + 8, d, n);
	c = 0xffffffffu;
	for (i = 0; i < n + 4; i++)
		c = tab[(c ^ p[4 + i]) & 0xff] ^ (c >> 8);
	c ^= 0xffffffffu;
	p[8 + n] = c >> 24;
	p[9 + n] = c >> 16;
	p[10 + n] = c >> 8;
	p[11 + n] = c;
	return 12 + n;
}

static size_t
make_png(uint8_t *p, uint32_t w, uint32_t h, int with_iend)
{
	uint8_t ihdr[13] = { 0 }, idat[8] = { 0x78, 1, 1, 0, 0, 0xff, 0xff, 0 };
	size_t n = 8;

	memcpy(p, "\x89PNG\r\n\x1a\n", 8);
	ihdr[0] = w >> 24; ihdr[1] = w >> 16; ihdr[2] = w >> 8; ihdr[3] = w;
	ihdr[4] = h >> 24; ihdr[5] = h >> 16; ihdr[6] = h >> 8; ihdr[7] = h;
	ihdr[8] = 8;
	ihdr[9] = 2;
	n += png_chunk(p + n, "IHDR", ihdr, 13);
	n += png_chunk(p + n, "IDAT", idat, 8);
	if (with_iend)
		n += png_chunk(p + n, "IEND", NULL, 0);
	return n;
}

static void
test_sniff(void)
{
	is_int(img_sniff("\xff\xd8\xff\xe0", 4), IMG_JPEG, "sniff jpeg");
	is_int(img_sniff("\x89PNG\r\n\x1a\n", 8), IMG_PNG, "sniff png");
	is_int(img_sniff("GIF89a", 6), IMG_GIF, "sniff gif");
	is_int(img_sniff("RIFF\0\0\0\0WEBP", 12), IMG_WEBP, "sniff webp");
	is_int(img_sniff("II*\0", 4), IMG_TIFF, "sniff tiff");
	is_int(img_sniff("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24),
	    IMG_HEIC, "sniff heic");
	is_int(img_sniff("\0\0\0\x18" "ftypavif\0\0\0\0mif1miaf", 24),
	    IMG_AVIF, "sniff avif");
	is_int(img_sniff("\0\0\0\x18" "ftypmp42\0\0\0\0isommp42", 24),
	    IMG_UNKNOWN, "an mp4 is not an image");
	is_int(img_sniff("  <svg xmlns=", 13), IMG_SVG, "sniff svg");
	is_int(img_sniff("<?xml version=\"1.0\"?><svg", 25), IMG_SVG,
	    "sniff svg with a prolog");
	is_int(img_sniff("push graphic-context\n", 21), IMG_MVG, "sniff mvg");
	is_int(img_sniff("viewbox 0 0 1 1", 15), IMG_MVG, "sniff mvg viewbox");
	is_int(img_sniff("%!PS-Adobe", 10), IMG_PS, "sniff ps");
	is_int(img_sniff("%PDF-1.4", 8), IMG_PDF, "sniff pdf");
	is_int(img_sniff("hello\n", 6), IMG_TEXT, "sniff text");
	is_int(img_sniff("\x01\x02\x03", 3), IMG_UNKNOWN, "sniff binary junk");
	is_int(img_sniff("", 0), IMG_UNKNOWN, "sniff nothing");
}

static void
test_probe_png(void)
{
	uint8_t b[256];
	struct img_info in;
	struct err e;
	size_t n;

	n = make_png(b, 64250, 64250, 1);
	ok(img_probe(b, n, &in, &e) == 0, "a minimal png probes");
	is_int(in.width, 64250, "png width from IHDR");
	is_int(in.height, 64250, "png height from IHDR");
	is_int(in.frames, 1, "png frames");
	{
		struct img_limits l = { IMG_DECODABLE, 100000000, 32768, 0,
		    1 };

		ok(img_check(&in, &l, &e) == -1 && e.code == EX_DATAERR,
		    "64250x64250 is refused by the limits");
		is_str(e.msg, "image too large: 64250x64250 (limit 100000000 "
		    "pixels, 32768 a side)", "the reason");
		l.allow = IMG_FMT_BIT(IMG_JPEG);
		ok(img_check(&in, &l, &e) == -1 &&
		    strcmp(e.msg, "input format not allowed: png") == 0,
		    "the allow-list comes first");
	}
	n = make_png(b, 10, 10, 0);
	ok(img_probe(b, n, &in, &e) == -1, "no IEND is refused");
	is_str(e.msg, "truncated PNG: no IEND chunk", "no IEND reason");
	n = make_png(b, 10, 10, 1);
	b[40] ^= 1;
	ok(img_probe(b, n, &in, &e) == -1 &&
	    strncmp(e.msg, "corrupt PNG: CRC mismatch", 25) == 0,
	    "a flipped bit is a CRC mismatch: %s", e.msg);
	n = make_png(b, 0, 10, 1);
	ok(img_probe(b, n, &in, &e) == -1, "zero width is refused");
	ok(img_probe(b, 20, &in, &e) == -1 && e.code == EX_DATAERR,
	    "a cut header is refused");
}

static void
test_probe_jpeg(void)
{
	static const uint8_t sof[] = {
		0xff, 0xd8, 0xff, 0xe1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0,
		1, 0, 6, 0, 0, 0, 0, 0, 0,
		0xff, 0xc2, 0x00, 0x11, 8, 0x0b, 0xb8, 0x0f, 0xa0, 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
		0xff, 0xd9
	};
	uint8_t b[sizeof(sof)];
	struct img_info in;
	struct err e;

	ok(img_probe(sof, sizeof(sof), &in, &e) == 0, "a jpeg header probes");
	is_int(in.width, 4000, "jpeg width from SOF");
	is_int(in.height, 3000, "jpeg height from SOF");
	is_int(in.orientation, 6, "orientation from big-endian EXIF");
	ok(in.progressive, "SOF2 is progressive");
	{
		uint32_t w, h;

		img_upright(&in, &w, &h);
		ok(w == 3000 && h == 4000, "upright swaps for orientation 6");
	}
	memcpy(b, sof, sizeof(b));
	b[42] = 12;
	ok(img_probe(b, sizeof(b), &in, &e) == -1 &&
	    strcmp(e.msg, "unsupported JPEG: 12-bit samples") == 0,
	    "12-bit precision is refused: %s", e.msg);
	ok(img_probe(sof, 30, &in, &e) == -1 &&
	    strcmp(e.msg, "truncated JPEG header") == 0,
	    "a cut segment is refused");
	memcpy(b, sof, sizeof(b));
	b[4] = 0xff;
	ok(img_probe(b, sizeof(b), &in, &e) == -1, "a segment past the end");
}

static void
test_probe_gif(void)
{
	static const uint8_t gif[] = {
		'G', 'I', 'F', '8', '9', 'a', 10, 0, 5, 0, 0, 0, 0,
		0x2c, 0, 0, 0, 0, 10, 0, 5, 0, 0, 2, 2, 0x4c, 0x01, 0,
		0x2c, 0, 0, 0, 0, 10, 0, 5, 0, 0, 2, 2, 0x4c, 0x01, 0,
		0x3b
	};
	struct img_info in;
	struct err e;

	ok(img_probe(gif, sizeof(gif), &in, &e) == 0, "a gif probes");
	is_int(in.frames, 2, "gif frame count");
	is_int(in.width, 10, "gif width");
	ok(img_probe(gif, 26, &in, &e) == -1 &&
	    strcmp(e.msg, "truncated GIF: image data") == 0,
	    "a gif cut in its data: %s", e.msg);
	ok(img_probe(gif, 28, &in, &e) == 0 && in.frames == 1,
	    "a gif without a trailer after a whole frame is accepted");
}

static void
test_exif(void)
{
	uint8_t le[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0,
	    1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t be[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3,
	    0, 0, 0, 1, 0, 5, 0, 0, 0, 0, 0, 0 };

	is_int(img_exif_orientation(le, sizeof(le)), 8, "little-endian 8");
	is_int(img_exif_orientation(be, sizeof(be)), 5, "big-endian 5");
	ok(img_exif_reset(le, sizeof(le)), "reset finds the tag");
	is_int(img_exif_orientation(le, sizeof(le)), 1, "reset to 1 (le)");
	ok(img_exif_reset(be, sizeof(be)), "reset finds the tag (be)");
	is_int(img_exif_orientation(be, sizeof(be)), 1, "reset to 1 (be)");
	le[8] = 200;	/* entry count past the end */
	is_int(img_exif_orientation(le, sizeof(le)), 1, "malformed IFD: 1");
	is_int(img_exif_orientation(le, 4), 1, "short block: 1");
}

static void
test_variant(void)
{
	struct img_variant v;
	struct err e;

	ok(img_variant_parse("large:1024x1024", &v, &e) == 0, "minimal");
	ok(strcmp(v.name, "large") == 0 && v.width == 1024 &&
	    v.height == 1024 && v.mode == IMG_FIT && v.format == IMG_JPEG &&
	    v.quality == 85 && !v.enlarge && !v.progressive,
	    "defaults: fit, jpeg, q85");
	is_str(img_variant_ext(&v), "jpg", "jpeg extension");
	ok(img_variant_parse("t:256x256:fill:webp", &v, &e) == 0 &&
	    v.mode == IMG_FILL && v.format == IMG_WEBP && v.quality == 80,
	    "webp defaults to q80");
	ok(img_variant_parse("b:1200x300:q70:northeast:fill:enlarge:png", &v,
	    &e) == 0 && v.gravity == IMG_NORTHEAST && v.quality == 70 &&
	    v.enlarge && v.format == IMG_PNG, "fields in any order");
	ok(img_variant_parse("w:800x", &v, &e) == 0 && v.width == 800 &&
	    v.height == 0, "width only");
	ok(img_variant_parse("h:x600:progressive", &v, &e) == 0 &&
	    v.height == 600 && v.progressive, "height only, progressive");
	ok(img_variant_parse("x:0x10", &v, &e) == -1 && e.code == EX_USAGE,
	    "zero side");
	ok(img_variant_parse("x:16385x10", &v, &e) == -1, "side too large");
	ok(img_variant_parse("x:10x10x10", &v, &e) == -1, "two x");
	ok(img_variant_parse("x:010x10", &v, &e) == -1, "leading zero");
	ok(img_variant_parse(":10x10", &v, &e) == -1, "empty name");
	ok(img_variant_parse("a/b:10x10", &v, &e) == -1, "slash in name");
	ok(img_variant_parse("a:10x10:png:progressive", &v, &e) == -1,
	    "progressive png");
	ok(img_variant_parse("a:10x10:q0", &v, &e) == -1, "q0");
	ok(img_variant_parse("a:10x10:jpeg:png", &v, &e) == -1 &&
	    strcmp(e.msg, "variant field given twice: png") == 0,
	    "two formats");
	ok(img_variant_parse("a:10x:exact", &v, &e) == -1, "exact needs both");
	ok(img_variant_parse("a:10x10:", &v, &e) == -1, "empty field");
	ok(img_variant_parse("a", &v, &e) == -1, "no size");
}

static void
geom(const char *spec, uint32_t sw, uint32_t sh, struct img_geom *g)
{
	struct img_variant v;
	struct err e;

	if (img_variant_parse(spec, &v, &e) == -1) {
		printf("# %s: %s\n", spec, e.msg);
		memset(g, 0, sizeof(*g));
		return;
	}
	img_variant_geom(&v, sw, sh, g);
}

static void
test_geom(void)
{
	struct img_geom g;

	geom("a:1024x1024", 6000, 4000, &g);
	ok(g.scale_w == 1024 && g.scale_h == 683 && g.crop_w == 1024 &&
	    g.crop_h == 683, "fit landscape: 1024x683");
	geom("a:1024x1024", 3024, 4032, &g);
	ok(g.scale_w == 768 && g.scale_h == 1024, "fit portrait: 768x1024");
	geom("a:1024x1024", 500, 300, &g);
	ok(g.scale_w == 500 && g.scale_h == 300, "fit never enlarges");
	geom("a:1000x1000:enlarge", 500, 300, &g);
	ok(g.scale_w == 1000 && g.scale_h == 600, "fit enlarges on request");
	geom("a:256x256:fill", 6000, 4000, &g);
	ok(g.scale_w == 384 && g.scale_h == 256 && g.crop_w == 256 &&
	    g.crop_h == 256 && g.crop_x == 64 && g.crop_y == 0,
	    "fill centre: %ux%u+%u+%u", g.crop_w, g.crop_h, g.crop_x,
	    g.crop_y);
	geom("a:256x256:fill:east", 6000, 4000, &g);
	ok(g.crop_x == 128 && g.crop_y == 0, "fill east");
	geom("a:100x100:fill:south", 300, 900, &g);
	ok(g.scale_w == 100 && g.scale_h == 300 && g.crop_y == 200,
	    "fill south");
	geom("a:400x400:fill", 160, 100, &g);
	ok(g.scale_w == 160 && g.scale_h == 100 && g.crop_w == 100 &&
	    g.crop_h == 100 && g.crop_x == 30, "fill without enlarge");
	geom("a:123x45:exact", 160, 100, &g);
	ok(g.scale_w == 123 && g.scale_h == 45 && g.crop_w == 123,
	    "exact");
	geom("a:50x", 160, 100, &g);
	ok(g.scale_w == 50 && g.scale_h == 31, "width only: 50x31");
	geom("a:x40", 160, 100, &g);
	ok(g.scale_w == 64 && g.scale_h == 40, "height only: 64x40");
	geom("a:100x10", 10000, 1, &g);
	ok(g.scale_w == 100 && g.scale_h == 1, "a sliver keeps 1 pixel");
}

static void
test_hint(void)
{
	struct img_variant v[2];
	struct img_info in;
	struct err e;
	uint32_t w, h;

	memset(&in, 0, sizeof(in));
	in.width = 6000;
	in.height = 4000;
	in.orientation = 1;
	(void)img_variant_parse("a:1024x1024", &v[0], &e);
	(void)img_variant_parse("b:256x256:fill", &v[1], &e);
	img_decode_hint(&in, v, 2, 1.0, &w, &h);
	ok(w == 1024 && h == 683, "hint is the largest variant: %ux%u", w, h);
	in.orientation = 6;
	img_decode_hint(&in, v, 2, 1.0, &w, &h);
	ok(w == 1024 && h == 683, "hint in stored orientation: %ux%u", w, h);
	in.orientation = 1;
	img_decode_hint(&in, v, 2, 2.0, &w, &h);
	ok(w == 2048 && h == 1366, "hint with a margin: %ux%u", w, h);
	(void)img_variant_parse("c:6000x6000", &v[0], &e);
	img_decode_hint(&in, v, 1, 1.0, &w, &h);
	ok(w == 0 && h == 0, "no hint when the full size is needed");
}

static void
test_formats(void)
{
	unsigned set;
	struct err e;

	ok(img_format_list("jpeg,png", &set, &e) == 0 &&
	    set == (IMG_FMT_BIT(IMG_JPEG) | IMG_FMT_BIT(IMG_PNG)),
	    "a format list");
	ok(img_format_list("jpg,heif", &set, &e) == 0 &&
	    set == (IMG_FMT_BIT(IMG_JPEG) | IMG_FMT_BIT(IMG_HEIC)),
	    "aliases");
	ok(img_format_list("svg", &set, &e) == -1 && e.code == EX_USAGE,
	    "svg cannot be allowed");
	ok(img_format_list("png,,jpeg", &set, &e) == -1, "empty item");
	is_str(img_format_name(IMG_NFORMATS), "unknown", "out of range");
}

/* Lanczos-3 in double precision, both passes, no rounding between. */
static double
ref_lanczos(double x)
{
	double px;

	if (x == 0.0)
		return 1.0;
	if (x <= -3.0 || x >= 3.0)
		return 0.0;
	px = x * 3.14159265358979323846;
	return sin(px) / px * sin(px / 3.0) / (px / 3.0);
}

static void
ref_weights(uint32_t in, uint32_t out, uint32_t i, long *lo, long *hi,
    double *w)
{
	double scale = (double)in / out, fs = scale > 1.0 ? scale : 1.0;
	double c = (i + 0.5) * scale, sum = 0.0;
	long k;

	*lo = (long)floor(c - 3.0 * fs + 0.5);
	*hi = (long)floor(c + 3.0 * fs + 0.5);
	if (*lo < 0)
		*lo = 0;
	if (*hi > (long)in)
		*hi = (long)in;
	for (k = *lo; k < *hi; k++)
		sum += (w[k - *lo] = ref_lanczos((k + 0.5 - c) / fs));
	for (k = *lo; k < *hi; k++)
		w[k - *lo] /= sum;
}

/* The worst difference between img_resample8 and the reference. */
static int
resample_vs_ref(uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh, int ch,
    double f)
{
	static uint8_t src[97 * 61 * 3 + 16], dst[200 * 200 * 3];
	static double mid[200 * 61 * 3], wx[128], wy[128];
	struct err e;
	uint32_t x, y;
	long lo, hi, k;
	int c, worst = 0, d;
	double v;

	/* smooth, so that clamping between passes does not matter */
	for (y = 0; y < sh; y++)
		for (x = 0; x < sw; x++)
			for (c = 0; c < ch; c++)
				src[(y * sw + x) * ch + c] = (uint8_t)(128 +
				    60 * sin(x * f + c) * cos(y * f * 0.8));
	if (img_resample8(src, sw, sh, dst, dw, dh, ch, &e) == -1)
		return 999;
	for (y = 0; y < sh; y++)
		for (x = 0; x < dw; x++) {
			ref_weights(sw, dw, x, &lo, &hi, wx);
			for (c = 0; c < ch; c++) {
				for (v = 0.0, k = lo; k < hi; k++)
					v += wx[k - lo] *
					    src[(y * sw + k) * ch + c];
				mid[(y * dw + x) * ch + c] = v;
			}
		}
	for (y = 0; y < dh; y++) {
		ref_weights(sh, dh, y, &lo, &hi, wy);
		for (x = 0; x < dw; x++)
			for (c = 0; c < ch; c++) {
				for (v = 0.0, k = lo; k < hi; k++)
					v += wy[k - lo] *
					    mid[(k * dw + x) * ch + c];
				v = v < 0 ? 0 : v > 255 ? 255 : v;
				d = abs((int)lrint(v) -
				    dst[(y * dw + x) * ch + c]);
				if (d > worst)
					worst = d;
			}
	}
	return worst;
}

/* img_resample8_win against a crop of img_resample8, pixel for pixel. */
static int
window_same(int ch)
{
	static uint8_t src[150 * 90 * 3], all[61 * 37 * 3], win[61 * 37 * 3];
	static const uint32_t wins[][4] = {
		{ 0, 0, 61, 37 }, { 10, 3, 37, 30 }, { 0, 0, 1, 1 },
		{ 60, 36, 1, 1 }, { 24, 0, 37, 37 },
	};
	struct err e;
	size_t i, k;
	uint32_t y;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 2654435761u >> 24);
	if (img_resample8(src, 150, 90, all, 61, 37, ch, &e) == -1)
		return 0;
	for (k = 0; k < sizeof(wins) / sizeof(wins[0]); k++) {
		const uint32_t *w = wins[k];

		if (img_resample8_win(src, 150, 90, win, 61, 37, w[0], w[1],
		    w[2], w[3], ch, &e) == -1)
			return 0;
		for (y = 0; y < w[3]; y++)
			if (memcmp(win + (size_t)y * w[2] * ch, all +
			    ((size_t)(w[1] + y) * 61 + w[0]) * ch,
			    (size_t)w[2] * ch) != 0)
				return 0;
	}
	return 1;
}

/* A source of rows for img_resample8_rows: rows of src, in order. */
struct rowsrc {
	const uint8_t	*src;
	size_t		rowlen;
	uint32_t	next, fail_at;
};

static int
next_row(void *ctx, uint8_t *row, struct err *e)
{
	struct rowsrc *r = ctx;

	if (r->next == r->fail_at)
		return err_set(e, EX_DATAERR, "row %u: broken", r->next);
	memcpy(row, r->src + (size_t)r->next++ * r->rowlen, r->rowlen);
	return 0;
}

/*
 * img_resample8_rows against img_resample8, byte for byte, sw x sh to
 * dw x dh; *asked gets the rows it read.
 */
static int
rows_same(uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh, int ch,
    uint32_t *asked)
{
	static uint8_t src[300 * 200 * 3 + 16], a[300 * 200 * 3],
	    b[300 * 200 * 3];
	struct rowsrc r = { src, (size_t)sw * ch, 0, UINT32_MAX };
	struct err e;
	size_t i, n = (size_t)dw * dh * ch;

	for (i = 0; i < (size_t)sw * sh * ch; i++)
		src[i] = (uint8_t)((i * 2654435761u) >> 24 ^ (i / 7));
	if (img_resample8(src, sw, sh, a, dw, dh, ch, &e) == -1 ||
	    img_resample8_rows(next_row, &r, sw, sh, b, dw, dh, ch,
	    &e) == -1)
		return 0;
	*asked = r.next;
	return memcmp(a, b, n) == 0;
}

static void
test_rows(void)
{
	static uint8_t src[64 * 48], dst[64 * 48];
	struct rowsrc r = { src, 64, 0, 10 };
	struct err e;
	uint32_t asked;

	ok(rows_same(300, 200, 120, 80, 3, &asked) && asked == 200,
	    "rows as they come: the same bytes as in memory, 2.5:1 RGB");
	ok(rows_same(297, 199, 41, 70, 1, &asked), "grey, 7.2:1 and 2.8:1");
	ok(rows_same(50, 33, 170, 120, 3, &asked) && asked == 33,
	    "RGB enlarged");
	ok(rows_same(300, 200, 100, 20, 3, &asked) && asked == 200,
	    "RGB, 10:1 rows and 3:1 columns");
	ok(img_resample8_streams(300, 200, 120, 80) &&
	    !img_resample8_streams(800, 800, 100, 100),
	    "a reduction of 8:1 (a box first) does not stream");
	ok(img_resample8_rows(next_row, &r, 800, 800, dst, 100, 100, 1,
	    &e) == -1 && e.code == EX_SOFTWARE, "and is refused");
	ok(img_resample8_rows(next_row, &r, 64, 48, dst, 20, 15, 1,
	    &e) == -1 && e.code == EX_DATAERR && r.next == 10 &&
	    strcmp(e.msg, "row 10: broken") == 0,
	    "a source's failure is the result: %s", e.msg);
}

static void
test_resample(void)
{
	static uint8_t src[64 * 48 * 3], dst[64 * 48 * 3];
	struct err e;
	size_t i;
	int flat, lo, hi, worst;

	memset(src, 77, sizeof(src));
	ok(img_resample8(src, 64, 48, dst, 20, 15, 3, &e) == 0,
	    "resample 64x48 to 20x15");
	for (flat = 1, i = 0; i < 20 * 15 * 3; i++)
		flat &= dst[i] == 77;
	ok(flat, "a flat image stays flat");
	/* one-pixel checkerboard, halved: every output is mid-grey */
	for (i = 0; i < 64 * 48; i++)
		src[i] = ((i % 64) + (i / 64)) % 2 ? 255 : 0;
	ok(img_resample8(src, 64, 48, dst, 32, 24, 1, &e) == 0, "grey");
	for (lo = 255, hi = 0, i = 0; i < 32 * 24; i++) {
		if (dst[i] < lo)
			lo = dst[i];
		if (dst[i] > hi)
			hi = dst[i];
	}
	ok(lo >= 120 && hi <= 135, "a checkerboard halves to grey: %d..%d",
	    lo, hi);
	/* enlarging a two-pixel ramp keeps the ends */
	src[0] = 0;
	src[1] = 200;
	ok(img_resample8(src, 2, 1, dst, 8, 1, 1, &e) == 0 && dst[0] < 20 &&
	    dst[7] > 180, "enlarge: %d..%d", dst[0], dst[7]);
	ok(img_resample8(src, 0, 1, dst, 8, 1, 1, &e) == -1, "zero width");
	/* odd and even tap counts, both edges, RGB and grey, up and down */
	ok(resample_vs_ref(97, 61, 40, 25, 3, 0.21) <= 2, "RGB reduced: reference");
	ok(resample_vs_ref(97, 61, 83, 60, 3, 0.21) <= 2, "RGB, small ratio");
	ok(resample_vs_ref(97, 61, 41, 31, 1, 0.21) <= 2, "grey reduced");
	ok(resample_vs_ref(17, 13, 200, 150, 3, 0.21) <= 2, "RGB enlarged");
	ok(resample_vs_ref(5, 3, 3, 2, 3, 0.21) <= 2, "tiny");
	/* below 8:1, Lanczos alone: the reference's result */
	worst = resample_vs_ref(97, 61, 20, 12, 3, 0.21);
	ok(worst <= 2, "RGB reduced 5:1 (Lanczos alone): worst %d", worst);
	/* 8:1 and beyond: a box average first, close to the reference */
	worst = resample_vs_ref(97, 61, 9, 7, 1, 0.07);
	ok(worst <= 8, "grey reduced 10:1 (box first): worst %d", worst);
	worst = resample_vs_ref(97, 61, 11, 7, 3, 0.07);
	ok(worst <= 8, "RGB reduced 8:1 (box first): worst %d", worst);
	/* the box's means are exact, partial blocks at the edges too */
	memset(src, 255, sizeof(src));
	ok(img_resample8(src, 61, 45, dst, 3, 2, 3, &e) == 0, "20:1");
	for (flat = 1, i = 0; i < 3 * 2 * 3; i++)
		flat &= dst[i] == 255;
	ok(flat, "white reduced 20:1 (box 10, partial blocks) stays white");
	memset(src, 1, sizeof(src));
	ok(img_resample8(src, 64, 48, dst, 4, 3, 3, &e) == 0 &&
	    dst[0] == 1 && dst[4 * 3 * 3 - 1] == 1, "a dark flat image stays");
	/* a window is exactly that part of the whole result */
	ok(window_same(3) && window_same(1), "a window is a crop of the whole");
	ok(img_resample8_win(src, 64, 48, dst, 20, 15, 10, 0, 11, 15, 3,
	    &e) == -1, "a window past the edge is refused");
}

static void
test_cost(void)
{
	struct img_limits l = { 0 };
	struct img_info in = { 0 };
	struct err e;

	is_int(img_jpeg_max_scans(48, 32), 100, "a small JPEG: 100 scans");
	is_int(img_jpeg_max_scans(8000, 5000), 100, "40 Mpx: 100 scans");
	is_int(img_jpeg_max_scans(10000, 10000), 40, "100 Mpx: 40 scans");
	is_int(img_jpeg_max_scans(20000, 20000), 32, "400 Mpx: at least 32");
	l.max_memory = 64ULL << 20;
	l.max_pixels = 100000000;
	img_limits_fit(&l);
	is_int((long long)l.max_pixels, 3145728,
	    "64 MiB hold (64 - 16) MiB / 16 pixels");
	l.max_memory = 32ULL << 20;
	l.max_pixels = 1000;
	img_limits_fit(&l);
	is_int((long long)l.max_pixels, 1000, "a lower pixel limit stays");
	l.allow = ~0u;
	l.max_pixels = 200000000;
	in.format = IMG_PNG;
	in.max_width = 4000;
	in.max_height = 4000;
	in.bytes = 0;
	ok(img_check(&in, &l, &e) == 0, "16 Mpx need no bytes");
	in.max_width = 4001;
	ok(img_check(&in, &l, &e) == -1 && e.code == EX_DATAERR,
	    "16 Mpx + 4000 from an empty file are refused");
	in.bytes = 250;
	ok(img_check(&in, &l, &e) == 0, "16 pixels a byte pay for them");
}

int
main(void)
{
	test_sniff();
	test_probe_png();
	test_probe_jpeg();
	test_probe_gif();
	test_exif();
	test_variant();
	test_geom();
	test_hint();
	test_formats();
	test_resample();
	test_rows();
	test_cost();
	return tap_done();
}
