#!/usr/bin/python3
"""bench/events/loadgen.py: many event clients from one process (epoll).

    loadgen.py idle HOST:PORT JOB SSE WS
        Opens SSE clients (GET /jobs/JOB/events) and WS clients
        (GET /events/ws?job=JOB, RFC 6455 handshake), waits until each has
        its answer head, prints "open N failed M" and holds them, reading
        and dropping what comes (pings, events), until standard input
        closes; then prints "held N" (how many were still open).

    loadgen.py fanout HOST:PORT JOB WS ROUNDS REDIS_HOST:PORT CHANNEL
        Opens WS followers of JOB and waits for each one's first event
        (the catch-up); then ROUNDS times: PUBLISH "JOB active" on CHANNEL
        and waits for one text frame on every follower.  Prints one line
        per round, "round K last_ms X first_ms Y", the time from just
        before the PUBLISH was written to the last (first) follower's
        receipt, then "p50 A p99 B max C delivered N".

    loadgen.py port
        Prints a free loopback TCP port.

    loadgen.py body IMAGE OUT
        Writes the multipart upload of IMAGE (field "file") to OUT for
        hey; prints its Content-Type.

Frames from the server are unmasked (RFC 6455 5.1); only text frames
count as events, pings and pongs are read and dropped.  Written for the
benchmark: one thread, non-blocking sockets, no library beyond Python's.
"""
import base64
import os
import select
import socket
import sys
import time

HEAD_MAX = 16384


def connect_all(host, port, reqs, timeout=60.0):
    """Connects every request (bytes), sends it; returns the open sockets
    whose answer head arrived (with the bytes after the head) and the
    number that failed."""
    ep = select.epoll()
    pending = {}
    failed = 0
    for r in reqs:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:
            failed += 1
            s.close()
            continue
        pending[s.fileno()] = [s, r, b"", False]
        ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLIN)
    done = {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for fd, ev in ep.poll(1.0, 1024):
            st = pending.get(fd)
            if st is None:
                continue
            s = st[0]
            if ev & (select.EPOLLERR | select.EPOLLHUP) and not ev & \
                    select.EPOLLIN:
                failed += 1
                ep.unregister(fd)
                s.close()
                del pending[fd]
                continue
            if not st[3] and ev & select.EPOLLOUT:
                try:
                    s.send(st[1])
                except OSError:
                    failed += 1
                    ep.unregister(fd)
                    s.close()
                    del pending[fd]
                    continue
                st[3] = True
                ep.modify(fd, select.EPOLLIN)
            if ev & select.EPOLLIN:
                try:
                    b = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    b = b""
                st[2] += b
                end = st[2].find(b"\r\n\r\n")
                if not b or end >= 0 or len(st[2]) > HEAD_MAX:
                    ep.unregister(fd)
                    del pending[fd]
                    line = st[2].split(b"\r\n", 1)[0]
                    if end >= 0 and (b" 200 " in line or b" 101 " in line):
                        done[fd] = [s, st[2][end + 4:]]
                    else:
                        failed += 1
                        s.close()
    for st in pending.values():
        failed += 1
        st[0].close()
    ep.close()
    return done, failed


def ws_request(host, port, path):
    key = base64.b64encode(os.urandom(16)).decode()
    return ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: %s\r\n\r\n" % (path, host, port, key)
            ).encode()


def sse_request(host, port, path):
    return ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream"
            "\r\n\r\n" % (path, host, port)).encode()


def text_frames(buf):
    """Counts whole text frames at the start of buf; returns (count,
    bytes used)."""
    n = off = 0
    while len(buf) - off >= 2:
        op = buf[off] & 0x0f
        ln = buf[off + 1] & 0x7f
        h = 2
        if ln == 126:
            if len(buf) - off < 4:
                break
            ln = int.from_bytes(buf[off + 2:off + 4], "big")
            h = 4
        elif ln == 127:
            if len(buf) - off < 10:
                break
            ln = int.from_bytes(buf[off + 2:off + 10], "big")
            h = 10
        if len(buf) - off < h + ln:
            break
        if op == 1:
            n += 1
        off += h + ln
    return n, off


