/*
 * img_variant.c: the variant syntax and where each variant lands.
 *
 *	name:WxH[:mode][:gravity][:format][:qN][:flag]...
 *
 * Fields after the size are told apart by their form, in any order; each
 * may appear once.  Pure functions: no GraphicsMagick here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "exitcode.h"
#include "img.h"

static const struct {
	const char	*word;
	enum img_gravity g;
} gravities[] = {
	{ "centre", IMG_CENTRE }, { "center", IMG_CENTRE },
	{ "north", IMG_NORTH }, { "south", IMG_SOUTH },
	{ "east", IMG_EAST }, { "west", IMG_WEST },
	{ "northeast", IMG_NORTHEAST }, { "northwest", IMG_NORTHWEST },
	{ "southeast", IMG_SOUTHEAST }, { "southwest", IMG_SOUTHWEST },
};

static int
parse_side(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (n == 0) {
		*out = 0;
		return 0;
	}
	if (n > 5 || s[0] == '0')
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v < 1 || v > IMG_SIDE_MAX)
		return -1;
	*out = v;
	return 0;
}

static int
parse_size_field(const char *f, struct img_variant *v)
{
	const char *x = strchr(f, 'x');

	if (x == NULL || strchr(x + 1, 'x') != NULL)
		return -1;
	if (parse_side(f, (size_t)(x - f), &v->width) == -1 ||
	    parse_side(x + 1, strlen(x + 1), &v->height) == -1)
		return -1;
	return v->width == 0 && v->height == 0 ? -1 : 0;
}

/* One field after the size; seen tracks which kinds were given. */
static int
parse_field(const char *f, struct img_variant *v, unsigned *seen,
    struct err *e)
{
	long long q;
	size_t i;
	unsigned kind;

	if (strcmp(f, "fit") == 0 || strcmp(f, "fill") == 0 ||
	    strcmp(f, "exact") == 0) {
		kind = 1;
		v->mode = f[1] == 'i' && f[2] == 't' ? IMG_FIT :
		    f[1] == 'i' ? IMG_FILL : IMG_EXACT;
	} else if (strcmp(f, "jpeg") == 0 || strcmp(f, "jpg") == 0 ||
	    strcmp(f, "png") == 0 || strcmp(f, "webp") == 0) {
		kind = 2;
		v->format = f[0] == 'j' ? IMG_JPEG : f[0] == 'p' ? IMG_PNG :
		    IMG_WEBP;
	} else if (f[0] == 'q' && f[1] >= '0' && f[1] <= '9') {
		kind = 3;
		if (parse_long(f + 1, 1, 100, &q, NULL) == -1)
			return err_set(e, EX_USAGE,
			    "bad quality (q1 to q100): %s", f);
		v->quality = (int)q;
	} else if (strcmp(f, "enlarge") == 0) {
		kind = 4;
		v->enlarge = 1;
	} else if (strcmp(f, "progressive") == 0) {
		kind = 5;
		v->progressive = 1;
	} else {
		for (i = 0; i < sizeof(gravities) / sizeof(gravities[0]); i++)
			if (strcmp(f, gravities[i].word) == 0)
				break;
		if (i == sizeof(gravities) / sizeof(gravities[0]))
			return err_set(e, EX_USAGE, "unknown variant field: %s",
			    f);
		kind = 6;
		v->gravity = gravities[i].g;
	}
	if (*seen & (1u << kind))
		return err_set(e, EX_USAGE, "variant field given twice: %s", f);
	*seen |= 1u << kind;
	return 0;
}

int
img_variant_parse(const char *s, struct img_variant *v, struct err *e)
{
	char buf[256], *f, *next;
	size_t n, i;
	unsigned seen = 0;

	memset(v, 0, sizeof(*v));
	v->mode = IMG_FIT;
	v->gravity = IMG_CENTRE;
	v->format = IMG_JPEG;
	n = strlen(s);
	if (n >= sizeof(buf))
		return err_set(e, EX_USAGE, "variant too long");
	memcpy(buf, s, n + 1);
	/* name */
	f = buf;
	next = strchr(f, ':');
	if (next == NULL)
		return err_set(e, EX_USAGE,
		    "bad variant (name:WxH[:options]): %s", s);
	*next++ = '\0';
	n = strlen(f);
	if (n == 0 || n > IMG_NAME_MAX)
		return err_set(e, EX_USAGE,
		    "bad variant name (1 to %d characters): %s", IMG_NAME_MAX,
		    s);
	for (i = 0; i < n; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') ||
		    (f[i] >= 'A' && f[i] <= 'Z') ||
		    (f[i] >= '0' && f[i] <= '9') || f[i] == '_' ||
		    f[i] == '-'))
			return err_set(e, EX_USAGE,
			    "bad variant name (letters, digits, _ and -): %s",
			    s);
	memcpy(v->name, f, n + 1);
	/* size */
	f = next;
	next = strchr(f, ':');
	if (next != NULL)
		*next++ = '\0';
	if (parse_size_field(f, v) == -1)
		return err_set(e, EX_USAGE,
		    "bad variant size (WxH, Wx or xH, 1 to %d): %s",
		    IMG_SIDE_MAX, s);
	while (next != NULL) {
		f = next;
		next = strchr(f, ':');
		if (next != NULL)
			*next++ = '\0';
		if (parse_field(f, v, &seen, e) == -1)
			return -1;
	}
	if (v->mode != IMG_FIT && (v->width == 0 || v->height == 0))
		return err_set(e, EX_USAGE,
		    "fill and exact need both width and height: %s", s);
	if (v->progressive && v->format != IMG_JPEG)
		return err_set(e, EX_USAGE,
		    "progressive is for JPEG only: %s", s);
	if (!(seen & (1u << 3)))
		v->quality = v->format == IMG_WEBP ? 80 :
		    v->format == IMG_PNG ? 75 : 85;
	return 0;
}

