#!/usr/bin/python3
"""faultproxy: an HTTP/1.1 proxy in front of the local S3 service that
injects faults, for the S3 tools' tests.

    faultproxy.py --upstream 127.0.0.1:PORT --port-file F --log F [faults]

Listens on a free loopback port, or --port (written to --port-file once
ready).
Each client request is matched against the faults in order; the first
that still has a count left handles it, else the request is passed to
the upstream (one upstream connection per request, "Connection: close").
Every request is logged as "METHOD TARGET ACTION" to --log.

Faults (each takes a count N: how many requests it hits):
  --slowdown N        answer 503 SlowDown (Retry-After: --retry-after)
  --reset N           for requests with a body of at least --min-body
                      bytes: read --after bytes of the body, then reset
                      the connection (RST)
  --cut N             for GETs: pass, but reset the connection after
                      --after bytes of the answer's body
  --garbage N         answer 200 with a body that is not XML
  --stall N           read the request, never answer
  --deny N            answer 403 AccessDenied, after --deny-delay ms
  --hold N            read the request, then pass it on only once the
                      file --hold-until exists (a test acts meanwhile)
TLS: --tls PEM (key and certificate) serves https; the protocol each
connection negotiated by ALPN among --alpn (default "h2,http/1.1", as a
server offering HTTP/2 would) is logged as "TLS PROTOCOL".
Only requests whose target contains --match (default: any) count;
for --deny, those whose target contains --deny-match (default: any) and
whose method is --deny-method (default: any).
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

lock = threading.Lock()


def log(args, line):
    with lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 1 << 20:
            return None, b""
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def read_body(sock, rest, length):
    body = rest
    while len(body) < length:
        chunk = sock.recv(min(1 << 20, length - len(body)))
        if not chunk:
            break
        body += chunk
    return body


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def pick(args, method, target, length):
    with lock:
        if args.deny > 0 and (not args.deny_match or
                              args.deny_match in target) and \
                (not args.deny_method or args.deny_method == method):
            args.deny -= 1
            return "deny"
        if args.match and args.match not in target:
            return "pass"
        for name in ("slowdown", "reset", "cut", "garbage", "stall",
                     "hold"):
            if getattr(args, name) <= 0:
                continue
            if name == "reset" and length < args.min_body:
                continue
            if name == "cut" and method != "GET":
                continue
            setattr(args, name, getattr(args, name) - 1)
            return name
    return "pass"


def answer(sock, status, body, extra=b""):
    sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: " +
                 str(len(body)).encode() + b"\r\nContent-Type: "
                 b"application/xml\r\nConnection: close\r\n" + extra +
                 b"\r\n" + body)


def handle(args, csock):
    try:
        head, rest = read_head(csock)
        if head is None:
            csock.close()
            return
        lines = head.split(b"\r\n")
        method, target, _ = lines[0].decode("latin-1").split(" ", 2)
        length = 0
        hdrs = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() in (b"connection", b"keep-alive"):
                continue
            hdrs.append(line)
        action = pick(args, method, target, length)
        log(args, "%s %s %s" % (method, target, action))
        if action == "reset":
            got = rest
            while len(got) < args.after:
                chunk = csock.recv(65536)
                if not chunk:
                    break
                got += chunk
            reset(csock)
            return
        if action == "stall":
            while csock.recv(65536):
                pass
            csock.close()
            return
        body = read_body(csock, rest, length)
        if action == "hold":
            deadline = time.time() + 120
            while not os.path.exists(args.hold_until) and \
                    time.time() < deadline:
                time.sleep(0.01)
            action = "pass"
        if action == "slowdown":
            answer(csock, b"503 Slow Down",
                   b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                   b"SlowDown</Code><Message>Please reduce your request "
                   b"rate.</Message></Error>",
                   b"Retry-After: %d\r\n" % args.retry_after)
            csock.close()
            return
        if action == "deny":
            time.sleep(args.deny_delay / 1000.0)
            answer(csock, b"403 Forbidden",
                   b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                   b"AccessDenied</Code><Message>Access Denied.</Message>"
                   b"</Error>")
            csock.close()
            return
        if action == "garbage":
            answer(csock, b"200 OK", b"<ListBucketResult><Contents><Key>"
                   b"x</Key><Size>12</Size></Contents><<<not xml")
            csock.close()
            return
        up = socket.create_connection(args.upstream, timeout=60)
        up.sendall(b"\r\n".join([lines[0]] + hdrs) +
                   b"\r\nConnection: close\r\n\r\n" + body)
        sent = 0
        body_at = None
        buf = b""
        while True:
            chunk = up.recv(65536)
            if not chunk:
                break
            if action == "cut":
                buf += chunk
                if body_at is None and b"\r\n\r\n" in buf:
                    body_at = buf.index(b"\r\n\r\n") + 4
                if body_at is not None and len(buf) - body_at >= args.after:
                    csock.sendall(buf[:body_at + args.after])
                    up.close()
                    reset(csock)
                    return
                continue
            csock.sendall(chunk)
            sent += len(chunk)
        if action == "cut" and buf:
            csock.sendall(buf)
        up.close()
        csock.close()
    except (OSError, ValueError):
        try:
            csock.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--match", default="")
    p.add_argument("--slowdown", type=int, default=0)
    p.add_argument("--retry-after", type=int, default=0)
    p.add_argument("--reset", type=int, default=0)
    p.add_argument("--min-body", type=int, default=1)
    p.add_argument("--after", type=int, default=65536)
    p.add_argument("--cut", type=int, default=0)
    p.add_argument("--garbage", type=int, default=0)
    p.add_argument("--stall", type=int, default=0)
    p.add_argument("--deny", type=int, default=0)
    p.add_argument("--deny-match", default="")
    p.add_argument("--deny-delay", type=int, default=0)
    p.add_argument("--deny-method", default="")
    p.add_argument("--hold", type=int, default=0)
    p.add_argument("--hold-until", default="")
    p.add_argument("--tls", default="")
    p.add_argument("--alpn", default="h2,http/1.1")
    args = p.parse_args()
    tls = None
    if args.tls:
        import ssl
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls)
        tls.set_alpn_protocols(args.alpn.split(","))
    host, port = args.upstream.rsplit(":", 1)
    args.upstream = (host, int(port))
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(64)
    open(args.log, "a").close()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(args, tls, c),
                         daemon=True).start()


def serve(args, tls, c):
    if tls is not None:
        try:
            c = tls.wrap_socket(c, server_side=True)
        except OSError as ex:
            log(args, "TLS handshake failed: %s" % ex)
            c.close()
            return
        log(args, "TLS %s" % c.selected_alpn_protocol())
    handle(args, c)


if __name__ == "__main__":
    sys.exit(main())
