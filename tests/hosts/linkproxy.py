#!/usr/bin/python3
"""linkproxy: a TCP relay that behaves like a slow, lossy network link, for
the multi-host simulation (this kernel has no netem qdisc).

    linkproxy.py --listen HOST:PORT --upstream HOST:PORT [--log F]
                 [--delay MS] [--jitter MS] [--reset P] [--stall P]
                 [--fault-after N] [--seed N]

Every byte is passed on in order; each chunk read is held for --delay ms
plus or minus up to --jitter ms (uniform) in EACH direction, so that the
round trip is twice that.  A chunk never overtakes the one before it (the
link keeps TCP's order): its due time is at least its predecessor's.

Faults, drawn per connection:
  --reset P   with probability P, the connection is reset (RST to the
              client, the upstream closed) once a random 1 to
              --fault-after bytes have passed, both ways counted: a
              request or an answer cut mid-way.
  --stall P   with probability P (of those not reset), the answer stops
              after a random 1 to --fault-after bytes and the connection
              stays open, silent, until the client gives up: a stall
              mid-body.
Each connection's fate is logged as one line "CONN pass|reset|stall".
SIGUSR1 writes the counts of each to the log ("COUNTS pass N reset N
stall N").  The listening address is bound before the first line is
written to standard output ("ready").
"""
import argparse
import asyncio
import random
import signal
import socket
import struct
import sys

counts = {"pass": 0, "reset": 0, "stall": 0}


def log(args, line):
    if args.log:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def hold(args):
    return max(0.0, (args.delay + random.uniform(-args.jitter, args.jitter))
               / 1000.0)


def rst(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    writer.transport.abort()


async def pump(args, reader, writer, limit, on_limit, muted):
    """Reads from reader and writes each chunk to writer when it is due.
    limit (None: none) is a one-element list, the bytes that may still
    pass (shared by both directions for a reset); when they are used up,
    calls on_limit and stops.  Once muted() is true, what is read is
    dropped (the link went silent)."""
    loop = asyncio.get_running_loop()
    q = asyncio.Queue()
    last = 0.0

    async def deliver():
        while True:
            due, data = await q.get()
            if data is None:
                return
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if muted() or writer.transport.is_closing():
                continue
            writer.write(data)
            await writer.drain()

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if limit is not None and len(data) >= limit[0]:
                data = data[:limit[0]]
                limit[0] = 0
                last = max(last, loop.time() + hold(args))
                q.put_nowait((last, data))
                q.put_nowait((last, None))
                await sender
                on_limit()
                return
            if limit is not None:
                limit[0] -= len(data)
            last = max(last, loop.time() + hold(args))
            q.put_nowait((last, data))
        q.put_nowait((last, None))
        await sender
        if not muted() and not writer.transport.is_closing() and \
                writer.can_write_eof():
            writer.write_eof()
    finally:
        sender.cancel()


async def serve(args, creader, cwriter):
    fate = "pass"
    r = random.random()
    if r < args.reset:
        fate = "reset"
    elif r < args.reset + args.stall:
        fate = "stall"
    counts[fate] += 1
    log(args, "CONN " + fate)
    try:
        ureader, uwriter = await asyncio.open_connection(*args.upstream)
    except OSError:
        rst(cwriter)
        return
    cut = [random.randint(1, args.fault_after)]
    silent = []

    def reset_both():
        rst(cwriter)
        uwriter.transport.abort()

    def go_silent():
        # Both sockets stay open and nothing more passes: the client
        # sees a stall and must time out by itself (it then closes, and
        # the pump from it ends).
        silent.append(1)
        uwriter.transport.abort()

    def muted():
        return bool(silent)

    up = asyncio.ensure_future(pump(args, creader, uwriter,
                                    cut if fate == "reset" else None,
                                    reset_both, muted))
    down = asyncio.ensure_future(pump(args, ureader, cwriter,
                                      None if fate == "pass" else cut,
                                      reset_both if fate == "reset" else
                                      go_silent, lambda: False))
    try:
        await asyncio.wait([up, down], return_when=asyncio.ALL_COMPLETED)
    finally:
        for t in (up, down):
            if not t.done():
                t.cancel()
            elif not t.cancelled():
                t.exception()
        for w in (cwriter, uwriter):
            if not w.transport.is_closing():
                w.transport.abort()


def address(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


async def main_async(args):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: log(
        args, "COUNTS pass %d reset %d stall %d" % (
            counts["pass"], counts["reset"], counts["stall"])))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    async def handler(r, w):
        try:
            await serve(args, r, w)
        except (OSError, asyncio.CancelledError):
            w.transport.abort()

    server = await asyncio.start_server(handler, *args.listen,
                                        reuse_address=True, backlog=1024)
    print("ready", flush=True)
    await stop.wait()
    server.close()
    # The connections still open end with the proxy, quietly.
    rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in rest:
        t.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True, type=address)
    p.add_argument("--upstream", required=True, type=address)
    p.add_argument("--log", default="")
    # The link's numbers: milliseconds, probabilities, a byte count.
    for name, kind, default in (("delay", float, 0.0), ("jitter", float, 0.0),
                                ("reset", float, 0.0), ("stall", float, 0.0),
                                ("fault-after", int, 4096),
                                ("seed", int, None)):
        p.add_argument("--" + name, type=kind, default=default)
    args = p.parse_args()
    if args.jitter > args.delay:
        p.error("--jitter may not exceed --delay")
    random.seed(args.seed)
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
