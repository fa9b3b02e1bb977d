/*
 * test_ws.c: WebSocket frames from clients (one table, each case also fed
 * in pieces), frames to clients, the accept key and the JSON commands.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ws.h"

/* A client's frame: masked with 37 fa 21 3d. */
static size_t
mk(unsigned char *out, int b0, const char *payload, size_t n, int mask)
{
	static const unsigned char k[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = 2, i;

	out[0] = (unsigned char)b0;
	if (n < 126)
		out[1] = (unsigned char)n;
	else if (n < 65536) {
		out[1] = 126;
		out[2] = (unsigned char)(n >> 8);
		out[3] = (unsigned char)n;
		h = 4;
	} else {
		out[1] = 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)((unsigned long long)n >>
			    (56 - 8 * i));
		h = 10;
	}
	if (mask) {
		out[1] |= 0x80;
		memcpy(out + h, k, 4);
		h += 4;
	}
	for (i = 0; i < n; i++)
		out[h + i] = (unsigned char)payload[i] ^ (mask ? k[i & 3] : 0);
	return h + n;
}

static const struct {
	const char	*name;
	int		 b0;		/* FIN, RSV, opcode */
	const char	*payload;
	size_t		 len;
	int		 mask;
	int		 rc;		/* of ws_rx_next */
	int		 op;		/* rc 1: the message's */
	int		 code;		/* rc -1: the close code; close: its */
	const char	*data;		/* rc 1: the message's */
} cases[] = {
	{ "text", 0x81, "Hello", 5, 1, 1, WS_OP_TEXT, 0, "Hello" },
	{ "empty text", 0x81, "", 0, 1, 1, WS_OP_TEXT, 0, "" },
	{ "UTF-8 text", 0x81, "\xc3\xa9t\xc3\xa9", 5, 1, 1, WS_OP_TEXT, 0,
	    "\xc3\xa9t\xc3\xa9" },
	{ "unmasked", 0x81, "Hello", 5, 0, -1, 0, 1002, NULL },
	{ "binary", 0x82, "ab", 2, 1, -1, 0, 1003, NULL },
	{ "opcode 3", 0x83, "", 0, 1, -1, 0, 1002, NULL },
	{ "opcode 0xb", 0x8b, "", 0, 1, -1, 0, 1002, NULL },
	{ "RSV1", 0xc1, "a", 1, 1, -1, 0, 1002, NULL },
	{ "continuation first", 0x80, "a", 1, 1, -1, 0, 1002, NULL },
	{ "bad UTF-8", 0x81, "\xff\xfe", 2, 1, -1, 0, 1007, NULL },
	{ "surrogate", 0x81, "\xed\xa0\x80", 3, 1, -1, 0, 1007, NULL },
	{ "overlong", 0x81, "\xc0\xaf", 2, 1, -1, 0, 1007, NULL },
	{ "ping", 0x89, "p", 1, 1, 1, WS_OP_PING, 0, "p" },
	{ "pong", 0x8a, "", 0, 1, 1, WS_OP_PONG, 0, "" },
	{ "fragmented ping", 0x09, "p", 1, 1, -1, 0, 1002, NULL },
	{ "close, no code", 0x88, "", 0, 1, 1, WS_OP_CLOSE, 0, "" },
	{ "close 1000 bye", 0x88, "\x03\xe8" "bye", 5, 1, 1, WS_OP_CLOSE,
	    1000, "bye" },
	{ "close 4000", 0x88, "\x0f\xa0", 2, 1, 1, WS_OP_CLOSE, 4000, "" },
	{ "close, 1 byte", 0x88, "\x03", 1, 1, -1, 0, 1002, NULL },
	{ "close 1005", 0x88, "\x03\xed", 2, 1, -1, 0, 1002, NULL },
	{ "close 999", 0x88, "\x03\xe7", 2, 1, -1, 0, 1002, NULL },
	{ "close 5000", 0x88, "\x13\x88", 2, 1, -1, 0, 1002, NULL },
	{ "close, bad reason", 0x88, "\x03\xe8\xff", 3, 1, -1, 0, 1007,
	    NULL },
};

