/*
 * img_int.h: what the img_ modules share and nobody else needs.
 */
#ifndef IMGQ_IMG_INT_H
#define IMGQ_IMG_INT_H

#include <stddef.h>

/* An sRGB ICC profile (img_srgb.c). */
extern const unsigned char img_srgb_icc[];
extern const size_t img_srgb_icc_len;

#endif
