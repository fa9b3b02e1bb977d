"""recv-listen.py PORTFILE CMD...: runs CMD with a listening TCP socket on
127.0.0.1 (a free port, written to PORTFILE once listening) as its standard
input, the way inetd "wait", systemd Accept=no or imgq-prefork -l do."""
import os
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(128)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(tmp, sys.argv[1])
os.dup2(s.fileno(), 0)
s.close()
os.execvp(sys.argv[2], sys.argv[2:])