const char *
img_variant_ext(const struct img_variant *v)
{
	switch (v->format) {
	case IMG_PNG:
		return "png";
	case IMG_WEBP:
		return "webp";
	default:
		return "jpg";
	}
}

/* round(a * b / c), at least 1 */
static uint32_t
muldiv(uint32_t a, uint32_t b, uint32_t c)
{
	uint64_t r = ((uint64_t)a * b + c / 2) / c;

	return r < 1 ? 1 : r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

static void
gravity_offsets(enum img_gravity g, struct img_geom *o)
{
	uint32_t dx = o->scale_w - o->crop_w, dy = o->scale_h - o->crop_h;

	o->crop_x = dx / 2;
	o->crop_y = dy / 2;
	if (g == IMG_WEST || g == IMG_NORTHWEST || g == IMG_SOUTHWEST)
		o->crop_x = 0;
	if (g == IMG_EAST || g == IMG_NORTHEAST || g == IMG_SOUTHEAST)
		o->crop_x = dx;
	if (g == IMG_NORTH || g == IMG_NORTHEAST || g == IMG_NORTHWEST)
		o->crop_y = 0;
	if (g == IMG_SOUTH || g == IMG_SOUTHEAST || g == IMG_SOUTHWEST)
		o->crop_y = dy;
}

void
img_variant_geom(const struct img_variant *v, uint32_t sw, uint32_t sh,
    struct img_geom *o)
{
	uint32_t w = v->width, h = v->height;
	/* width binds when w/sw <= h/sh */
	int wbind;

	memset(o, 0, sizeof(*o));
	switch (v->mode) {
	case IMG_EXACT:
		o->scale_w = w;
		o->scale_h = h;
		break;
	case IMG_FILL:
		/* cover: the dimension that needs the larger scale binds */
		wbind = (uint64_t)w * sh >= (uint64_t)h * sw;
		if (!v->enlarge && (w > sw || h > sh) &&
		    (wbind ? w > sw : h > sh)) {
			/* no enlarging: the largest crop of the box's shape */
			o->scale_w = sw;
			o->scale_h = sh;
			if ((uint64_t)sw * h > (uint64_t)sh * w) {
				o->crop_h = sh;
				o->crop_w = muldiv(sh, w, h);
			} else {
				o->crop_w = sw;
				o->crop_h = muldiv(sw, h, w);
			}
			if (o->crop_w > sw)
				o->crop_w = sw;
			if (o->crop_h > sh)
				o->crop_h = sh;
			gravity_offsets(v->gravity, o);
			return;
		}
		if (wbind) {
			o->scale_w = w;
			o->scale_h = muldiv(sh, w, sw);
			if (o->scale_h < h)
				o->scale_h = h;
		} else {
			o->scale_h = h;
			o->scale_w = muldiv(sw, h, sh);
			if (o->scale_w < w)
				o->scale_w = w;
		}
		o->crop_w = w;
		o->crop_h = h;
		gravity_offsets(v->gravity, o);
		return;
	default:
		if (w == 0)
			wbind = 0;
		else if (h == 0)
			wbind = 1;
		else
			wbind = (uint64_t)w * sh <= (uint64_t)h * sw;
		if (wbind) {
			if (!v->enlarge && w > sw)
				w = sw;
			o->scale_w = w;
			o->scale_h = muldiv(sh, w, sw);
		} else {
			if (!v->enlarge && h > sh)
				h = sh;
			o->scale_h = h;
			o->scale_w = muldiv(sw, h, sh);
		}
		break;
	}
	o->crop_w = o->scale_w;
	o->crop_h = o->scale_h;
}

static uint64_t
scaled_area(const struct img_geom *g)
{
	return (uint64_t)g->scale_w * g->scale_h;
}

void
img_variant_plan(const struct img_variant *v, size_t n, uint32_t sw,
    uint32_t sh, struct img_geom *geo, size_t *order)
{
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		img_variant_geom(&v[i], sw, sh, &geo[i]);
		order[i] = i;
	}
	/* insertion sort: stable, and n is a handful */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && scaled_area(&geo[order[j]]) >
		    scaled_area(&geo[order[j - 1]]); j--) {
			k = order[j];
			order[j] = order[j - 1];
			order[j - 1] = k;
		}
}

void
img_decode_hint(const struct img_info *in, const struct img_variant *v,
    size_t n, double margin, uint32_t *hw, uint32_t *hh)
{
	struct img_geom g;
	uint32_t uw, uh, nw = 0, nh = 0;
	size_t i;

	*hw = *hh = 0;
	img_upright(in, &uw, &uh);
	for (i = 0; i < n; i++) {
		img_variant_geom(&v[i], uw, uh, &g);
		if (g.scale_w > nw)
			nw = g.scale_w;
		if (g.scale_h > nh)
			nh = g.scale_h;
	}
	if (margin > 1.0) {
		nw = (uint32_t)(nw * margin + 0.5);
		nh = (uint32_t)(nh * margin + 0.5);
	}
	if (n == 0 || nw >= uw || nh >= uh)
		return;
	if (in->orientation >= 5) {
		*hw = nh;
		*hh = nw;
	} else {
		*hw = nw;
		*hh = nh;
	}
}
