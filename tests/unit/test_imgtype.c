/*
 * Unit tests of imgtype: the sniffer on the first bytes of real files of
 * each format, cut short and nearly right; the format table; the
 * allow-list's syntax.
 */
#include <string.h>

#include "err.h"
#include "exitcode.h"
#include "imgtype.h"
#include "tap.h"

#define S(lit)	(lit), sizeof(lit) - 1

/* The first bytes of files written by common encoders, then near misses. */
static const struct {
	const char	*what;
	const char	*b;
	size_t		 len;
	enum img_format	 want;
} heads[] = {
	{ "JPEG (JFIF, libjpeg)", S("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01"
	    "\0\0\x01\0\x01\0\0"), IMG_JPEG },
	{ "JPEG (Exif, a camera)", S("\xff\xd8\xff\xe1\x1c\x45""Exif\0\0MM"
	    "\0*"), IMG_JPEG },
	{ "PNG", S("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08"
	    "\x06\0\0\0"), IMG_PNG },
	{ "GIF87a", S("GIF87a\x01\0\x01\0\x80\0\0"), IMG_GIF },
	{ "GIF89a", S("GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff"), IMG_GIF },
	{ "WebP lossy", S("RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0"), IMG_WEBP },
	{ "WebP lossless", S("RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0/"), IMG_WEBP },
	{ "WebP extended", S("RIFF\x4a\0\0\0WEBPVP8X\x0a\0\0\0"), IMG_WEBP },
	{ "TIFF little-endian", S("II*\0\x08\0\0\0\x0e\0"), IMG_TIFF },
	{ "TIFF big-endian", S("MM\0*\0\0\0\x08\0\x0e"), IMG_TIFF },
	{ "BigTIFF", S("II+\0\x08\0\0\0\x10\0\0\0"), IMG_BIGTIFF },
	{ "HEIC (an iPhone)", S("\0\0\0\x18""ftypheic\0\0\0\0mif1heic"),
	    IMG_HEIC },
	{ "HEIF, HEVC among the brands", S("\0\0\0\x1c""ftypmif1\0\0\0\0"
	    "mif1heicmiaf"), IMG_HEIC },
	{ "AVIF (libavif)", S("\0\0\0\x20""ftypavif\0\0\0\0avifmif1miaf"
	    "MA1B"), IMG_AVIF },
	{ "AVIF sequence", S("\0\0\0\x1c""ftypavis\0\0\0\0avismsf1iso8"),
	    IMG_AVIF },
	{ "AVIF among the brands", S("\0\0\0\x18""ftypmif1\0\0\0\0mif1avif"),
	    IMG_AVIF },
	{ "BMP", S("BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01"
	    "\0\0\0\x01\0"), IMG_BMP },
	{ "Photoshop", S("8BPS\0\x01\0\0\0\0\0\0\0\x03"), IMG_PSD },
	{ "JPEG XL codestream", S("\xff\x0a\xfa\x1f"), IMG_JXL },
	{ "JPEG XL container", S("\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14"),
	    IMG_JXL },
	{ "PDF", S("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), IMG_PDF },
	{ "PostScript", S("%!PS-Adobe-3.0 EPSF-3.0\n"), IMG_PS },
	{ "DOS EPS", S("\xc5\xd0\xd3\xc6\x20\0\0\0"), IMG_PS },
	{ "SVG", S("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), IMG_SVG },
	{ "SVG after a BOM and a prolog", S("\xef\xbb\xbf\n<?xml version="
	    "\"1.0\"?>\n<svg>"), IMG_SVG },
	{ "HTML counts as SVG", S("<!DOCTYPE html><html>"), IMG_SVG },
	{ "MSL", S("<?xml version=\"1.0\"?><msl><image>"), IMG_MSL },
	{ "MSL without a prolog", S("<image><read filename=\"x\"/>"),
	    IMG_MSL },
	{ "MVG", S("push graphic-context\nviewbox 0 0 1 1\n"), IMG_MVG },
	{ "MVG in capitals", S("VIEWBOX 0 0 10 10\n"), IMG_MVG },
	{ "plain text", S("just some text, not an image\n"), IMG_TEXT },
	{ "ELF", S("\x7f""ELF\x02\x01\x01\0"), IMG_UNKNOWN },
	{ "gzip", S("\x1f\x8b\x08\0"), IMG_UNKNOWN },
	{ "nothing", S(""), IMG_UNKNOWN },
	/* cut short, or one byte off: never the format of the whole */
	{ "PNG signature cut at 7", S("\x89PNG\r\n\x1a"), IMG_UNKNOWN },
	{ "PNG with LF and CR swapped", S("\x89PNG\n\r\x1a\n"), IMG_UNKNOWN },
	{ "JPEG cut at 2", S("\xff\xd8"), IMG_TEXT },
	{ "JPEG without its third byte", S("\xff\xd8\0\xe0"), IMG_UNKNOWN },
	{ "GIF version 90a", S("GIF90a\x01\0\x01\0"), IMG_UNKNOWN },
	{ "GIF cut at 5", S("GIF89"), IMG_TEXT },
	{ "RIFF cut before WEBP", S("RIFF\x24\0\0\0WEB"), IMG_UNKNOWN },
	{ "RIFF WAVE", S("RIFF\x24\0\0\0WAVEfmt "), IMG_UNKNOWN },
	{ "TIFF cut at 3", S("II*"), IMG_TEXT },
	{ "TIFF with a wrong magic", S("II\x2b\x01\x08\0\0\0"), IMG_UNKNOWN },
	{ "ftyp of an MP4", S("\0\0\0\x18""ftypmp42\0\0\0\0isommp42"),
	    IMG_UNKNOWN },
	{ "ftyp box longer than the bytes", S("\0\0\0\x40""ftypheic\0\0\0\0"
	    "mif1heic"), IMG_UNKNOWN },
	{ "ftyp box shorter than 16", S("\0\0\0\x0c""ftypheic\0\0\0\0"
	    "mif1heic"), IMG_UNKNOWN },
	{ "ftyp cut at 15", S("\0\0\0\x18""ftypheic\0\0\0"), IMG_UNKNOWN },
	{ "HEIC brand as minor version only", S("\0\0\0\x14""ftypmif1heic"
	    "mif1"), IMG_UNKNOWN },
	{ "BMP shorter than its header", S("BM\x46\0\0\0\0\0"), IMG_UNKNOWN },
	{ "JPEG XL container cut at 11", S("\0\0\0\x0cJXL \r\n\x87"),
	    IMG_UNKNOWN },
	{ "text with a NUL", S("hello\0world"), IMG_UNKNOWN },
};

static void
test_heads(void)
{
	size_t i;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		is_str(img_format_name(img_sniff(heads[i].b, heads[i].len)),
		    img_format_name(heads[i].want), "sniff %s", heads[i].what);
}

/* A word beyond the first 4 KiB is not looked for. */
static void
test_scan_limit(void)
{
	char b[5000];

	memset(b, 'a', sizeof(b));
	memcpy(b + 4000, "viewbox", 7);
	is_int(img_sniff(b, sizeof(b)), IMG_MVG, "a word within 4 KiB");
	memset(b, 'a', sizeof(b));
	memcpy(b + 4093, "viewbox", 7);
	is_int(img_sniff(b, sizeof(b)), IMG_TEXT, "a word across 4 KiB");
	memset(b, 'a', sizeof(b));
	b[4500] = '\x01';
	is_int(img_sniff(b, sizeof(b)), IMG_TEXT,
	    "a control byte past 4 KiB is not looked at");
}

static void
test_table(void)
{
	is_str(img_format_mime(IMG_JPEG), "image/jpeg", "JPEG mime");
	is_str(img_format_ext(IMG_JPEG), "jpg", "JPEG extension");
	is_str(img_format_mime(IMG_TIFF), "image/tiff", "TIFF mime");
	is_str(img_format_ext(IMG_TIFF), "tif", "TIFF extension");
	is_str(img_format_mime(IMG_HEIC), "image/heic", "HEIC mime");
	is_str(img_format_mime(IMG_AVIF), "image/avif", "AVIF mime");
	is_str(img_format_mime(IMG_TEXT), "text/plain", "text mime");
	is_str(img_format_mime(IMG_UNKNOWN), "application/octet-stream",
	    "unknown mime");
	is_str(img_format_name(IMG_PS), "postscript", "PostScript name");
	is_str(img_format_name(IMG_NFORMATS), "unknown", "out of range name");
	is_str(img_format_ext((enum img_format)-1), "bin",
	    "out of range extension");
	is_str(img_format_mime(IMG_NFORMATS), "application/octet-stream",
	    "out of range mime");
}

static void
test_list(void)
{
	struct err e;
	unsigned set = 0;

	err_clear(&e);
	ok(img_format_list("jpeg,png,gif,webp,tiff,heic,avif", &set, &e) ==
	    0 && set == IMG_DECODABLE, "every decodable format");
	ok(img_format_list("jpg,heif", &set, &e) == 0 &&
	    set == (IMG_FMT_BIT(IMG_JPEG) | IMG_FMT_BIT(IMG_HEIC)),
	    "aliases");
	ok(img_format_list("pdf", &set, &e) == -1 && e.code == EX_USAGE,
	    "a format refused by name cannot be allowed");
	is_str(e.msg, "not a format that can be allowed: pdf", "its message");
	ok(img_format_list("unknown", &set, &e) == -1, "unknown");
	ok(img_format_list("JPEG", &set, &e) == -1, "names are lower case");
	ok(img_format_list("", &set, &e) == -1, "empty list");
	ok(img_format_list("jpeg,", &set, &e) == -1, "trailing comma");
	ok(img_format_list("averyveryverylongname", &set, &e) == -1 &&
	    strcmp(e.msg, "bad format list: averyveryverylongname") == 0,
	    "a name too long");
}

int
main(void)
{
	test_heads();
	test_scan_limit();
	test_table();
	test_list();
	return tap_done();
}
