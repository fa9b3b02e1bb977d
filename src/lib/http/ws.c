/*
 * ws.c: WebSocket frames and messages (RFC 6455), server side.
 */
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <string.h>

#include "json.h"
#include "ws.h"

#define WS_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static int
b64char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int
ws_key_valid(const char *key)
{
	size_t i;

	if (key == NULL || strlen(key) != 24 || key[22] != '=' ||
	    key[23] != '=')
		return 0;
	for (i = 0; i < 22; i++)
		if (!b64char((unsigned char)key[i]))
			return 0;
	/* 16 bytes leave 4 bits of the last character unused: zero */
	return strchr("AQgw", key[21]) != NULL;
}

int
ws_accept(const char *key, char *out)
{
	unsigned char in[24 + sizeof(WS_GUID)], md[SHA_DIGEST_LENGTH];

	if (!ws_key_valid(key))
		return -1;
	memcpy(in, key, 24);
	memcpy(in + 24, WS_GUID, sizeof(WS_GUID) - 1);
	SHA1(in, 24 + sizeof(WS_GUID) - 1, md);
	return EVP_EncodeBlock((unsigned char *)out, md, sizeof(md)) ==
	    WS_ACCEPT_LEN ? 0 : -1;
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq_len(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Close codes a peer may send (RFC 6455 7.4.1, 7.4.2). */
static int
close_code_ok(int c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) ||
	    (c >= 3000 && c <= 4999);
}

struct fhead {
	int		fin, op;
	unsigned char	mask[4];
	uint64_t	len;
	size_t		size;		/* of the header */
};

/* A frame's header: 0 not whole yet, 1 read, -1 with *code. */
static int
frame_head(const unsigned char *p, size_t n, uint64_t max, struct fhead *h,
    int *code)
{
	size_t k, i;
	int len7;

	*code = WS_CLOSE_PROTOCOL;
	if (n < 2)
		return 0;
	h->fin = (p[0] & 0x80) != 0;
	h->op = p[0] & 0x0f;
	len7 = p[1] & 0x7f;
	if ((p[0] & 0x70) != 0 || (h->op > WS_OP_BINARY && h->op <
	    WS_OP_CLOSE) || h->op > WS_OP_PONG)
		return -1;		/* no extension was agreed */
	if (h->op >= WS_OP_CLOSE && (!h->fin || len7 > 125))
		return -1;
	if ((p[1] & 0x80) == 0)
		return -1;		/* a client must mask */
	k = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	if (n < 2 + k)
		return 0;
	h->len = k == 0 ? (uint64_t)len7 : 0;
	for (i = 0; i < k; i++)
		h->len = h->len << 8 | p[2 + i];
	if ((k == 2 && h->len < 126) || (k == 8 && (h->len >> 63 ||
	    h->len < 65536)))
		return -1;		/* not the shortest form */
	if (h->len > max) {
		*code = WS_CLOSE_TOO_BIG;
		return -1;
	}
	if (n < 2 + k + 4)
		return 0;
	memcpy(h->mask, p + 2 + k, 4);
	h->size = 2 + k + 4;
	return 1;
}

static void
unmask(unsigned char *d, const unsigned char *s, size_t n,
    const unsigned char mask[4])
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = s[i] ^ mask[i & 3];
}

/* A control frame: 1 with *m, -1 with *code. */
static int
control(struct ws_rx *rx, const struct fhead *h, const unsigned char *p,
    struct ws_msg *m, int *code)
{
	unsigned char *d = rx->ctl;

	unmask(d, p, (size_t)h->len, h->mask);
	m->op = h->op;
	m->data = (const char *)d;
	m->len = (size_t)h->len;
	m->code = 0;
	if (h->op != WS_OP_CLOSE || h->len == 0)
		return 1;
	*code = WS_CLOSE_PROTOCOL;
	if (h->len == 1 || !close_code_ok(d[0] << 8 | d[1]))
		return -1;
	*code = WS_CLOSE_BAD_DATA;
	if (!utf8_valid(d + 2, (size_t)h->len - 2))
		return -1;
	m->code = d[0] << 8 | d[1];
	m->data += 2;
	m->len -= 2;
	return 1;
}

int
ws_rx_next(struct ws_rx *rx, const void *buf, size_t n, size_t *used,
    struct ws_msg *m, int *code)
{
	const unsigned char *p = buf;
	struct fhead h;
	size_t at;
	int r;

	*used = 0;
	if ((r = frame_head(p, n, rx->frame_max, &h, code)) <= 0)
		return r;
	if (n - h.size < h.len)
		return 0;
	*used = h.size + (size_t)h.len;
	p += h.size;
	if (h.op >= WS_OP_CLOSE) {
		/* it may come between fragments: it has a buffer of its own */
		return control(rx, &h, p, m, code);
	}
	*code = WS_CLOSE_PROTOCOL;
	if ((h.op == WS_OP_CONT) != (rx->op != 0))
		return -1;	/* a fragment of nothing, or a new message */
	if (h.op == WS_OP_BINARY) {
		*code = WS_CLOSE_UNSUPPORTED;
		return -1;
	}
	if (h.op != WS_OP_CONT) {
		rx->op = h.op;
		buf_reset(&rx->msg);
	}
	*code = WS_CLOSE_TOO_BIG;
	at = rx->msg.len;
	if (h.len > rx->msg_max - at)
		return -1;
	if (buf_add(&rx->msg, p, (size_t)h.len) == -1) {
		*code = WS_CLOSE_ERROR;
		return -1;
	}
	unmask((unsigned char *)rx->msg.p + at, p, (size_t)h.len, h.mask);
	if (!h.fin)
		return 2;
	rx->op = 0;
	*code = WS_CLOSE_BAD_DATA;
	if (!utf8_valid((unsigned char *)rx->msg.p, rx->msg.len))
		return -1;
	m->op = WS_OP_TEXT;
	m->data = rx->msg.len > 0 ? rx->msg.p : "";
	m->len = rx->msg.len;
	m->code = 0;
	return 1;
}

void
ws_rx_free(struct ws_rx *rx)
{
	buf_free(&rx->msg);
	rx->op = 0;
}

int
ws_frame(struct buf *b, int op, const void *payload, size_t len)
{
	unsigned char h[10];
	size_t k, i;

	h[0] = 0x80 | (op & 0x0f);
	if (len < 126) {
		h[1] = (unsigned char)len;
		k = 2;
	} else if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		k = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >>
			    (56 - 8 * i));
		k = 10;
	}
	if (buf_add(b, h, k) == -1)
		return -1;
	return len > 0 ? buf_add(b, payload, len) : 0;
}

int
ws_close_frame(struct buf *b, int code, const char *reason)
{
	unsigned char p[125];
	size_t n = strlen(reason);

	if (n > sizeof(p) - 2)
		n = sizeof(p) - 2;
	p[0] = (unsigned char)(code >> 8);
	p[1] = (unsigned char)code;
	memcpy(p + 2, reason, n);
	return ws_frame(b, WS_OP_CLOSE, p, n + 2);
}
