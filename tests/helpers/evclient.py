#!/usr/bin/python3
"""evclient.py: clients of imgq-events for its tests.

  evclient.py sse PORT PATH [-H 'Name: value']... [-t secs]
      one event stream: a line "EVENT EID STATE" per event (STATE from the
      data's "state"), then "closed" when the server ends it, "timeout".
  evclient.py many N PORT PATH [-t secs]
      N streams at once, read to their end: one line "COUNT E1,E2,..." per
      distinct sequence of event names seen (a run of one name as NAME*K).
  evclient.py slow PORT PATH FILE
      connects with a tiny receive buffer, prints "connected" and leaves
      the socket unread until FILE exists; then "open" or "dropped".
  evclient.py silent PORT [-t secs]
      connects and says nothing: "closed" when the server closes,
      "timeout".
  evclient.py ws PORT PATH [-H h]... [-s TEXT]... [-x HEX]... [-n N] [-t secs]
      WebSocket: the handshake (anything but 101: "HTTP STATUS" and the
      body), then sends each -s as a masked text frame and each -x as raw
      bytes (frames built by hand), and prints what comes: "event NAME ID
      STATE" for events, "text PAYLOAD" for other text, "ping", "pong",
      "close CODE" (and "close" with no code), "eof"; stops after N
      messages, a close, or the timeout ("timeout").
"""
import base64, hashlib, json, os, select, socket, struct, sys, time


def args(argv):
    hdrs, sends, raws, n, t = [], [], [], 0, 20.0
    rest = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-H", "-s", "-x", "-n", "-t"):
            v = argv[i + 1]
            i += 2
            if a == "-H":
                hdrs.append(v)
            elif a == "-s":
                sends.append(("s", v))
            elif a == "-x":
                sends.append(("x", v))
            elif a == "-n":
                n = int(v)
            else:
                t = float(v)
        else:
            rest.append(a)
            i += 1
    return rest, hdrs, sends, n, t


def connect(port, rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", int(port)))
    return s


def request(s, path, hdrs, extra=""):
    h = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s" % (
        path, s.getpeername()[1], extra)
    for x in hdrs:
        h += x + "\r\n"
    s.sendall((h + "\r\n").encode())


class Stream:
    """One SSE stream, parsed as bytes come."""

    def __init__(self, s):
        self.s, self.buf, self.head, self.events, self.done = s, b"", None, [], False

    def feed(self):
        try:
            d = self.s.recv(65536)
        except (ConnectionResetError, BlockingIOError):
            d = b""
        if not d:
            self.done = True
            return
        self.buf += d
        if self.head is None:
            if b"\r\n\r\n" not in self.buf:
                return
            self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        while b"\n\n" in self.buf:
            block, self.buf = self.buf.split(b"\n\n", 1)
            ev, eid, data = None, "-", None
            for line in block.decode().split("\n"):
                if line.startswith("event: "):
                    ev = line[7:]
                elif line.startswith("id: "):
                    eid = line[4:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
            if ev is not None:
                self.events.append((ev, eid, data))


def sse(argv):
    (port, path), hdrs, _, _, t = args(argv)
    s = connect(port)
    request(s, path, hdrs)
    st = Stream(s)
    end = time.monotonic() + t
    shown = 0
    while not st.done and time.monotonic() < end:
        if select.select([s], [], [], max(0, end - time.monotonic()))[0]:
            st.feed()
        if st.head is not None and not st.head.startswith(b"HTTP/1.1 200"):
            print("HTTP " + st.head.split(b" ")[1].decode())
            print((st.buf).decode().strip())
            return
        for ev, eid, data in st.events[shown:]:
            print(ev, eid, data.get("state", "-"), flush=True)
        shown = len(st.events)
    print("closed" if st.done else "timeout")


def many(argv):
    (n, port, path), hdrs, _, _, t = args(argv)
    streams = []
    for _ in range(int(n)):
        s = connect(port)
        request(s, path, hdrs)
        streams.append(Stream(s))
    print("connected", flush=True)
    end = time.monotonic() + t
    while time.monotonic() < end and not all(x.done for x in streams):
        live = {x.s: x for x in streams if not x.done}
        for s in select.select(list(live), [], [], 0.5)[0]:
            live[s].feed()
    seqs = {}
    for x in streams:
        runs = []
        for e in x.events:
            if runs and runs[-1][0] == e[0]:
                runs[-1][1] += 1
            else:
                runs.append([e[0], 1])
        k = ",".join(n if c == 1 else "%s*%d" % (n, c) for n, c in runs)
        k += "" if x.done else ",timeout"
        seqs[k] = seqs.get(k, 0) + 1
    for k in sorted(seqs):
        print(seqs[k], k)


def slow(argv):
    (port, path, flag), hdrs, _, _, _ = args(argv)
    s = connect(port, 2048)
    request(s, path, hdrs)
    print("connected", flush=True)
    while not os.path.exists(flag):
        time.sleep(0.05)
    # the server drops the client: the socket ends in a reset or an EOF
    s.setblocking(False)
    try:
        while True:
            if not s.recv(1 << 20):
                break
    except ConnectionResetError:
        pass
    except BlockingIOError:
        print("open")
        return
    print("dropped")


def silent(argv):
    (port,), _, _, _, t = args(argv)
    s = connect(port)
    s.settimeout(t)
    try:
        print("closed" if not s.recv(1) else "data")
    except socket.timeout:
        print("timeout")


def frame(op, payload, mask=True, fin=True):
    b = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        b += bytes([m | n])
    elif n < 65536:
        b += bytes([m | 126]) + struct.pack("!H", n)
    else:
        b += bytes([m | 127]) + struct.pack("!Q", n)
    if mask:
        k = os.urandom(4)
        b += k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))
    else:
        b += payload
    return b


