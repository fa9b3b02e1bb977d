/*
 * json.c: JSON strings.
 */
#include <string.h>

#include "json.h"

size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t k, i;
	unsigned long cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

int
json_str(struct buf *b, const void *sv, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = sv;
	char esc[6];
	size_t i, k;
	int rc = 0;

	rc |= buf_addc(b, '"');
	for (i = 0; i < n; i += k) {
		k = utf8_seq_len(s + i, n - i);
		if (k > 1 || (k == 1 && s[i] >= 0x20 && s[i] != '"' &&
		    s[i] != '\\' && s[i] != 0x7f)) {
			rc |= buf_add(b, s + i, k);
			continue;
		}
		if (k == 0) {
			k = 1;
			rc |= buf_add(b, "\\ufffd", 6);
			continue;
		}
		esc[0] = '\\';
		switch (s[i]) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 15];
			rc |= buf_add(b, esc, 6);
			continue;
		}
		rc |= buf_add(b, esc, 2);
	}
	rc |= buf_addc(b, '"');
	return rc != 0 ? -1 : 0;
}
