/*
 * imgtype.c: the format from magic numbers, and the format table.
 *
 * Every read is bounds-checked against the buffer and no scan goes past
 * its first 4 KiB: the sniffer runs on an attacker's bytes before
 * anything else does.
 */
#include <stdint.h>
#include <string.h>

#include "env.h"
#include "exitcode.h"
#include "imgtype.h"

#define SCAN_MAX	4096

static const struct {
	const char *name, *ext, *mime;
} fmts[IMG_NFORMATS] = {
	[IMG_UNKNOWN] = { "unknown", "bin", "application/octet-stream" },
	[IMG_JPEG] = { "jpeg", "jpg", "image/jpeg" },
	[IMG_PNG] = { "png", "png", "image/png" },
	[IMG_GIF] = { "gif", "gif", "image/gif" },
	[IMG_WEBP] = { "webp", "webp", "image/webp" },
	[IMG_TIFF] = { "tiff", "tif", "image/tiff" },
	[IMG_HEIC] = { "heic", "heic", "image/heic" },
	[IMG_AVIF] = { "avif", "avif", "image/avif" },
	[IMG_SVG] = { "svg", "svg", "image/svg+xml" },
	[IMG_MVG] = { "mvg", "mvg", "text/plain" },
	[IMG_MSL] = { "msl", "msl", "text/xml" },
	[IMG_PS] = { "postscript", "ps", "application/postscript" },
	[IMG_PDF] = { "pdf", "pdf", "application/pdf" },
	[IMG_BMP] = { "bmp", "bmp", "image/bmp" },
	[IMG_PSD] = { "psd", "psd", "image/vnd.adobe.photoshop" },
	[IMG_JXL] = { "jxl", "jxl", "image/jxl" },
	[IMG_BIGTIFF] = { "bigtiff", "tif", "image/tiff" },
	[IMG_TEXT] = { "text", "txt", "text/plain" },
};

static enum img_format
in_range(enum img_format f)
{
	return (unsigned)f < IMG_NFORMATS ? f : IMG_UNKNOWN;
}

const char *
img_format_name(enum img_format f)
{
	return fmts[in_range(f)].name;
}

const char *
img_format_ext(enum img_format f)
{
	return fmts[in_range(f)].ext;
}

const char *
img_format_mime(enum img_format f)
{
	return fmts[in_range(f)].mime;
}

/* One name of a list (aliases included); IMG_NFORMATS when none. */
static int
format_named(const char *word)
{
	int f;

	if (strcmp(word, "jpg") == 0)
		return IMG_JPEG;
	if (strcmp(word, "heif") == 0)
		return IMG_HEIC;
	for (f = 1; f < IMG_NFORMATS; f++)
		if (strcmp(word, fmts[f].name) == 0)
			break;
	return f;
}

int
img_format_list(const char *s, unsigned *out, struct err *e)
{
	char word[16];
	const char *p = s, *end;
	size_t n;
	unsigned set = 0;
	int f;

	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || n >= sizeof(word))
			return err_set(e, EX_USAGE, "bad format list: %s", s);
		memcpy(word, p, n);
		word[n] = '\0';
		f = format_named(word);
		if (f >= IMG_NFORMATS || !(IMG_DECODABLE & IMG_FMT_BIT(f)))
			return err_set(e, EX_USAGE,
			    "not a format that can be allowed: %s", word);
		set |= IMG_FMT_BIT(f);
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = set;
	return 0;
}

int
img_formats_env(unsigned *out, struct err *e)
{
	const char *v = env_str("IMGQ_FORMATS");
	struct err le;

	*out = IMG_DEFAULT_ALLOW;
	if (v == NULL)
		return 0;
	if (img_format_list(v, out, &le) == -1)
		return err_set(e, EX_CONFIG, "IMGQ_FORMATS: %s", le.msg);
	return 0;
}

