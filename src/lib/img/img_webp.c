/*
 * img_webp.c: the first frame of an animated WebP.  GraphicsMagick's
 * WebP coder decodes still images only ("No data returned" for an
 * animation); libwebp's animation decoder composes the first frame onto
 * the canvas the file declares, which img_probe has checked against the
 * pixel limits.
 */
#include <stdint.h>
#include <stdlib.h>

#include <webp/demux.h>

#include "exitcode.h"
#include "img.h"
#include "img_int.h"

Image *
img_webp_first_frame(const void *buf, size_t len, struct err *e)
{
	WebPAnimDecoderOptions o;
	WebPAnimDecoder *d;
	WebPAnimInfo info;
	WebPData data;
	ExceptionInfo ex;
	uint8_t *rgba;
	Image *im;
	int ts;

	if (!WebPAnimDecoderOptionsInit(&o)) {
		err_set(e, EX_SOFTWARE, "decoding webp: libwebp version "
		    "mismatch");
		return NULL;
	}
	o.color_mode = MODE_RGBA;
	o.use_threads = 0;
	data.bytes = buf;
	data.size = len;
	if ((d = WebPAnimDecoderNew(&data, &o)) == NULL) {
		/* it fails alike for bad data and for no memory */
		err_set(e, EX_DATAERR, "decoding webp: not a valid animation");
		return NULL;
	}
	if (!WebPAnimDecoderGetInfo(d, &info) || info.frame_count < 1 ||
	    !WebPAnimDecoderGetNext(d, &rgba, &ts)) {
		WebPAnimDecoderDelete(d);
		err_set(e, EX_DATAERR, "decoding webp: no first frame");
		return NULL;
	}
	GetExceptionInfo(&ex);
	im = ConstituteImage(info.canvas_width, info.canvas_height, "RGBA",
	    CharPixel, rgba, &ex);
	WebPAnimDecoderDelete(d);
	if (im == NULL)
		err_set(e, EX_OSERR, "decoding webp: out of memory (%s)",
		    ex.reason != NULL ? ex.reason : "canvas");
	DestroyExceptionInfo(&ex);
	return im;
}