def read_frame(s, buf):
    while True:
        if len(buf) >= 2:
            n = buf[1] & 0x7F
            h = 2
            if n == 126 and len(buf) >= 4:
                n, h = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127 and len(buf) >= 10:
                n, h = struct.unpack("!Q", buf[2:10])[0], 10
            if n < 126 or h > 2:
                if len(buf) >= h + n:
                    return buf[0] & 0x0F, buf[h:h + n], buf[h + n:]
        d = s.recv(65536)
        if not d:
            return None, None, buf
        buf += d


def ws(argv):
    (port, path), hdrs, sends, n, t = args(argv)
    s = connect(port)
    s.settimeout(t)
    key = base64.b64encode(os.urandom(16)).decode()
    extra = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    if not any(h.lower().startswith("sec-websocket-version") for h in hdrs):
        extra += "Sec-WebSocket-Version: 13\r\n"
    if not any(h.lower().startswith("sec-websocket-key") for h in hdrs):
        extra += "Sec-WebSocket-Key: %s\r\n" % key
    request(s, path, hdrs, extra)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                print("eof")
                return
            buf += d
    except socket.timeout:
        print("timeout")
        return
    head, buf = buf.split(b"\r\n\r\n", 1)
    status = head.split(b" ")[1].decode()
    if status != "101":
        print("HTTP " + status)
        return
    want = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    if b"Sec-WebSocket-Accept: " + want not in head and \
            not any(h.lower().startswith("sec-websocket-key") for h in hdrs):
        print("bad accept")
        return
    for kind, v in sends:
        s.sendall(frame(1, v.encode()) if kind == "s" else bytes.fromhex(v))
    got = 0
    try:
        while n == 0 or got < n:
            op, p, buf = read_frame(s, buf)
            if op is None:
                print("eof")
                return
            got += 1
            if op == 1:
                m = json.loads(p)
                if "event" in m and "id" in m:
                    print("event", m["event"], m["id"], m["job"]["state"],
                          flush=True)
                else:
                    print("text", p.decode(), flush=True)
            elif op == 8:
                print("close %d" % struct.unpack("!H", p[:2])[0]
                      if len(p) >= 2 else "close")
                return
            else:
                print({9: "ping", 10: "pong"}.get(op, "op %d" % op))
    except socket.timeout:
        print("timeout")


if __name__ == "__main__":
    {"sse": sse, "many": many, "slow": slow, "silent": silent, "ws": ws}[sys.argv[1]](sys.argv[2:])
