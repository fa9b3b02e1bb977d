#!/usr/bin/python3
"""http-loop: one HTTP request per connection, in a loop, counting failures.

    http-loop.py HOST PORT MIN STOPFILE PROGRESSFILE

Runs until it has made MIN requests and STOPFILE exists (at most 100,000
requests and 120 seconds); writes the count to PROGRESSFILE every 50
requests; prints "requests N failed F" on stdout and the number of distinct
server pids (and the first error) on stderr.
"""
import os
import socket
import sys
import time

host, port, minimum = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stopfile, progress = sys.argv[4], sys.argv[5]
n = failed = 0
servers = set()
first_err = None
deadline = time.monotonic() + 120
while (n < minimum or not os.path.exists(stopfile)) and n < 100000 \
        and time.monotonic() < deadline:
    n += 1
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 ") or not body.startswith(b"ok "):
            raise ValueError("bad response %r" % data[:80])
        servers.add(body.split()[1])
    except Exception as e:  # every failure counts, whatever it is
        failed += 1
        if first_err is None:
            first_err = repr(e)
    if n % 50 == 0:
        with open(progress + ".tmp", "w") as f:
            f.write("%d\n" % n)
        os.replace(progress + ".tmp", progress)
print("requests %d failed %d" % (n, failed))
print("servers %d" % len(servers), file=sys.stderr)
if first_err:
    print("first error: " + first_err, file=sys.stderr)
