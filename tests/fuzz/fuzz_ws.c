/*
 * fuzz_ws.c: WebSocket frames from a client and the commands in them.
 * The input is a stream of frames, taken twice: once as it is and once
 * as it would arrive in pieces (sizes from the input's first bytes, the
 * caller appending to a buffer as imgq-events does); both runs must see
 * the same messages and end the same way.  Each text message is also
 * parsed as a command.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t
run(const uint8_t *in, size_t len, int whole)
{
	struct ws_rx rx = { 0 };
	struct ws_msg m;
	struct ws_cmd cmd;
	const char *why;
	uint8_t *buf;
	size_t have = 0, fed = 0, used, n, k = 0;
	uint64_t h = 14695981039346656037ULL;
	int rc, code;

	rx.frame_max = 512;
	rx.msg_max = 1024;
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	while (fed < len) {
		n = whole ? len - fed : (size_t)in[k++ % (len < 8 ? len : 8)] %
		    23 + 1;
		if (n > len - fed)
			n = len - fed;
		memcpy(buf + have, in + fed, n);
		have += n;
		fed += n;
		while ((rc = ws_rx_next(&rx, buf, have, &used, &m,
		    &code)) != 0) {
			if (rc == -1) {
				if (code < 1000 || code > 1011)
					abort();
				fnv_mix(&h, &code, sizeof(code));
				goto out;
			}
			if (used == 0 || used > have)
				abort();
			memmove(buf, buf + used, have - used);
			have -= used;
			if (rc != 1)
				continue;
			fnv_mix(&h, &m.op, sizeof(m.op));
			fnv_mix(&h, m.data, m.len);
			if (m.op == WS_OP_TEXT && ws_cmd_parse(m.data, m.len,
			    &cmd, &why) == 0)
				fnv_mix(&h, &cmd, sizeof(cmd));
		}
	}
out:
	ws_rx_free(&rx);
	free(buf);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	if (run(in, len, 1) != run(in, len, 0))
		abort();
	return 0;
}
