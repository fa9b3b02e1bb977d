/*
 * img_probe.c: the header of each allowed format read and checked
 * without decoding a pixel (the format itself comes from imgtype).
 *
 * Every read is bounds-checked against the buffer; every loop is bounded
 * by the input's length or an explicit cap.  A container that is cut short
 * or whose structure is inconsistent is refused here, before a decoder
 * that might tolerate it (GraphicsMagick ignores PNG CRC errors, for one).
 */
#include <stdint.h>
#include <string.h>

#include "exitcode.h"
#include "img.h"

/* Bounds-checked big- and little-endian reads. */

static uint32_t
be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
le16(const uint8_t *p)
{
	return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t
le24(const uint8_t *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* EXIF (a TIFF structure): the orientation tag of IFD0. */

struct tiff {
	const uint8_t	*b;
	size_t		len;
	int		le;
};

static uint32_t
t16(const struct tiff *t, size_t off)
{
	return t->le ? le16(t->b + off) : be16(t->b + off);
}

static uint32_t
t32(const struct tiff *t, size_t off)
{
	return t->le ? le32(t->b + off) : be32(t->b + off);
}

static int
tiff_open(struct tiff *t, const uint8_t *b, size_t len)
{
	t->b = b;
	t->len = len;
	if (len < 8)
		return -1;
	if (memcmp(b, "II*\0", 4) == 0)
		t->le = 1;
	else if (memcmp(b, "MM\0*", 4) == 0)
		t->le = 0;
	else
		return -1;
	return 0;
}

/*
 * Finds tag in the IFD at off; returns the offset of its 12-byte entry, 0
 * when absent, -1 for a malformed IFD.
 */
static long
tiff_find(const struct tiff *t, uint32_t off, uint32_t tag)
{
	uint32_t n, i;

	if (off < 8 || off > t->len || t->len - off < 2)
		return -1;
	n = t16(t, off);
	if ((uint64_t)n * 12 > t->len - off - 2)
		return -1;
	for (i = 0; i < n; i++) {
		size_t ent = off + 2 + (size_t)i * 12;

		if (t16(t, ent) == tag)
			return (long)ent;
	}
	return 0;
}

/* A SHORT or LONG value of count 1 in an entry. */
static int
tiff_value(const struct tiff *t, long ent, uint32_t *v)
{
	uint32_t type = t16(t, (size_t)ent + 2);

	if (t32(t, (size_t)ent + 4) != 1)
		return -1;
	if (type == 3)
		*v = t16(t, (size_t)ent + 8);
	else if (type == 4)
		*v = t32(t, (size_t)ent + 8);
	else
		return -1;
	return 0;
}

int
img_exif_orientation(const uint8_t *b, size_t len)
{
	struct tiff t;
	uint32_t v;
	long ent;

	if (tiff_open(&t, b, len) == -1)
		return 1;
	ent = tiff_find(&t, t32(&t, 4), 0x112);
	if (ent <= 0 || tiff_value(&t, ent, &v) == -1 || v < 1 || v > 8)
		return 1;
	return (int)v;
}

int
img_exif_reset(uint8_t *b, size_t len)
{
	struct tiff t;
	long ent;
	size_t v;

	if (tiff_open(&t, b, len) == -1)
		return 0;
	ent = tiff_find(&t, t32(&t, 4), 0x112);
	if (ent <= 0 || t32(&t, (size_t)ent + 4) != 1)
		return 0;
	v = (size_t)ent + 8;
	if (t16(&t, (size_t)ent + 2) == 3) {
		b[v] = t.le ? 1 : 0;
		b[v + 1] = t.le ? 0 : 1;
	} else if (t16(&t, (size_t)ent + 2) == 4) {
		memset(b + v, 0, 4);
		b[t.le ? v : v + 3] = 1;
	} else
		return 0;
	return 1;
}

/* JPEG: markers up to the first SOF; EXIF orientation from APP1. */

static int
probe_jpeg(const uint8_t *b, size_t len, struct img_info *in, struct err *e)
{
	size_t p = 2;
	uint32_t m, seglen;
	int seen_exif = 0;

	for (;;) {
		/*
		 * Stray bytes before a marker are skipped, as libjpeg skips
		 * them (with a warning that is not damage: imgq-resize(1)).
		 */
		while (p < len && b[p] != 0xff)
			p++;
		while (p < len && b[p] == 0xff)
			p++;
		if (p >= len)
			return err_set(e, EX_DATAERR, "truncated JPEG header");
		m = b[p++];
		if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue;
		if (m == 0xd9 || m == 0xda)
			return err_set(e, EX_DATAERR,
			    "corrupt JPEG: no frame header");
		if (len - p < 2)
			return err_set(e, EX_DATAERR, "truncated JPEG header");
		seglen = be16(b + p);
		if (seglen < 2)
			return err_set(e, EX_DATAERR,
			    "corrupt JPEG: bad segment length");
		if (seglen > len - p)
			return err_set(e, EX_DATAERR, "truncated JPEG header");
		if (m == 0xe1 && !seen_exif && seglen >= 8 &&
		    memcmp(b + p + 2, "Exif\0\0", 6) == 0) {
			seen_exif = 1;
			in->orientation = img_exif_orientation(b + p + 8,
			    seglen - 8);
		}
		if ((m >= 0xc0 && m <= 0xcf) && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (seglen < 8)
				return err_set(e, EX_DATAERR,
				    "corrupt JPEG: short frame header");
			in->depth = b[p + 2];
			in->height = be16(b + p + 3);
			in->width = be16(b + p + 5);
			in->channels = b[p + 7];
			in->progressive = (m & 0x0f) >= 2 &&
			    (m == 0xc2 || m == 0xc6 || m == 0xca ||
			    m == 0xce);
			if (m == 0xc3 || m == 0xc7 || m == 0xcb || m == 0xcf)
				return err_set(e, EX_DATAERR,
				    "unsupported JPEG: lossless");
			if (in->depth != 8)
				return err_set(e, EX_DATAERR,
				    "unsupported JPEG: %d-bit samples",
				    in->depth);
			if (in->width == 0 || in->height == 0)
				return err_set(e, EX_DATAERR,
				    "corrupt JPEG: zero dimension");
			if (in->channels != 1 && in->channels != 3 &&
			    in->channels != 4)
				return err_set(e, EX_DATAERR,
				    "unsupported JPEG: %d components",
				    in->channels);
			in->frames = 1;
			return 0;
		}
		p += seglen;
	}
}

/* PNG: every chunk's bounds and CRC, IHDR, IDAT, IEND; acTL and eXIf. */

static uint32_t crc_table[8][256];
static int crc_ready;

static void
crc_init(void)
{
	uint32_t c, n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[0][n] = c;
	}
	for (n = 0; n < 256; n++)
		for (k = 1; k < 8; k++)
			crc_table[k][n] = crc_table[0][crc_table[k - 1][n] &
			    0xff] ^ (crc_table[k - 1][n] >> 8);
	crc_ready = 1;
}

static uint32_t
crc32_png(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	if (!crc_ready)
		crc_init();
	while (n >= 8) {
		c ^= le32(p);
		c = crc_table[7][c & 0xff] ^ crc_table[6][(c >> 8) & 0xff] ^
		    crc_table[5][(c >> 16) & 0xff] ^ crc_table[4][c >> 24] ^
		    crc_table[3][p[4]] ^ crc_table[2][p[5]] ^
		    crc_table[1][p[6]] ^ crc_table[0][p[7]];
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static int
png_ihdr_ok(const uint8_t *d)
{
	uint32_t depth = d[8], type = d[9];

	if (d[10] != 0 || d[11] != 0 || d[12] > 1)
		return 0;
	switch (type) {
	case 0:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 ||
		    depth == 16;
	case 3:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8;
	case 2: case 4: case 6:
		return depth == 8 || depth == 16;
	default:
		return 0;
	}
}

static int
probe_png(const uint8_t *b, size_t len, struct img_info *in, struct err *e)
{
	size_t p = 8;
	uint32_t n, i;
	const uint8_t *type;
	char tname[5];
	int idat = 0, idat_done = 0;

	in->frames = 1;
	for (i = 0;; i++) {
		if (len - p < 12)
			return err_set(e, EX_DATAERR, "truncated PNG%s",
			    i == 0 ? " header" : ": no IEND chunk");
		n = be32(b + p);
		type = b + p + 4;
		memcpy(tname, type, 4);
		tname[4] = '\0';
		for (size_t k = 0; k < 4; k++)
			if (!((type[k] >= 'A' && type[k] <= 'Z') ||
			    (type[k] >= 'a' && type[k] <= 'z')))
				return err_set(e, EX_DATAERR,
				    "corrupt PNG: bad chunk type");
		if (n > 0x7fffffffu || n > len - p - 12)
			return err_set(e, EX_DATAERR,
			    "truncated PNG: %s chunk runs past the end",
			    tname);
		if (crc32_png(type, (size_t)n + 4) != be32(b + p + 8 + n))
			return err_set(e, EX_DATAERR,
			    "corrupt PNG: CRC mismatch in %s", tname);
		if (i == 0 && memcmp(type, "IHDR", 4) != 0)
			return err_set(e, EX_DATAERR,
			    "corrupt PNG: IHDR is not first");
		if (memcmp(type, "IHDR", 4) == 0) {
			if (i != 0 || n != 13)
				return err_set(e, EX_DATAERR,
				    "corrupt PNG: bad IHDR");
			in->width = be32(b + p + 8);
			in->height = be32(b + p + 12);
			in->depth = b[p + 16];
			if (in->width == 0 || in->height == 0 ||
			    in->width > 0x7fffffffu ||
			    in->height > 0x7fffffffu)
				return err_set(e, EX_DATAERR,
				    "corrupt PNG: bad dimensions");
			if (!png_ihdr_ok(b + p + 8))
				return err_set(e, EX_DATAERR,
				    "corrupt PNG: bad IHDR fields");
		} else if (memcmp(type, "IDAT", 4) == 0) {
			if (idat_done)
				return err_set(e, EX_DATAERR,
				    "corrupt PNG: IDAT chunks not together");
			idat = 1;
		} else if (memcmp(type, "IEND", 4) == 0) {
			break;
		} else {
			if (idat)
				idat_done = 1;
			if (memcmp(type, "acTL", 4) == 0 && n >= 8 &&
			    be32(b + p + 8) > 0)
				in->frames = be32(b + p + 8);
			else if (memcmp(type, "eXIf", 4) == 0)
				in->orientation = img_exif_orientation(
				    b + p + 8, n);
			else if (!(type[0] & 0x20) &&
			    memcmp(type, "PLTE", 4) != 0)
				return err_set(e, EX_DATAERR,
				    "unsupported PNG: critical chunk %s",
				    tname);
		}
		p += (size_t)n + 12;
	}
	if (!idat)
		return err_set(e, EX_DATAERR, "corrupt PNG: no IDAT chunk");
	return 0;
}

/* GIF: the block structure, every frame's size, the frame count. */

static int
gif_skip_subblocks(const uint8_t *b, size_t len, size_t *pp)
{
	size_t p = *pp;

	for (;;) {
		if (p >= len)
			return -1;
		if (b[p] == 0) {
			*pp = p + 1;
			return 0;
		}
		if (len - p - 1 < b[p])
			return -1;
		p += (size_t)b[p] + 1;
	}
}

static void
grow(struct img_info *in, uint32_t w, uint32_t h)
{
	if (w > in->max_width)
		in->max_width = w;
	if (h > in->max_height)
		in->max_height = h;
}

static int
probe_gif(const uint8_t *b, size_t len, struct img_info *in, struct err *e)
{
	size_t p = 13;
	uint32_t fw, fh;

	if (len < 13)
		return err_set(e, EX_DATAERR, "truncated GIF header");
	in->width = le16(b + 6);
	in->height = le16(b + 8);
	in->depth = 8;
	if (b[10] & 0x80)
		p += (size_t)3 << ((b[10] & 7) + 1);
	in->frames = 0;
	for (;;) {
		if (p >= len) {
			if (in->frames > 0)
				break;	/* a missing trailer is common */
			return err_set(e, EX_DATAERR,
			    "truncated GIF: no image");
		}
		if (b[p] == 0x3b)
			break;
		if (b[p] == 0x21) {
			p += 2;
			if (p > len || gif_skip_subblocks(b, len, &p) == -1)
				return err_set(e, EX_DATAERR,
				    "truncated GIF: extension");
		} else if (b[p] == 0x2c) {
			if (len - p < 11)
				return err_set(e, EX_DATAERR,
				    "truncated GIF: image descriptor");
			fw = le16(b + p + 5);
			fh = le16(b + p + 7);
			if (fw == 0 || fh == 0)
				return err_set(e, EX_DATAERR,
				    "corrupt GIF: empty frame");
			grow(in, fw, fh);
			grow(in, le16(b + p + 1) + fw, le16(b + p + 3) + fh);
			if (in->frames == 0 && (in->width == 0 ||
			    in->height == 0)) {
				in->width = fw;
				in->height = fh;
			}
			if (b[p + 9] & 0x80)
				p += (size_t)3 << ((b[p + 9] & 7) + 1);
			p += 10;
			if (p >= len)
				return err_set(e, EX_DATAERR,
				    "truncated GIF: image data");
			if (b[p] < 2 || b[p] > 11)
				return err_set(e, EX_DATAERR,
				    "corrupt GIF: bad LZW code size");
			p++;
			if (gif_skip_subblocks(b, len, &p) == -1)
				return err_set(e, EX_DATAERR,
				    "truncated GIF: image data");
			if (in->frames < UINT32_MAX)
				in->frames++;
		} else
			return err_set(e, EX_DATAERR,
			    "corrupt GIF: unknown block 0x%02x", b[p]);
	}
	if (in->width == 0 || in->height == 0)
		return err_set(e, EX_DATAERR, "corrupt GIF: zero dimension");
	return 0;
}

/* WebP: the RIFF chunks, VP8/VP8L/VP8X sizes, ANMF count, EXIF. */

static int
probe_webp(const uint8_t *b, size_t len, struct img_info *in,
    struct err *e)
{
	size_t p = 12, end;
	uint32_t n, anmf = 0;
	int have = 0, vp8x = 0;

	end = (size_t)le32(b + 4) + 8;
	if (end > len)
		return err_set(e, EX_DATAERR, "truncated WebP");
	if (end < 12 + 8)
		return err_set(e, EX_DATAERR, "corrupt WebP: empty RIFF");
	in->depth = 8;
	while (p + 8 <= end) {
		const uint8_t *c = b + p, *d = b + p + 8;

		n = le32(c + 4);
		if (n > end - p - 8)
			return err_set(e, EX_DATAERR,
			    "truncated WebP: chunk runs past the end");
		if (memcmp(c, "VP8X", 4) == 0 && p == 12 && n >= 10) {
			vp8x = 1;
			in->width = le24(d + 4) + 1;
			in->height = le24(d + 7) + 1;
			have = 1;
		} else if (memcmp(c, "VP8 ", 4) == 0 && !have) {
			if (n < 10 || memcmp(d + 3, "\x9d\x01\x2a", 3) != 0)
				return err_set(e, EX_DATAERR,
				    "corrupt WebP: bad VP8 header");
			in->width = le16(d + 6) & 0x3fff;
			in->height = le16(d + 8) & 0x3fff;
			have = 1;
		} else if (memcmp(c, "VP8L", 4) == 0 && !have) {
			if (n < 5 || d[0] != 0x2f)
				return err_set(e, EX_DATAERR,
				    "corrupt WebP: bad VP8L header");
			in->width = (le32(d + 1) & 0x3fff) + 1;
			in->height = ((le32(d + 1) >> 14) & 0x3fff) + 1;
			have = 1;
		} else if (memcmp(c, "ANMF", 4) == 0) {
			if (n < 16)
				return err_set(e, EX_DATAERR,
				    "corrupt WebP: bad ANMF chunk");
			grow(in, le24(d + 6) + 1, le24(d + 9) + 1);
			anmf++;
		} else if (memcmp(c, "EXIF", 4) == 0 && vp8x) {
			size_t skip = n >= 6 && memcmp(d, "Exif\0\0", 6) == 0 ?
			    6 : 0;

			in->orientation = img_exif_orientation(d + skip,
			    n - skip);
		}
		p += 8 + (size_t)n + (n & 1);
		if (p > end)
			break;
	}
	if (!have || in->width == 0 || in->height == 0)
		return err_set(e, EX_DATAERR, "corrupt WebP: no image header");
	in->frames = anmf > 0 ? anmf : 1;
	return 0;
}

/* TIFF: IFD0's size and orientation, and how many IFDs there are. */

static int
probe_tiff(const uint8_t *b, size_t len, struct img_info *in,
    struct err *e)
{
	struct tiff t;
	uint32_t off, v, seen[64];
	long ent;
	size_t k, nseen = 0;

	if (tiff_open(&t, b, len) == -1)
		return err_set(e, EX_DATAERR, "truncated TIFF header");
	off = t32(&t, 4);
	if ((ent = tiff_find(&t, off, 256)) <= 0 ||
	    tiff_value(&t, ent, &in->width) == -1 ||
	    (ent = tiff_find(&t, off, 257)) <= 0 ||
	    tiff_value(&t, ent, &in->height) == -1)
		return err_set(e, EX_DATAERR,
		    "corrupt TIFF: no image size in the first IFD");
	if (in->width == 0 || in->height == 0)
		return err_set(e, EX_DATAERR, "corrupt TIFF: zero dimension");
	if ((ent = tiff_find(&t, off, 274)) > 0 &&
	    tiff_value(&t, ent, &v) == 0 && v >= 1 && v <= 8)
		in->orientation = (int)v;
	if ((ent = tiff_find(&t, off, 258)) > 0 &&
	    t32(&t, (size_t)ent + 4) >= 1 && t16(&t, (size_t)ent + 2) == 3 &&
	    t32(&t, (size_t)ent + 4) <= 2)
		in->depth = (int)t16(&t, (size_t)ent + 8);
	in->frames = 0;
	while (off != 0) {
		for (k = 0; k < nseen; k++)
			if (seen[k] == off)
				return err_set(e, EX_DATAERR,
				    "corrupt TIFF: IFD loop");
		if (nseen == sizeof(seen) / sizeof(seen[0]))
			break;
		seen[nseen++] = off;
		if (off < 8 || off > len - 2)
			return err_set(e, EX_DATAERR,
			    "corrupt TIFF: IFD offset out of range");
		v = t16(&t, off);
		if ((uint64_t)v * 12 + 6 > len - off)
			return err_set(e, EX_DATAERR, "truncated TIFF IFD");
		in->frames++;
		off = t32(&t, off + 2 + (size_t)v * 12);
	}
	return 0;
}

/* HEIF (HEIC, AVIF): the largest 'ispe' in meta/iprp/ipco. */

struct box {
	const uint8_t	*d;	/* payload */
	size_t		n;
	char		type[5];
};

/* Reads the box at *pp within [0, end); -1 when malformed. */
static int
box_next(const uint8_t *b, size_t end, size_t *pp, struct box *bx)
{
	size_t p = *pp, hdr = 8;
	uint64_t size;

	if (end - p < 8)
		return -1;
	size = be32(b + p);
	if (size == 1) {
		if (end - p < 16)
			return -1;
		size = (uint64_t)be32(b + p + 8) << 32 | be32(b + p + 12);
		hdr = 16;
	} else if (size == 0)
		size = end - p;
	if (size < hdr || size > end - p)
		return -1;
	memcpy(bx->type, b + p + 4, 4);
	bx->type[4] = '\0';
	bx->d = b + p + hdr;
	bx->n = (size_t)size - hdr;
	*pp = p + (size_t)size;
	return 0;
}

static int
heif_ipco(const struct box *ipco, struct img_info *in)
{
	struct box bx;
	size_t p = 0;
	int found = 0;

	while (p < ipco->n) {
		if (box_next(ipco->d, ipco->n, &p, &bx) == -1)
			return -1;
		if (strcmp(bx.type, "ispe") == 0 && bx.n >= 12) {
			uint32_t w = be32(bx.d + 4), h = be32(bx.d + 8);

			if (w == 0 || h == 0)
				return -1;
			/* the largest is the primary image or its grid */
			if ((uint64_t)w * h >
			    (uint64_t)in->width * in->height) {
				in->width = w;
				in->height = h;
			}
			grow(in, w, h);
			found = 1;
		}
	}
	return found ? 0 : -1;
}

static int
probe_heif(const uint8_t *b, size_t len, struct img_info *in,
    struct err *e)
{
	struct box top, sub, sub2;
	size_t p = 0, q, r;

	in->frames = 1;
	in->depth = 8;
	while (p < len) {
		if (box_next(b, len, &p, &top) == -1)
			return err_set(e, EX_DATAERR,
			    "corrupt HEIF: bad box structure");
		if (strcmp(top.type, "meta") != 0 || top.n < 4)
			continue;
		for (q = 4; q < top.n;) {
			if (box_next(top.d, top.n, &q, &sub) == -1)
				return err_set(e, EX_DATAERR,
				    "corrupt HEIF: bad meta box");
			if (strcmp(sub.type, "iprp") != 0)
				continue;
			for (r = 0; r < sub.n;) {
				if (box_next(sub.d, sub.n, &r, &sub2) == -1)
					return err_set(e, EX_DATAERR,
					    "corrupt HEIF: bad iprp box");
				if (strcmp(sub2.type, "ipco") == 0 &&
				    heif_ipco(&sub2, in) == -1)
					return err_set(e, EX_DATAERR,
					    "corrupt HEIF: bad ipco box");
			}
		}
	}
	if (in->width == 0 || in->height == 0)
		return err_set(e, EX_DATAERR, "corrupt HEIF: no image size");
	/* libheif applies irot/imir itself; EXIF orientation is ignored */
	in->orientation = 1;
	return 0;
}

int
img_probe(const void *buf, size_t len, struct img_info *in, struct err *e)
{
	const uint8_t *b = buf;
	int r;

	memset(in, 0, sizeof(*in));
	in->orientation = 1;
	in->bytes = len;
	if (len == 0)
		return err_set(e, EX_DATAERR, "empty input");
	in->format = img_sniff(b, len);
	switch (in->format) {
	case IMG_JPEG:
		r = probe_jpeg(b, len, in, e);
		break;
	case IMG_PNG:
		r = probe_png(b, len, in, e);
		break;
	case IMG_GIF:
		r = probe_gif(b, len, in, e);
		break;
	case IMG_WEBP:
		r = probe_webp(b, len, in, e);
		break;
	case IMG_TIFF:
		r = probe_tiff(b, len, in, e);
		break;
	case IMG_HEIC:
	case IMG_AVIF:
		r = probe_heif(b, len, in, e);
		break;
	case IMG_UNKNOWN:
		return err_set(e, EX_DATAERR,
		    "not an image: unrecognised format");
	case IMG_TEXT:
		return err_set(e, EX_DATAERR, "not an image: text");
	default:
		return err_set(e, EX_DATAERR, "input format not allowed: %s",
		    img_format_name(in->format));
	}
	if (r == -1)
		return -1;
	grow(in, in->width, in->height);
	return 0;
}

void
img_limits_fit(struct img_limits *l)
{
	uint64_t fit;

	if (l->max_memory == 0)
		return;
	fit = l->max_memory > IMG_FIXED_BYTES ? (l->max_memory -
	    IMG_FIXED_BYTES) / IMG_PIXEL_BYTES : 1;
	if (l->max_pixels == 0 || l->max_pixels > fit)
		l->max_pixels = fit;
}

int
img_check(const struct img_info *in, const struct img_limits *l,
    struct err *e)
{
	if (!(l->allow & IMG_FMT_BIT(in->format)))
		return err_set(e, EX_DATAERR, "input format not allowed: %s",
		    img_format_name(in->format));
	if ((l->max_side > 0 && (in->max_width > l->max_side ||
	    in->max_height > l->max_side)) || (l->max_pixels > 0 &&
	    (uint64_t)in->max_width * in->max_height > l->max_pixels))
		return err_set(e, EX_DATAERR,
		    "image too large: %ux%u (limit %llu pixels, %u a side)",
		    in->max_width, in->max_height,
		    (unsigned long long)l->max_pixels, l->max_side);
	if ((uint64_t)in->max_width * in->max_height > IMG_FREE_PIXELS +
	    IMG_PIXELS_PER_BYTE * in->bytes)
		return err_set(e, EX_DATAERR,
		    "image too large for its size: %ux%u from %llu bytes "
		    "(limit %llu pixels)", in->max_width, in->max_height,
		    (unsigned long long)in->bytes, IMG_FREE_PIXELS +
		    IMG_PIXELS_PER_BYTE * in->bytes);
	return 0;
}

unsigned
img_jpeg_max_scans(uint32_t w, uint32_t h)
{
	uint64_t mpx = ((uint64_t)w * h + 999999) / 1000000;
	uint64_t n = mpx > 0 ? 4000 / mpx : IMG_JPEG_MAX_SCANS;

	if (n > IMG_JPEG_MAX_SCANS)
		n = IMG_JPEG_MAX_SCANS;
	return n < 32 ? 32 : (unsigned)n;
}

void
img_upright(const struct img_info *in, uint32_t *w, uint32_t *h)
{
	if (in->orientation >= 5) {
		*w = in->height;
		*h = in->width;
	} else {
		*w = in->width;
		*h = in->height;
	}
}
