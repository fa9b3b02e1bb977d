/*
 * imgtype.h: an image's format from its first bytes (magic numbers, never
 * a file name or a client's Content-Type), the format's names, and the
 * allow-list of formats imgq takes in.
 *
 * The one sniffer of imgq: imgq-recv refuses an upload by it, s3put names
 * an image's Content-Type by it, and imgq-resize's header probe starts
 * from it, so what the ingest accepts is what the worker decodes.  No
 * decoder and no other library here, so that all three can link it.
 */
#ifndef IMGQ_IMGTYPE_H
#define IMGQ_IMGTYPE_H

#include <stddef.h>

#include "err.h"

enum img_format {
	IMG_UNKNOWN = 0,
	/* decodable, subject to the allow-list */
	IMG_JPEG,
	IMG_PNG,
	IMG_GIF,
	IMG_WEBP,
	IMG_TIFF,
	IMG_HEIC,
	IMG_AVIF,
	/* recognised only to be refused by name */
	IMG_SVG,
	IMG_MVG,
	IMG_MSL,
	IMG_PS,
	IMG_PDF,
	IMG_BMP,
	IMG_PSD,
	IMG_JXL,
	IMG_BIGTIFF,
	IMG_TEXT,
	IMG_NFORMATS
};

#define IMG_FMT_BIT(f)	(1u << (f))
/* Every format a decode may be asked for. */
#define IMG_DECODABLE	(IMG_FMT_BIT(IMG_JPEG) | IMG_FMT_BIT(IMG_PNG) | \
	IMG_FMT_BIT(IMG_GIF) | IMG_FMT_BIT(IMG_WEBP) | IMG_FMT_BIT(IMG_TIFF) | \
	IMG_FMT_BIT(IMG_HEIC) | IMG_FMT_BIT(IMG_AVIF))

/*
 * The default allow-list: what browsers and phones upload.  TIFF is
 * decodable but only allowed when the settings say so (IMGQ_FORMATS): no
 * browser sends it, and libtiff is the decoder that takes the most of a
 * deliberately broken file.
 */
#define IMG_DEFAULT_ALLOW	(IMG_DECODABLE & ~IMG_FMT_BIT(IMG_TIFF))

/*
 * The format of the first bytes alone (no validation): IMG_UNKNOWN when
 * nothing is recognised.  At most the first 4 KiB are looked at.  Markup
 * of any kind counts as SVG, and plain text as IMG_TEXT: those answers
 * exist to refuse a file, not to name it.
 */
enum img_format	img_sniff(const void *, size_t);

/* "jpeg", "png", ..., "unknown" (out of range too). */
const char	*img_format_name(enum img_format);

/* The file name extension imgq stores it under: "jpg", "png", "bin"... */
const char	*img_format_ext(enum img_format);

/* The MIME type: "image/jpeg", ...; "application/octet-stream" unknown. */
const char	*img_format_mime(enum img_format);

/*
 * A comma-separated list of format names ("jpeg,png"; "jpg" and "heif"
 * are accepted as aliases) to a bit set of IMG_FMT_BIT; only decodable
 * formats may be named.  EX_USAGE on failure.
 */
int	img_format_list(const char *, unsigned *, struct err *);

/*
 * The allow-list of the settings, shared by the ingest and the worker:
 * IMGQ_FORMATS as a format list, IMG_DEFAULT_ALLOW when it is unset or
 * empty.  EX_CONFIG naming the variable when it is not a valid list.
 */
int	img_formats_env(unsigned *, struct err *);

#endif