/* Case-insensitive search for an ASCII word in the first bytes. */
static int
contains_word(const uint8_t *b, size_t len, const char *w)
{
	size_t i, j, n = strlen(w);

	if (len > SCAN_MAX)
		len = SCAN_MAX;
	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n; j++) {
			uint8_t c = b[i + j];

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (c != (uint8_t)w[j])
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

/*
 * HEIC or AVIF by the brands of an ISOBMFF ftyp box: the major brand
 * decides when it is AVIF; otherwise any HEVC brand makes it HEIC.
 */
static enum img_format
sniff_isobmff(const uint8_t *b, size_t len)
{
	static const char *const heic[] = { "heic", "heix", "hevc", "hevx",
	    "heim", "heis" };
	uint32_t size;
	size_t i, k;
	int avif = 0, hei = 0;

	if (len < 16 || memcmp(b + 4, "ftyp", 4) != 0)
		return IMG_UNKNOWN;
	size = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	if (size < 16 || size > len || size > SCAN_MAX)
		return IMG_UNKNOWN;
	/* major brand at 8, minor version at 12, compatible brands after */
	for (i = 8; i + 4 <= size; i += 4) {
		if (i == 12)
			continue;
		if (memcmp(b + i, "avif", 4) == 0 ||
		    memcmp(b + i, "avis", 4) == 0)
			avif = 1;
		for (k = 0; k < sizeof(heic) / sizeof(heic[0]); k++)
			if (memcmp(b + i, heic[k], 4) == 0)
				hei = 1;
	}
	if (memcmp(b + 8, "avif", 4) == 0 || memcmp(b + 8, "avis", 4) == 0)
		return IMG_AVIF;
	if (hei)
		return IMG_HEIC;
	if (avif)
		return IMG_AVIF;
	return IMG_UNKNOWN;
}

static int
looks_text(const uint8_t *b, size_t len)
{
	size_t i;

	if (len > SCAN_MAX)
		len = SCAN_MAX;
	for (i = 0; i < len; i++)
		if (b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' &&
		    b[i] != '\r' && b[i] != '\f')
			return 0;
	return len > 0;
}

/* Binary signatures at offset 0 (WebP and ISOBMFF need more). */
static const struct {
	const char	*magic;
	size_t		 n;
	size_t		 min;		/* bytes needed, signature included */
	enum img_format	 f;
} sigs[] = {
	{ "\xff\xd8\xff", 3, 3, IMG_JPEG },
	{ "\x89PNG\r\n\x1a\n", 8, 8, IMG_PNG },
	{ "GIF87a", 6, 6, IMG_GIF },
	{ "GIF89a", 6, 6, IMG_GIF },
	{ "II*\0", 4, 4, IMG_TIFF },
	{ "MM\0*", 4, 4, IMG_TIFF },
	{ "II+\0", 4, 4, IMG_BIGTIFF },
	{ "MM\0+", 4, 4, IMG_BIGTIFF },
	{ "%PDF", 4, 4, IMG_PDF },
	{ "%!", 2, 2, IMG_PS },
	{ "\xc5\xd0\xd3\xc6", 4, 4, IMG_PS },	/* DOS EPS */
	{ "BM", 2, 26, IMG_BMP },	/* file and info headers */
	{ "8BPS", 4, 4, IMG_PSD },
	{ "\xff\x0a", 2, 2, IMG_JXL },
	{ "\0\0\0\x0cJXL \r\n\x87\n", 12, 12, IMG_JXL },
};

static enum img_format
sniff_signature(const uint8_t *b, size_t len)
{
	size_t i;

	if (len >= 12 && memcmp(b, "RIFF", 4) == 0 &&
	    memcmp(b + 8, "WEBP", 4) == 0)
		return IMG_WEBP;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (len >= sigs[i].min && memcmp(b, sigs[i].magic,
		    sigs[i].n) == 0)
			return sigs[i].f;
	return sniff_isobmff(b, len);
}

/*
 * The text-based formats GraphicsMagick would run as drawing or script
 * languages: after a BOM and white space, any markup counts as SVG.
 */
static enum img_format
sniff_text(const uint8_t *b, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' ||
	    b[i] == '\n'))
		i++;
	if (i < len && b[i] == '<') {
		if (contains_word(b + i, len - i, "<svg"))
			return IMG_SVG;
		if (contains_word(b + i, len - i, "<msl") ||
		    contains_word(b + i, len - i, "<image"))
			return IMG_MSL;
		return IMG_SVG;
	}
	if (contains_word(b + i, len - i, "viewbox") ||
	    contains_word(b + i, len - i, "push graphic-context"))
		return IMG_MVG;
	if (looks_text(b, len))
		return IMG_TEXT;
	return IMG_UNKNOWN;
}

enum img_format
img_sniff(const void *buf, size_t len)
{
	enum img_format f;

	if ((f = sniff_signature(buf, len)) != IMG_UNKNOWN)
		return f;
	return sniff_text(buf, len);
}