static void
table(void)
{
	struct ws_rx rx = { 0 };
	struct ws_msg m;
	unsigned char f[256];
	size_t i, n, used, k;
	int rc, code, partial;

	rx.frame_max = 64;
	rx.msg_max = 128;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = mk(f, cases[i].b0, cases[i].payload, cases[i].len,
		    cases[i].mask);
		/* any prefix of a frame is "more", unless it fails early */
		partial = 0;
		for (k = 0; k < n; k++)
			if (ws_rx_next(&rx, f, k, &used, &m, &code) != 0 ||
			    used != 0)
				partial |= cases[i].rc != -1;
		ok(!partial, "%s: a prefix asks for more", cases[i].name);
		rc = ws_rx_next(&rx, f, n, &used, &m, &code);
		is_int(rc, cases[i].rc, "%s: result", cases[i].name);
		if (rc == -1) {
			is_int(code, cases[i].code, "%s: close code",
			    cases[i].name);
			ws_rx_free(&rx);
			continue;
		}
		is_int(used, n, "%s: used", cases[i].name);
		is_int(m.op, cases[i].op, "%s: opcode", cases[i].name);
		ok(m.len == strlen(cases[i].data) && memcmp(m.data,
		    cases[i].data, m.len) == 0, "%s: data", cases[i].name);
		if (m.op == WS_OP_CLOSE)
			is_int(m.code, cases[i].code, "%s: code",
			    cases[i].name);
	}
	ws_rx_free(&rx);
}

static int
feed(struct ws_rx *rx, const unsigned char *f, size_t n, struct ws_msg *m,
    int *code)
{
	size_t off = 0, used;
	int rc = 0;

	while (off < n) {
		rc = ws_rx_next(rx, f + off, n - off, &used, m, code);
		if (rc <= 0)
			return rc;
		off += used;
		if (rc == 1 && off < n && m->op != WS_OP_TEXT)
			continue;
	}
	return rc;
}

static void
messages(void)
{
	struct ws_rx rx = { 0 };
	struct ws_msg m;
	unsigned char f[70000];
	size_t n;
	int rc, code = 0;
	char big[200];

	rx.frame_max = 100;
	rx.msg_max = 150;
	/* three fragments, a ping between them */
	n = mk(f, 0x01, "{\"fol", 5, 1);
	n += mk(f + n, 0x89, "x", 1, 1);
	n += mk(f + n, 0x00, "low\":", 5, 1);
	n += mk(f + n, 0x80, "\"a\"}", 4, 1);
	rc = feed(&rx, f, n, &m, &code);
	is_int(rc, 1, "fragments: a message");
	ok(m.op == WS_OP_TEXT && m.len == 14 && memcmp(m.data,
	    "{\"follow\":\"a\"}", 14) == 0, "fragments: reassembled");
	/* a new message while one is open */
	n = mk(f, 0x01, "a", 1, 1);
	n += mk(f + n, 0x81, "b", 1, 1);
	is_int(feed(&rx, f, n, &m, &code), -1, "interleaved: refused");
	is_int(code, 1002, "interleaved: 1002");
	ws_rx_free(&rx);
	/* a frame over the limit fails from its header alone */
	memset(big, 'a', sizeof(big));
	n = mk(f, 0x81, big, 101, 1);
	is_int(ws_rx_next(&rx, f, 4, &n, &m, &code), -1, "frame > max: -1");
	is_int(code, 1009, "frame > max: 1009");
	/* a message over the limit */
	n = mk(f, 0x01, big, 100, 1);
	n += mk(f + n, 0x80, big, 60, 1);
	is_int(feed(&rx, f, n, &m, &code), -1, "message > max: -1");
	is_int(code, 1009, "message > max: 1009");
	ws_rx_free(&rx);
	/* UTF-8 split between fragments is fine */
	n = mk(f, 0x01, "\xc3", 1, 1);
	n += mk(f + n, 0x80, "\xa9", 1, 1);
	is_int(feed(&rx, f, n, &m, &code), 1, "split UTF-8: a message");
	/* lengths not in their shortest form */
	f[0] = 0x81, f[1] = 0x80 | 126, f[2] = 0, f[3] = 5;
	is_int(ws_rx_next(&rx, f, 8, &n, &m, &code), -1, "16-bit 5: -1");
	is_int(code, 1002, "16-bit 5: 1002");
	rx.frame_max = 1 << 20;
	n = mk(f, 0x81, (const char *)f, 65536, 1);
	f[2] = 0x80;
	is_int(ws_rx_next(&rx, f, 14, &n, &m, &code), -1, "64-bit MSB: -1");
	ws_rx_free(&rx);
}

