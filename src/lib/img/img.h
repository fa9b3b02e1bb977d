/*
 * img.h: images, the one place where an attacker's bytes meet a large
 * decoder.
 *
 * The flow is: img_probe() takes the format from img_sniff() (imgtype.h)
 * and reads the dimensions, orientation and frame count from the header
 * alone, validating the container as it goes (PNG chunk CRCs, GIF block
 * structure, RIFF and ISOBMFF box bounds); img_check() refuses a format
 * that is not on the allow-list and a size above the limits; only then
 * does img_decode() hand the bytes to GraphicsMagick, with the format
 * named explicitly ("JPEG:"), resource limits set, delegates and file
 * access refused, and a size hint so that JPEG is downscaled in the DCT
 * domain; img_render() makes every variant from that one decode, each
 * from the largest intermediate that is big enough, and encodes it to
 * memory.
 *
 * Variants are written "name:WxH[:mode][:gravity][:format][:qN][:flag]...",
 * documented in imgq-resize(1); img_variant_parse() reads one.
 *
 * Errors: EX_DATAERR for anything wrong with the input (with a one-line
 * reason), EX_USAGE for a bad variant, EX_OSERR when memory runs out,
 * EX_SOFTWARE for anything else.
 */
#ifndef IMGQ_IMG_H
#define IMGQ_IMG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "imgtype.h"

struct img_info {
	enum img_format	format;
	uint32_t	width;		/* as stored, before orientation */
	uint32_t	height;
	uint32_t	max_width;	/* largest frame or canvas seen */
	uint32_t	max_height;
	int		orientation;	/* EXIF 1..8, 1 when absent */
	uint32_t	frames;		/* 1 for a still image */
	int		depth;		/* bits per sample, 0 if unknown */
	int		channels;	/* JPEG components, 0 if unknown */
	int		progressive;	/* JPEG: progressive or multi-scan */
	uint64_t	bytes;		/* of the whole input */
};

/*
 * Reads the header of a whole file in memory without decoding pixels and
 * fills info.  Fails with EX_DATAERR (reason in the message) for an
 * unrecognised, refused, truncated or malformed file.
 */
int	img_probe(const void *, size_t, struct img_info *, struct err *);

/*
 * Memory a decoded image can cost at most: per input pixel,
 * GraphicsMagick's 16-bit RGBA pixel cache, its colormap index and the
 * resampler's 8-bit copies (an RGBA input; RGB and palette ones cost
 * less), and a fixed part for the variants' intermediates at the sizes of
 * the shipped presets.  The pixel limit never admits more pixels than the
 * memory limit holds at this rate (img_limits_fit), so an image that
 * passes the header check is not refused later for memory the settings
 * could never give it.
 */
#define IMG_PIXEL_BYTES	16
#define IMG_FIXED_BYTES	(16ULL << 20)

struct img_limits {
	unsigned	allow;		/* IMG_FMT_BIT set */
	uint64_t	max_pixels;	/* width * height of any frame */
	uint32_t	max_side;	/* width or height */
	uint64_t	max_memory;	/* bytes GraphicsMagick may allocate */
	int		threads;	/* GraphicsMagick worker threads */
};

/*
 * The CPU an input may cost, bounded by its size: an input of B bytes may
 * declare at most IMG_FREE_PIXELS + IMG_PIXELS_PER_BYTE * B pixels (a
 * photo has a few pixels a byte; a flat screenshot some tens), and a
 * progressive JPEG at most img_jpeg_max_scans() scans.  Any input under
 * 2 MB then decodes in well under 2 s of CPU: imgq-resize(1) has the
 * figures.
 */
#define IMG_FREE_PIXELS		16000000ULL
#define IMG_PIXELS_PER_BYTE	16ULL

/*
 * Scans a progressive JPEG may have at most, on both decoders, whatever
 * its size (img_jpeg_max_scans() lowers it for large images).  Encoders
 * write about 10 (libjpeg's default script) and never more than a few
 * dozen; each scan is a pass over every coefficient, so a file of
 * thousands of tiny scans costs minutes of CPU for a few hundred
 * kilobytes.
 */
#define IMG_JPEG_MAX_SCANS	100

/* Scans a progressive JPEG of w x h may have: 4000 per megapixel, 32..100. */
unsigned	img_jpeg_max_scans(uint32_t w, uint32_t h);

/* Lowers max_pixels to what max_memory holds (IMG_PIXEL_BYTES). */
void	img_limits_fit(struct img_limits *);

/* Refuses (EX_DATAERR) a format outside allow or a size above limits. */
int	img_check(const struct img_info *, const struct img_limits *,
	    struct err *);

/* Width and height as displayed, after the EXIF orientation. */
void	img_upright(const struct img_info *, uint32_t *, uint32_t *);

/*
 * EXIF: the orientation tag of a TIFF-structured EXIF block ("II*\0" or
 * "MM\0*" first), 1..8, or 1 when absent or malformed.  img_exif_reset()
 * sets it to 1 in place and returns 1 if it found one.
 */
int	img_exif_orientation(const uint8_t *, size_t);
int	img_exif_reset(uint8_t *, size_t);

/* Variants. */

enum img_mode {
	IMG_FIT,	/* inside the box, aspect kept */
	IMG_FILL,	/* cover the box, aspect kept, crop by gravity */
	IMG_EXACT	/* exactly the box, aspect changed */
};

enum img_gravity {
	IMG_CENTRE,
	IMG_NORTH,
	IMG_SOUTH,
	IMG_EAST,
	IMG_WEST,
	IMG_NORTHEAST,
	IMG_NORTHWEST,
	IMG_SOUTHEAST,
	IMG_SOUTHWEST
};

