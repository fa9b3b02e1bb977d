/*
 * fuzz_img.c: the whole decode path of imgq-resize with its limits on:
 * probe, allow-list and size check, then as imgq-resize does it: a JPEG
 * through libjpeg directly (img_jpeg_render: DCT scaling, orientation,
 * JPEG and WebP out), anything it declines through GraphicsMagick with a
 * JPEG size hint, two small variants from one decode each time.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "img.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct img_limits limits = {
	IMG_DECODABLE,		/* allow */
	4000000,		/* max_pixels: keeps each run fast */
	8192,			/* max_side */
	256u << 20,		/* max_memory */
	1			/* threads */
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int ready;
	/* fast: JPEG and WebP, what img_jpeg_render takes; v: any */
	static struct img_variant v[2], fast[2];
	static const struct img_render_opts ro = { { 255, 255, 255 }, 0 };
	struct img_output out[2];
	struct img_info in;
	struct img *im;
	struct err e;
	uint32_t hw, hh;
	int rc;

	if (!ready) {
		if (img_init("fuzz_img", &limits, &e) == -1 ||
		    img_variant_parse("a:64x64:jpeg:q80", &v[0], &e) == -1 ||
		    img_variant_parse("b:24x24:fill:png", &v[1], &e) == -1 ||
		    img_variant_parse("c:30x20:fill:webp", &fast[1], &e) == -1)
			return 0;
		fast[0] = v[0];
		ready = 1;
	}
	if (img_probe(data, len, &in, &e) == -1 ||
	    img_check(&in, &limits, &e) == -1)
		return 0;
	/* JPEG and WebP variants: the direct path first, as imgq-resize */
	rc = img_jpeg_render(data, len, &in, fast, 2, &ro, limits.max_memory,
	    out, &e);
	if (rc == 0)
		img_output_free(out, 2);
	if (rc != 1)
		return 0;
	img_decode_hint(&in, v, 2, IMG_DECODE_MARGIN, &hw, &hh);
	if ((im = img_decode(data, len, &in, hw, hh, &e)) == NULL)
		return 0;
	if (img_render(im, v, 2, &ro, out, &e) == 0)
		img_output_free(out, 2);
	img_free(im);
	return 0;
}