def idle(host, port, job, nsse, nws):
    reqs = [sse_request(host, port, "/jobs/%s/events" % job)] * nsse + \
        [ws_request(host, port, "/events/ws?job=%s" % job)
         for _ in range(nws)]
    conns, failed = connect_all(host, port, reqs)
    print("open %d failed %d" % (len(conns), failed), flush=True)
    ep = select.epoll()
    for fd in conns:
        ep.register(fd, select.EPOLLIN)
    ep.register(sys.stdin.fileno(), select.EPOLLIN)
    while True:
        evs = ep.poll(5.0, 1024)
        if any(fd == sys.stdin.fileno() for fd, _ in evs) and \
                not os.read(sys.stdin.fileno(), 4096):
            break
        for fd, _ in evs:
            c = conns.get(fd)
            if c is None:
                continue
            try:
                b = c[0].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                b = b""
            if not b:
                ep.unregister(fd)
                c[0].close()
                del conns[fd]
    print("held %d" % len(conns), flush=True)


def resp_publish(r, channel, msg):
    parts = [b"PUBLISH", channel.encode(), msg.encode()]
    cmd = b"*%d\r\n" % len(parts) + b"".join(
        b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    r.sendall(cmd)


def fanout(host, port, job, nws, rounds, redis, channel):
    reqs = [ws_request(host, port, "/events/ws?job=%s" % job)
            for _ in range(nws)]
    conns, failed = connect_all(host, port, reqs)
    if failed or len(conns) != nws:
        print("fanout: %d of %d followers connected" % (len(conns), nws),
              file=sys.stderr)
        sys.exit(1)
    ep = select.epoll()
    for fd in conns:
        ep.register(fd, select.EPOLLIN)

    def wait_one_each(t0, timeout):
        """Reads until every follower has one more text frame; returns
        (first, last) receipt times in ms after t0, or None."""
        need = set(conns)
        first = None
        t_end = time.monotonic() + timeout
        for fd in list(need):
            c = conns[fd]
            k, used = text_frames(c[1])
            if k > 0:
                c[1] = c[1][used:]
                need.discard(fd)
        while need and time.monotonic() < t_end:
            for fd, _ in ep.poll(1.0, 1024):
                c = conns[fd]
                try:
                    c[1] += c[0].recv(65536)
                except BlockingIOError:
                    continue
                k, used = text_frames(c[1])
                c[1] = c[1][used:]
                if k > 0 and fd in need:
                    need.discard(fd)
                    now = (time.perf_counter() - t0) * 1000
                    if first is None:
                        first = now
        if need:
            return None
        return (first if first is not None else 0.0,
                (time.perf_counter() - t0) * 1000)

    if wait_one_each(time.perf_counter(), 60) is None:
        print("fanout: no catch-up event on every follower",
              file=sys.stderr)
        sys.exit(1)
    rh, rp = redis.rsplit(":", 1)
    r = socket.create_connection((rh, int(rp)))
    r.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lasts = []
    for k in range(rounds):
        time.sleep(0.05)
        t0 = time.perf_counter()
        resp_publish(r, channel, "%s active" % job)
        got = wait_one_each(t0, 30)
        r.recv(64)
        if got is None:
            print("fanout: round %d: not every follower got the event" % k,
                  file=sys.stderr)
            sys.exit(1)
        lasts.append(got[1])
        print("round %d last_ms %.2f first_ms %.2f" % (k, got[1], got[0]),
              flush=True)
    s = sorted(lasts)

    def pct(p):
        return s[max(1, -(-p * len(s) // 100)) - 1]
    print("p50 %.2f p99 %.2f max %.2f delivered %d" %
          (pct(50), pct(99), s[-1], rounds * nws), flush=True)


def body(image, out):
    """The multipart upload of image (field "file") into out; prints its
    Content-Type."""
    bound = "evbench-" + os.urandom(12).hex()
    name = os.path.basename(image)
    with open(image, "rb") as f:
        data = f.read()
    parts = [b"--" + bound.encode(),
             b'Content-Disposition: form-data; name="file"; filename="' +
             name.encode() + b'"', b"Content-Type: image/jpeg", b"", data,
             b"--" + bound.encode() + b"--", b""]
    with open(out, "wb") as f:
        f.write(b"\r\n".join(parts))
    print("multipart/form-data; boundary=" + bound)


def main(a):
    if len(a) == 1 and a[0] == "port":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    elif len(a) == 3 and a[0] == "body":
        body(a[1], a[2])
    elif len(a) == 5 and a[0] == "idle":
        h, p = a[1].rsplit(":", 1)
        idle(h, int(p), a[2], int(a[3]), int(a[4]))
    elif len(a) == 7 and a[0] == "fanout":
        h, p = a[1].rsplit(":", 1)
        fanout(h, int(p), a[2], int(a[3]), int(a[4]), a[5], a[6])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv[1:])