static void
out(void)
{
	struct buf b = { 0 };
	char acc[WS_ACCEPT_LEN + 1];
	static char big[70000];

	ws_frame(&b, WS_OP_TEXT, "hi", 2);
	ok(b.len == 4 && memcmp(b.p, "\x81\x02hi", 4) == 0, "text frame");
	buf_reset(&b);
	ws_frame(&b, WS_OP_TEXT, big, 300);
	ok(b.len == 304 && memcmp(b.p, "\x81\x7e\x01\x2c", 4) == 0,
	    "16-bit length");
	buf_reset(&b);
	ws_frame(&b, WS_OP_TEXT, big, 70000);
	ok(b.len == 70010 && memcmp(b.p, "\x81\x7f\0\0\0\0\0\x01\x11\x70",
	    10) == 0, "64-bit length");
	buf_reset(&b);
	ws_close_frame(&b, 1009, "x");
	ok(b.len == 5 && memcmp(b.p, "\x88\x03\x03\xf1x", 5) == 0,
	    "close frame");
	buf_free(&b);
	/* RFC 6455 1.3 */
	is_int(ws_accept("dGhlIHNhbXBsZSBub25jZQ==", acc), 0, "accept: ok");
	is_str(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "accept: RFC's value");
	ok(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQ="), "key: 23 characters");
	ok(!ws_key_valid("dGhlIHNhbXBsZSBub25jZR=="), "key: stray bits");
	ok(!ws_key_valid("dGhlIHNhbXBsZSBub2*jZQ=="), "key: not base64");
	ok(!ws_key_valid(NULL), "key: none");
}

static void
commands(void)
{
	struct ws_cmd c;
	const char *why = NULL;

	is_int(ws_cmd_parse("{\"follow\":[\"abc\",\"d1\"],\"feed\":true}", 35,
	    &c, &why), 0, "command: follow and feed");
	ok(c.nfollow == 2 && strcmp(c.follow[1], "d1") == 0 && c.feed == 1,
	    "command: its parts");
	is_int(ws_cmd_parse(" { \"unfollow\" : \"x\" } ", 22, &c, &why), 0,
	    "command: blanks, one id");
	ok(c.nunfollow == 1 && c.feed == -1, "command: unfollow");
	is_int(ws_cmd_parse("{}", 2, &c, &why), 0, "command: empty");
	is_int(ws_cmd_parse("{\"follow\":\"A\"}", 14, &c, &why), -1,
	    "command: upper case id");
	is_str(why, "a job id is of [0-9a-z]", "command: why");
	is_int(ws_cmd_parse("{\"follow\":\"a\\u0062\"}", 19, &c, &why), -1,
	    "command: escape");
	is_int(ws_cmd_parse("{\"x\":1}", 7, &c, &why), -1, "command: unknown");
	is_str(why, "unknown command (follow, unfollow, feed)",
	    "command: unknown, why");
	is_int(ws_cmd_parse("{\"feed\":true} x", 15, &c, &why), -1,
	    "command: junk after");
	is_int(ws_cmd_parse("{\"follow\":[\"a\"", 14, &c, &why), -1,
	    "command: unterminated");
	is_int(ws_cmd_parse("[\"a\"]", 5, &c, &why), -1, "command: array");
}

int
main(void)
{
	table();
	messages();
	out();
	commands();
	return tap_done();
}
