#!/usr/bin/python3
"""bench/events/loadgen.py: many event clients from one process (epoll).

    loadgen.py idle HOST:PORT JOB SSE WS
        Opens SSE clients (GET /jobs/JOB/events) and WS clients
        (GET /events/ws?job=JOB, RFC 6455 handshake), waits until each has
        its answer head, prints "open N failed M" and holds them, reading
        and dropping what comes (pings, events), until standard input
        closes; then prints "held N" (how many were still open).

    loadgen.py port
        Prints a free loopback TCP port.

    loadgen.py body IMAGE OUT
        Writes the multipart upload of IMAGE (field "file") to OUT for
        hey; prints its Content-Type.

The fan-out's timing is fanout.c (in C, so that the client's own reading
weighs little beside the server it times).  One thread, non-blocking
sockets, no library beyond Python's.
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
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv[1:])
