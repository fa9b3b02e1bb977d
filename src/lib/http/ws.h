/*
 * ws.h: the WebSocket protocol (RFC 6455) as a server speaks it: the
 * handshake's accept key, frames from clients parsed and reassembled into
 * messages with a limit on every size, frames to clients, and the small
 * JSON commands imgq-events(8) takes over it.
 *
 * Nothing here reads or writes a socket: the caller hands in the bytes it
 * has and gets back what they hold, so every function is unit-tested and
 * fuzzed on its own.
 */
#ifndef IMGQ_WS_H
#define IMGQ_WS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WS_OP_CONT	0x0
#define WS_OP_TEXT	0x1
#define WS_OP_BINARY	0x2
#define WS_OP_CLOSE	0x8
#define WS_OP_PING	0x9
#define WS_OP_PONG	0xa

/* Close codes (RFC 6455 7.4.1) */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_UNSUPPORTED	1003
#define WS_CLOSE_BAD_DATA	1007	/* text that is not UTF-8 */
#define WS_CLOSE_POLICY		1008
#define WS_CLOSE_TOO_BIG	1009
#define WS_CLOSE_ERROR		1011
#define WS_CLOSE_TRY_LATER	1013

/* The 24 characters of Sec-WebSocket-Accept for a key, and a NUL. */
#define WS_ACCEPT_LEN	28

/*
 * 1 when key is a Sec-WebSocket-Key a client may send: the base64 form
 * of 16 bytes (24 characters, the last two "=").
 */
int	ws_key_valid(const char *key);

/* Sec-WebSocket-Accept for a valid key into out (WS_ACCEPT_LEN + 1). */
int	ws_accept(const char *key, char *out);

/*
 * A receiver of one connection's frames.  frame_max bounds one frame's
 * payload, msg_max a whole (reassembled) message; set both, zero the
 * rest.  Free with ws_rx_free.
 */
struct ws_rx {
	uint64_t	 frame_max;
	uint64_t	 msg_max;
	struct buf	 msg;		/* fragments of the message so far */
	int		 op;		/* its opcode, 0 when none is open */
	unsigned char	 ctl[125];	/* a control frame's payload */
};

/* One message: a whole text message or one control frame. */
struct ws_msg {
	int		 op;		/* WS_OP_TEXT, _CLOSE, _PING, _PONG */
	const char	*data;		/* unmasked; valid until the next call */
	size_t		 len;
	int		 code;		/* WS_OP_CLOSE: its code, 0 when none */
};

/*
 * Takes the next frame from buf (n bytes).  Returns 0 when buf holds no
 * whole frame yet (nothing is used: call again with more; a frame needs
 * at most frame_max + 14 bytes); 1 when a frame was taken (*used bytes)
 * and made a message (*m filled); 2 when a frame was taken that did not
 * end a message; -1 when the peer broke the protocol: *code is the close
 * code to answer with (1002 protocol, 1003 binary data, 1007 text not
 * UTF-8, 1009 too big).
 */
int	ws_rx_next(struct ws_rx *, const void *buf, size_t n, size_t *used,
	    struct ws_msg *, int *code);
void	ws_rx_free(struct ws_rx *);

/* Appends a server's (unmasked) frame of op with payload to b. */
int	ws_frame(struct buf *b, int op, const void *payload, size_t len);

/* Appends a close frame with code and a short reason to b. */
int	ws_close_frame(struct buf *b, int code, const char *reason);

/*
 * A client's command: a JSON object with any of "follow" and "unfollow"
 * (a job id or an array of at most WS_CMD_IDS of them) and "feed" (true
 * or false).  Ids are copied as written ([0-9a-z] only, at most 32
 * characters); whether they name jobs is the caller's business.
 */
#define WS_CMD_IDS	16
struct ws_cmd {
	char	 follow[WS_CMD_IDS][33];
	size_t	 nfollow;
	char	 unfollow[WS_CMD_IDS][33];
	size_t	 nunfollow;
	int	 feed;			/* -1 not given, 0 false, 1 true */
};

/* Parses a command; -1 with why (a static string) on anything else. */
int	ws_cmd_parse(const char *, size_t, struct ws_cmd *, const char **why);

#endif
