#!/usr/bin/python3
"""bench/s3/bench.py: s3put/s3get against `aws s3 cp`, side by side in one
run against the local S3 service (the environment of scripts/s3-local).

(a) N objects of 100 KiB, one process per object (as a shell pipeline
    uses them): the bare PUT/GET, curl on a presigned URL (the floor),
    s3put/s3get, aws s3 cp.  Interleaved round-robin so that load on the
    shared machine hits every tool alike.
(b) one large object (512 MiB) from a file and from a pipe, and back.

Prints per tool the median wall time, its ratio to ours, the cost over
the floor, CPU per request, and peak RSS.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("IMGQ_BIN", os.path.join(os.path.dirname(__file__),
                                                "../../bin"))
AWS = ["/usr/bin/aws", "--endpoint-url", os.environ["AWS_ENDPOINT_URL"],
       "--no-cli-pager"]
BUCKET = os.environ["AWS_BUCKET_NAME"]
EP = os.environ["AWS_ENDPOINT_URL"]
FLOOR = "curl, presigned (floor)"


def run(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """Runs cmd; returns (wall s, cpu s, peak rss KiB)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=stdout,
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (cmd[0], p.returncode,
                                                 err.decode()[-300:]))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def presign(method, key):
    return subprocess.check_output([BIN + "/s3url", "-m", method, "-e",
                                    "3600", key]).decode().strip()


def curl_put(key, f):
    # A presigned URL made beforehand (untimed): the bare PUT.
    return ["curl", "-sS", "-f", "-T", f, presign("PUT", key)]


def curl_get(key):
    return ["curl", "-sS", "-f", "-o", "/dev/null", presign("GET", key)]


def report(title, results, ours, floor=None):
    print("\n%s" % title)
    print("  %-26s %9s %8s %10s %9s %9s" % ("tool", "median ms", "x ours",
          "over floor", "cpu ms", "peak MiB"))
    mo = statistics.median(r[0] for r in results[ours])
    mf = statistics.median(r[0] for r in results[floor]) if floor else None
    for name, rs in results.items():
        m = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        rss = max(r[2] for r in rs) / 1024.0
        over = "%+.1f ms" % ((m - mf) * 1000) if mf is not None else "-"
        print("  %-26s %9.1f %8.2f %10s %9.1f %9.1f" % (
            name, m * 1000, m / mo, over, cpu * 1000, rss))


def small(n, tmp):
    src = os.path.join(tmp, "small")
    with open(src, "wb") as f:
        f.write(os.urandom(100 * 1024))
    puts = {FLOOR: [], "s3put": [], "aws s3 cp": []}
    gets = {FLOOR: [], "s3get": [], "aws s3 cp": []}
    out = os.path.join(tmp, "out")
    for i in range(n):
        cmd = curl_put("bench/curl/%d" % i, src)
        puts[FLOOR].append(run(cmd))
        puts["s3put"].append(run([BIN + "/s3put", "bench/s3put/%d" % i,
                                  src]))
        puts["aws s3 cp"].append(run(AWS + ["s3", "cp", "--quiet", src,
                                 "s3://%s/bench/aws/%d" % (BUCKET, i)]))
    for i in range(n):
        cmd = curl_get("bench/curl/%d" % i)
        gets[FLOOR].append(run(cmd))
        gets["s3get"].append(run([BIN + "/s3get", "bench/s3put/%d" % i,
                                  out]))
        gets["aws s3 cp"].append(run(AWS + ["s3", "cp", "--quiet",
                                 "s3://%s/bench/aws/%d" % (BUCKET, i), out]))
    report("(a) %d objects of 100 KiB, one process each: PUT" % n, puts,
           "s3put", FLOOR)
    report("(a) %d objects of 100 KiB, one process each: GET" % n, gets,
           "s3get", FLOOR)


def big(mib, reps, tmp):
    src = os.path.join(tmp, "big")
    with open(src, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
    res = {"s3put (file)": [], "aws s3 cp (file)": [],
           "s3put (pipe)": [], "aws s3 cp - (pipe)": [],
           "s3get (to file)": [], "aws s3 cp (to file)": []}
    out = os.path.join(tmp, "bigout")
    for i in range(reps):
        res["s3put (file)"].append(run([BIN + "/s3put", "bench/big/ours",
                                        src]))
        res["aws s3 cp (file)"].append(run(AWS + ["s3", "cp", "--quiet",
                                       src, "s3://%s/bench/big/aws" % BUCKET]))
        with open(src, "rb") as f:
            res["s3put (pipe)"].append(run(["sh", "-c", "cat | " + BIN +
                                            "/s3put bench/big/ours-pipe"],
                                           stdin=f))
        with open(src, "rb") as f:
            res["aws s3 cp - (pipe)"].append(run(["sh", "-c", "cat | " +
                                             " ".join(AWS) + " s3 cp --quiet "
                                             "- s3://%s/bench/big/aws-pipe"
                                             % BUCKET], stdin=f))
        res["s3get (to file)"].append(run([BIN + "/s3get", "bench/big/ours",
                                           out]))
        res["aws s3 cp (to file)"].append(run(AWS + ["s3", "cp", "--quiet",
                                          "s3://%s/bench/big/aws" % BUCKET,
                                          out]))
    print("\n(b) one %d MiB object, %d runs each (pipe rows: the peak RSS "
          "is the largest process of the pipeline)" % (mib, reps))
    print("  %-22s %10s %8s %9s %9s" % ("tool", "median s", "MiB/s",
                                         "cpu s", "peak MiB"))
    for name, rs in res.items():
        m = statistics.median(r[0] for r in rs)
        print("  %-22s %10.2f %8.1f %9.2f %9.1f" % (
            name, m, mib / m, statistics.median(r[1] for r in rs),
            max(r[2] for r in rs) / 1024.0))
    for a, b in (("s3put (file)", "aws s3 cp (file)"),
                 ("s3put (pipe)", "aws s3 cp - (pipe)"),
                 ("s3get (to file)", "aws s3 cp (to file)")):
        ma = statistics.median(r[0] for r in res[a])
        mb = statistics.median(r[0] for r in res[b])
        print("  ratio %s / %s: %.2f (%s)" % (b, a, mb / ma,
              "ours faster" if ma < mb else "ours slower"))


def main():
    n = int(os.environ.get("BENCH_N", "200"))
    mib = int(os.environ.get("BENCH_MIB", "512"))
    reps = int(os.environ.get("BENCH_REPS", "3"))
    with tempfile.TemporaryDirectory() as tmp:
        small(n, tmp)
        big(mib, reps, tmp)


if __name__ == "__main__":
    main()