#define IMG_NAME_MAX	64
#define IMG_SIDE_MAX	16384

struct img_variant {
	char		name[IMG_NAME_MAX + 1];
	uint32_t	width;		/* 0: bound by height only */
	uint32_t	height;		/* 0: bound by width only */
	enum img_mode	mode;
	enum img_gravity gravity;
	enum img_format	format;		/* IMG_JPEG, IMG_PNG or IMG_WEBP */
	int		quality;	/* 1..100 */
	int		enlarge;	/* may scale up */
	int		progressive;	/* JPEG: progressive */
};

/*
 * Reads one variant, "name:WxH[:mode][:gravity][:format][:qN][:flag]...":
 * name is 1..64 of [A-Za-z0-9_-] (it names the output file); WxH, Wx or
 * xH; mode fit (default), fill or exact; gravity centre (default), north,
 * south, east, west, northeast, northwest, southeast, southwest; format
 * jpeg (default), png or webp; qN quality 1..100 (default 85 for JPEG, 80
 * for WebP); flags enlarge and progressive.  EX_USAGE on failure.
 */
int	img_variant_parse(const char *, struct img_variant *, struct err *);

/* The file name extension of an output format: "jpg", "png", "webp". */
const char	*img_variant_ext(const struct img_variant *);

/*
 * Where a variant lands for an upright source of sw x sh: the whole source
 * is scaled to scale_w x scale_h, then the crop_w x crop_h rectangle at
 * crop_x, crop_y is kept (the whole of it, except in fill mode).
 */
struct img_geom {
	uint32_t	scale_w, scale_h;
	uint32_t	crop_x, crop_y, crop_w, crop_h;
};

void	img_variant_geom(const struct img_variant *, uint32_t, uint32_t,
	    struct img_geom *);

/*
 * The geometry of each of n variants for an upright source of sw x sh
 * (geo[i] for v[i]), and order[] the variant indexes by scaled size,
 * largest first: rendering in that order lets each later variant start
 * from an earlier, larger one.
 */
void	img_variant_plan(const struct img_variant *, size_t, uint32_t,
	    uint32_t, struct img_geom *, size_t *);

/* Decoding and rendering with GraphicsMagick. */

/*
 * Once per process, before any other GraphicsMagick call: initialises the
 * library, sets its resource limits (pixels, width, height, memory, no
 * memory map or disk cache, threads) and refuses every file, URL and
 * program access it might attempt.
 */
int	img_init(const char *, const struct img_limits *, struct err *);

/*
 * Loads from the file system what decoding the format will need and
 * would otherwise load on first use (libheif for HEIC and AVIF), so that
 * decoding can then run where no file can be opened.  Fails, harmlessly,
 * where it cannot be loaded: img_decode() then reports why.
 */
int	img_prepare(enum img_format, struct err *);

struct img;

/*
 * Decodes the first frame of buf (already probed into info), asking a
 * JPEG decoder for no less than hint_w x hint_h stored pixels (0 for the
 * full size), converts it to upright sRGB with 8-bit samples.  NULL and
 * err filled on failure.
 */
struct img	*img_decode(const void *, size_t, const struct img_info *,
		    uint32_t, uint32_t, struct err *);

/* Width and height of the decoded, upright image. */
void	img_size(const struct img *, uint32_t *, uint32_t *);

void	img_free(struct img *);

struct img_render_opts {
	uint8_t		bg[3];		/* background for alpha, RGB */
	int		keep_meta;	/* keep EXIF (orientation reset), ICC */
};

struct img_output {
	void		*data;		/* malloc'd encoded bytes */
	size_t		len;
	uint32_t	width, height;
};

/*
 * Renders n variants (any order) into out[0..n-1]; the source is scaled
 * once per variant from the smallest intermediate already made that is
 * still at least as large, so the expensive first resize is shared.  On
 * failure the outputs made so far are freed.
 */
int	img_render(struct img *, const struct img_variant *, size_t,
	    const struct img_render_opts *, struct img_output *,
	    struct err *);

void	img_output_free(struct img_output *, size_t);

/*
 * The size to ask a JPEG decoder for (stored orientation) so that every
 * variant can be made without enlarging the decoded image, times margin
 * (1.0: just large enough; 2.0 leaves the resampler a 2:1 reduction):
 * 0 x 0 when the full size is needed.
 */
void	img_decode_hint(const struct img_info *, const struct img_variant *,
	    size_t, double, uint32_t *, uint32_t *);

/*
 * The margin both decoders are asked for: a JPEG is decoded at the
 * smallest DCT scale that leaves the resampler a reduction of 2:1 or
 * more (vipsthumbnail's rule too).  The DCT scaling works block by block:
 * decoded to just above the target, the output lost detail against a
 * float Lanczos of the full image on photos with fine texture.
 */
#define IMG_DECODE_MARGIN	2.0

/*
 * The common job without GraphicsMagick (img_jpeg.c): a JPEG in (probed
 * and checked), JPEG and WebP variants out, through libjpeg and libwebp
 * on 8-bit pixels, the same outputs as img_decode() and img_render()
 * would give.  Returns 1, having done nothing, for what it leaves to
 * them: CMYK, a non-sRGB ICC profile, keep_meta, PNG output, more than
 * IMG_FAST_MAX variants.  max_memory bounds the decoded pixels.  -1 and
 * err filled on failure (EX_DATAERR for damaged data).
 */
#define IMG_FAST_MAX	32

int	img_jpeg_render(const void *, size_t, const struct img_info *,
	    const struct img_variant *, size_t,
	    const struct img_render_opts *, uint64_t, struct img_output *,
	    struct err *);

#endif
