#!/bin/bash
# bench/recv/run.sh: upload acknowledgement of a 179 KiB JPEG, side by side
# in one run, on one local S3 service and one Redis:
#
#   floor    PUT of the same bytes straight to S3 (presigned URL, hey)
#   accept   imgq-recv in the accept loop under imgq-prefork -l (-n PROCS)
#   before   with -B DIR: DIR/imgq-recv (another build, say main's before
#            a change) the same way, beside accept (after it in odd
#            rounds, before it in even ones); -E "VAR=value ..." sets
#            its environment apart (say -B bin -E
#            IMGQ_S3_UNSIGNED_PAYLOAD=1 to compare a setting)
#   cgi      imgq-recv as CGI behind lighttpd (a process per request)
#   seed     the original design's API (../shared/seed-reference/api:
#            Express + multer-s3 + node-redis), when its node_modules can
#            be installed (npm ci into a temporary copy)
#
# For each concurrency (1, 16, 64): acknowledged uploads per second, p50,
# p90, p99 latency (ms), the added latency over the floor at p50 and p99,
# CPU per upload of the ingest (ms, children included), peak RSS per
# process (MiB; for CGI, one request measured by /usr/bin/time), and the
# S3 service's CPU per upload.  For the long-lived peers (accept, before,
# seed) "perf ms/up" is the same CPU counted by perf stat's task-clock
# (attached to the processes for the row: exact, where the tick counts
# of /proc are 10 ms steps).  Then the CPU of one CGI process alone
# (perf stat, 30 runs): GET / and an upload, beside /bin/true and the
# bare start-up of imgq-recv (a usage error: exec and the dynamic loader,
# about 30 shared libraries).  imgq-recv logs one line per request to a
# file (standard error), so logging is counted.  The machine is shared:
# figures are noisy, compare within one run.
#
# -s (split layout) gives the S3 service a CPU of its own, as a remote S3
# would be: every process of it (its run/*.pid: Swift's servers, and a
# memcached where s3-local runs one), all threads, goes to the last CPU,
# and everything else (this script and what it starts: hey, imgq-prefork
# and imgq-recv, Redis, lighttpd and its CGI children, the seed's Node
# API, perf) to the other CPUs, the floor included.  Without -s (the
# shared layout) nothing is pinned and Swift competes with the ingest for
# the same cores, so each ms of ingest CPU shows as S3 queueing.
#
# Usage: bench/recv/run.sh [-s] [-B dir [-E env]] [-n requests] [-c "1 16 64"] [-p procs] [-r runs]
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=$(cd "$top/../shared" 2>/dev/null && pwd || echo "$top/../shared")
PY=/usr/bin/python3
N=256
CONCS="1 16 64"
PROCS=16
RUNS=1
SPLIT=0
BEFORE=
BEFORE_ENV=
SAMPLE=${SAMPLE:-$top/tests/fixtures/photos/mate_GreenMeadow.jpg}
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-c) CONCS=$2; shift 2 ;;
	-p) PROCS=$2; shift 2 ;;
	-r) RUNS=$2; shift 2 ;;
	-s) SPLIT=1; shift ;;
	-B) BEFORE=$2; shift 2 ;;
	-E) BEFORE_ENV=$2; shift 2 ;;
	*) echo "usage: run.sh [-s] [-B dir [-E env]] [-n requests] [-c concurrencies] [-p procs] [-r runs]" >&2; exit 64 ;;
	esac
done
ncpu=$(nproc)
if [ "$SPLIT" = 1 ]; then
	command -v taskset >/dev/null || { echo "run.sh: -s needs taskset (util-linux)" >&2; exit 2; }
	[ "$ncpu" -ge 2 ] || { echo "run.sh: -s needs 2 CPUs or more, this machine has $ncpu" >&2; exit 2; }
	# the CPUs this process may use, as listed by the kernel (may be a subset)
	mapfile -t cpus < <(taskset -c -p $$ | sed 's/.*: //' | tr ',' '\n' |
		awk -F- '{ if (NF == 2) for (i = $1; i <= $2; i++) print i; else print $1 }')
	[ "${#cpus[@]}" -ge 2 ] || { echo "run.sh: -s needs 2 usable CPUs" >&2; exit 2; }
	s3cpu=${cpus[${#cpus[@]} - 1]}
	othercpus=$(IFS=,; echo "${cpus[*]:0:${#cpus[@]}-1}")
	# this shell first: every program started from here on inherits it
	taskset -c -p "$othercpus" $$ >/dev/null || { echo "run.sh: cannot pin to CPU $othercpus" >&2; exit 2; }
	layout="split: S3 service (all its processes) on CPU $s3cpu; everything else (hey, floor, imgq-prefork/imgq-recv, Redis, lighttpd+CGI, seed Node API) on CPU $othercpus"
else
	layout="shared: nothing pinned, S3 service and ingest compete for all $ncpu CPUs"
fi
for c in hey lighttpd redis-server; do
	command -v $c >/dev/null || { echo "run.sh: needs $c (scripts/deps --bench)" >&2; exit 2; }
done
bin=$top/bin
[ -x "$bin/imgq-recv" ] && [ -x "$bin/imgq-prefork" ] && [ -x "$bin/s3url" ] ||
	{ echo "run.sh: build first (make)" >&2; exit 2; }
[ -z "$BEFORE" ] || [ -x "$BEFORE/imgq-recv" ] || { echo "run.sh: no $BEFORE/imgq-recv" >&2; exit 2; }

tmp=$(mktemp -d /tmp/recvbench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -f "$tmp/lighttpd.pid" ] && kill "$(cat "$tmp/lighttpd.pid")" 2>/dev/null
	wait 2>/dev/null
	"$top/scripts/redis-local" stop "$tmp/redis" >/dev/null 2>&1
	"$top/scripts/s3-local" stop "$tmp/s3" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CLK_TCK=$(getconf CLK_TCK)
ticks() { # utime+stime(+cutime+cstime with -c) of PIDs
	local kids=0 p s=0
	[ "$1" = -c ] && { kids=1; shift; }
	for p; do
		[ -r "/proc/$p/stat" ] || continue
		s=$((s + $(sed 's/^.*) //' "/proc/$p/stat" | awk -v k=$kids '{print $12 + $13 + k * ($14 + $15)}')))
	done
	echo $s
}
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_hwm() { for p; do echo 5 >"/proc/$p/clear_refs" 2>/dev/null; done; }
per_ms() { awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t * 1000 / hz / n}'; }

echo "# starting Redis and the local S3 service" >&2
"$top/scripts/redis-local" start "$tmp/redis" 0 >/dev/null 2>&1 || { echo "run.sh: redis did not start" >&2; exit 1; }
"$top/scripts/s3-local" start "$tmp/s3" 0 >/dev/null 2>&1 || { echo "run.sh: S3 did not start" >&2; exit 1; }
set -a
. "$tmp/s3/env"
set +a
export REDIS_URL=redis://127.0.0.1:$(cat "$tmp/redis/port")/0
export AWS_BUCKET_NAME=recvbench AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true IMGQ_RECV_LOG=stderr
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3api create-bucket --bucket "$AWS_BUCKET_NAME" >/dev/null ||
	{ echo "run.sh: cannot make the bucket" >&2; exit 1; }
s3pids=$(cat "$tmp"/s3/run/*.pid | tr '\n' ' ')
if [ "$SPLIT" = 1 ]; then
	for p in $s3pids; do
		taskset -a -c -p "$s3cpu" "$p" >/dev/null || { echo "run.sh: cannot pin S3 service pid $p to CPU $s3cpu" >&2; exit 1; }
	done
fi

# the multipart body every peer gets (field "image", as the seed expects)
ctype=$($PY - "$SAMPLE" "$tmp/body" <<'EOF'
import os, sys, uuid
b = "----recvbench" + uuid.uuid4().hex
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    f.write(("--%s\r\nContent-Disposition: form-data; name=\"image\"; "
             "filename=\"%s\"\r\nContent-Type: image/jpeg\r\n\r\n"
             % (b, os.path.basename(sys.argv[1]))).encode())
    f.write(data)
    f.write(("\r\n--%s--\r\n" % b).encode())
print("multipart/form-data; boundary=" + b)
EOF
)
put_url=$("$bin/s3url" -m PUT -e 3600 "bench/floor.jpg")
case $put_url in http*) ;; *) echo "run.sh: cannot presign: $put_url" >&2; exit 1 ;; esac

# accept loop under imgq-prefork
p_accept=$(free_port)
"$bin/imgq-prefork" -l "127.0.0.1:$p_accept" -n "$PROCS" -- "$bin/imgq-recv" 2>"$tmp/prefork.err" &
pf=$!
pids+=("$pf")
pfb=
if [ -n "$BEFORE" ]; then
	p_before=$(free_port)
	# shellcheck disable=SC2086
	env $BEFORE_ENV "$bin/imgq-prefork" -l "127.0.0.1:$p_before" -n "$PROCS" -- "$BEFORE/imgq-recv" 2>"$tmp/prefork-before.err" &
	pfb=$!
	pids+=("$pfb")
fi
# CGI under lighttpd
p_cgi=$(free_port)
mkdir -p "$tmp/www"
cat >"$tmp/lighttpd.conf" <<CONF
server.modules = ("mod_alias", "mod_cgi", "mod_setenv")
server.bind = "127.0.0.1"
server.port = $p_cgi
server.document-root = "$tmp/www"
server.errorlog = "$tmp/lighttpd.err"
server.pid-file = "$tmp/lighttpd.pid"
server.max-connections = 256
alias.url = ("/imgq" => "$bin/imgq-recv")
\$HTTP["url"] =~ "^/imgq" { cgi.assign = ("" => "") }
setenv.add-environment = (
	"REDIS_URL" => "$REDIS_URL", "AWS_ENDPOINT_URL" => "$AWS_ENDPOINT_URL",
	"AWS_REGION" => "$AWS_REGION", "AWS_BUCKET_NAME" => "$AWS_BUCKET_NAME",
	"AWS_ACCESS_KEY_ID" => "$AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY" => "$AWS_SECRET_ACCESS_KEY",
	"AWS_CONFIG_FILE" => "/dev/null", "AWS_SHARED_CREDENTIALS_FILE" => "/dev/null",
	"AWS_EC2_METADATA_DISABLED" => "true", "IMGQ_RECV_LOG" => "stderr")
CONF
lighttpd -f "$tmp/lighttpd.conf" || { echo "run.sh: lighttpd did not start" >&2; exit 1; }
# the seed API, in a temporary copy with its locked dependencies
p_seed=
if [ -d "$shared/seed-reference/api" ] && command -v npm >/dev/null; then
	cp -r "$shared/seed-reference/api" "$tmp/seed"
	if [ -d "${SEED_NODE_MODULES:-}" ]; then
		ln -s "$SEED_NODE_MODULES" "$tmp/seed/node_modules"
	else
		(cd "$tmp/seed" && npm ci --no-audit --no-fund >"$tmp/npm.log" 2>&1)
	fi
	if [ -d "$tmp/seed/node_modules" ]; then
		p_seed=$(free_port)
		(cd "$tmp/seed" && PORT=$p_seed exec node server.js) >"$tmp/seed.log" 2>&1 &
		pids+=("$!")
		seed_pid=$!
	else
		echo "# seed: npm ci failed, left out" >&2
	fi
fi
for u in "http://127.0.0.1:$p_accept/healthz" ${pfb:+"http://127.0.0.1:$p_before/healthz"} "http://127.0.0.1:$p_cgi/imgq/healthz" ${p_seed:+"http://127.0.0.1:$p_seed/"}; do
	for i in $(seq 100); do curl -sf -o /dev/null "$u" && break; sleep 0.1; done
	curl -sf -o /dev/null "$u" || { echo "run.sh: $u does not answer" >&2; exit 1; }
done

# under -s, check that the placement holds for every long-lived process
if [ "$SPLIT" = 1 ]; then
	aff() { taskset -c -p "$1" 2>/dev/null | sed 's/.*: //'; }
	want_other=$(aff $$)
	npinned=0
	for p in $(cat "$tmp/redis/redis.pid") "$pf" $(pgrep -P "$pf") ${pfb:+"$pfb" $(pgrep -P "$pfb")} "$(cat "$tmp/lighttpd.pid")" ${seed_pid:-}; do
		[ "$(aff "$p")" = "$want_other" ] ||
			{ echo "run.sh: pid $p runs on CPU $(aff "$p"), not $want_other" >&2; exit 1; }
		npinned=$((npinned + 1))
	done
	for p in $s3pids; do
		for t in /proc/"$p"/task/*; do
			[ "$(aff "${t##*/}")" = "$s3cpu" ] ||
				{ echo "run.sh: S3 service thread ${t##*/} runs on CPU $(aff "${t##*/}")" >&2; exit 1; }
		done
	done
	layout="$layout (checked: $npinned ingest-side processes, $(echo $s3pids | wc -w) S3 service processes)"
	echo "# layout: $layout" >&2
fi

# peak RSS of one CGI request (the process lives for one upload)
# CPU of one CGI process (ms, perf stat over 30 runs), if perf works here
cgi_cpu() { # label cmd...
	local label=$1 ms
	shift
	ms=$(perf stat -r 30 -x, -e task-clock "$@" 2>&1 >/dev/null </dev/null |
		awk -F, '/task-clock/ {printf "%.2f", $1}')
	[ -n "$ms" ] && printf '%-34s %8s ms\n' "$label" "$ms" >>"$tmp/cgicpu"
}
: >"$tmp/cgicpu"
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
	cgi_cpu "/bin/true" /bin/true
	cgi_cpu "imgq-recv start-up (usage error)" "$bin/imgq-recv" -Z
	cgi_cpu "CGI GET /" env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/ "$bin/imgq-recv"
	cgi_cpu "CGI GET /healthz" env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/healthz "$bin/imgq-recv"
	# (through a sh that execs it, for a fresh standard input each run)
	cgi_cpu "CGI POST /upload (179 KiB)" sh -c 'exec env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
		PATH_INFO=/upload CONTENT_TYPE="$1" CONTENT_LENGTH="$2" "$3" <"$4"' sh "$ctype" \
		"$(stat -c %s "$tmp/body")" "$bin/imgq-recv" "$tmp/body"
fi
cgi_rss=$(env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST PATH_INFO=/upload \
	CONTENT_TYPE="$ctype" CONTENT_LENGTH="$(stat -c %s "$tmp/body")" \
	/usr/bin/time -f '%M' "$bin/imgq-recv" <"$tmp/body" 2>&1 >/dev/null | tail -1)

hey_stats() { # hey csv on stdin -> "rps p50 p90 p99 ok"
	$PY -c '
import csv, math, sys
rows = [r for r in csv.reader(sys.stdin) if len(r) > 7 and r[0][:1].isdigit()]
ok = [float(r[0]) * 1000 for r in rows if r[6] in ("200", "202")]
if not rows:
    print("0 nan nan nan 0"); sys.exit()
t0 = min(float(r[7]) for r in rows)
t1 = max(float(r[7]) + float(r[0]) for r in rows)
ok.sort()
pct = lambda p: ok[max(1, math.ceil(p / 100 * len(ok))) - 1] if ok else float("nan")
print("%.1f %.1f %.1f %.1f %d" % (len(ok) / (t1 - t0), pct(50), pct(90), pct(99), len(ok)))'
}

res=$tmp/res.tsv
: >"$res"
run_one() { # name conc url method ctype file -- cpu pids
	local name=$1 c=$2 url=$3 m=$4 ct=$5 f=$6 s0 s1 c0 c1 rss=- p
	shift 7
	local cpids=("$@")
	local perfpid='' pms=-
	reset_hwm "${cpids[@]}"
	case $name in accept|before|seed)
		if [ "$has_perf" = 1 ]; then
			rm -f "$tmp/perf.csv"
			perf stat -x, -e task-clock -p "$(IFS=,; echo "${cpids[*]}")" -o "$tmp/perf.csv" &
			perfpid=$!
			sleep 0.3	# perf attaching; counts nothing but idle loops meanwhile
		fi ;;
	esac
	c0=$(ticks -c "${cpids[@]}")
	s0=$(ticks $s3pids)
	hey -n "$N" -c "$c" -t 60 -o csv -m "$m" -T "$ct" -D "$f" "$url" >"$tmp/hey.csv" 2>&1
	c1=$(ticks -c "${cpids[@]}")
	s1=$(ticks $s3pids)
	if [ -n "$perfpid" ]; then
		kill -INT "$perfpid"
		wait "$perfpid"
		pms=$(awk -F, '/task-clock/ {print $1}' "$tmp/perf.csv")
	fi
	read -r rps p50 p90 p99 ok < <(hey_stats <"$tmp/hey.csv")
	case $name in
	accept|before)
		[ "$name" = accept ] && pp=$pf || pp=$pfb
		rss=0; for p in $(pgrep -P "$pp"); do k=$(hwm "$p"); [ "$k" -gt "$rss" ] && rss=$k; done ;;
	seed) rss=$(hwm "$seed_pid") ;;
	cgi) rss=$cgi_rss ;;
	esac
	[ "$rss" != - ] && rss=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')
	cpu=-
	[ "$name" != floor ] && cpu=$(per_ms $((c1 - c0)) "$ok")
	[ "$pms" != - ] && [ -n "$pms" ] && pms=$(awk -v t="$pms" -v n="$ok" 'BEGIN {printf "%.3f", n ? t / n : 0}') || pms=-
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$c" "$rps" "$p50" "$p90" "$p99" "$cpu" "$rss" \
		"$(per_ms $((s1 - s0)) "$ok")" "$ok" "$pms" >>"$res"
	echo "# $name c=$c: $rps/s p50 $p50 p99 $p99 ms ($ok of $N acknowledged), cpu $cpu ms/up, perf $pms ms/up" >&2
}

has_perf=0
command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1 && has_perf=1
echo "# warming up" >&2
hey -n 32 -c 4 -m PUT -T image/jpeg -D "$SAMPLE" "$put_url" >/dev/null 2>&1
hey -n 32 -c 4 -m POST -T "$ctype" -D "$tmp/body" "http://127.0.0.1:$p_accept/upload" >/dev/null 2>&1
[ -n "$pfb" ] && hey -n 32 -c 4 -m POST -T "$ctype" -D "$tmp/body" "http://127.0.0.1:$p_before/upload" >/dev/null 2>&1
[ -n "$p_seed" ] && hey -n 32 -c 4 -m POST -T "$ctype" -D "$tmp/body" "http://127.0.0.1:$p_seed/upload" >/dev/null 2>&1
lpid=$(cat "$tmp/lighttpd.pid")
for r in $(seq "$RUNS"); do
	for c in $CONCS; do
		run_one floor "$c" "$put_url" PUT image/jpeg "$SAMPLE" --
		# with -B, accept and before swap places every other round
		[ -n "$pfb" ] && [ $((r % 2)) = 0 ] &&
			run_one before "$c" "http://127.0.0.1:$p_before/upload" POST "$ctype" "$tmp/body" -- "$pfb" $(pgrep -P "$pfb")
		run_one accept "$c" "http://127.0.0.1:$p_accept/upload" POST "$ctype" "$tmp/body" -- "$pf" $(pgrep -P "$pf")
		[ -n "$pfb" ] && [ $((r % 2)) = 1 ] &&
			run_one before "$c" "http://127.0.0.1:$p_before/upload" POST "$ctype" "$tmp/body" -- "$pfb" $(pgrep -P "$pfb")
		run_one cgi "$c" "http://127.0.0.1:$p_cgi/imgq/upload" POST "$ctype" "$tmp/body" -- "$lpid"
		[ -n "$p_seed" ] && run_one seed "$c" "http://127.0.0.1:$p_seed/upload" POST "$ctype" "$tmp/body" -- "$seed_pid"
		redis-cli -u "$REDIS_URL" DEL "{imgq}:queue" image_jobs >/dev/null
	done
done

echo
echo "imgq-recv upload bench: $(basename "$SAMPLE") ($(($(stat -c %s "$SAMPLE") / 1024)) KiB), $N requests per row, $RUNS run(s),"
echo "$ncpu CPUs (shared with other work: compare within this run); accept loop: imgq-prefork -n $PROCS"
echo "layout: $layout"
[ -n "$BEFORE" ] && echo "before: $BEFORE/imgq-recv${BEFORE_ENV:+ with $BEFORE_ENV} (the same way as accept, beside it: after it in odd rounds, before it in even)"
echo "medians over runs; +p50/+p99: ms over the floor (bare S3 PUT) at the same concurrency"
$PY - "$res" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def num(x):
    try: return float(x)
    except ValueError: return None
groups = {}
for r in rows:
    groups.setdefault((r[0], int(r[1])), []).append(r)
def med(rs, i):
    v = [num(r[i]) for r in rs if num(r[i]) is not None]
    return statistics.median(v) if v else None
fmt = lambda v, f="%.1f": "-" if v is None else f % v
print("%-7s %4s %8s %7s %7s %7s %7s %7s %9s %8s %8s %10s" % ("peer", "conc", "upl/s", "p50", "p90", "p99",
      "+p50", "+p99", "cpu ms/up", "rss MiB", "s3 cpu", "perf ms/up"))
for (name, c) in sorted(groups, key=lambda k: (k[1], ["floor", "accept", "before", "cgi", "seed"].index(k[0]))):
    rs = groups[(name, c)]
    fl = groups.get(("floor", c))
    p50, p99 = med(rs, 3), med(rs, 5)
    d50 = p50 - med(fl, 3) if fl and name != "floor" else None
    d99 = p99 - med(fl, 5) if fl and name != "floor" else None
    print("%-7s %4d %8s %7s %7s %7s %7s %7s %9s %8s %8s %10s" % (name, c, fmt(med(rs, 2)), fmt(p50), fmt(med(rs, 4)),
          fmt(p99), fmt(d50), fmt(d99), fmt(med(rs, 6), "%.2f"), fmt(med(rs, 7)), fmt(med(rs, 8), "%.1f"),
          fmt(med(rs, 10), "%.3f")))
print()
for c in sorted({k[1] for k in groups}):
    a, s, g = groups.get(("accept", c)), groups.get(("seed", c)), groups.get(("cgi", c))
    b = groups.get(("before", c))
    if a and b:
        print("c=%d: accept vs before: upl/s x%.2f, p50 x%.2f, p99 x%.2f, cpu/upload x%.2f%s" % (c,
              med(a, 2) / med(b, 2), med(a, 3) / med(b, 3), med(a, 5) / med(b, 5),
              (med(a, 6) or 0) / (med(b, 6) or 1),
              ", perf cpu/upload x%.3f" % (med(a, 10) / med(b, 10)) if med(a, 10) and med(b, 10) else ""))
    if a and s:
        print("c=%d: accept vs seed: upl/s x%.2f, p50 x%.2f, cpu/upload x%.2f, rss x%.2f" % (c,
              med(a, 2) / med(s, 2), med(a, 3) / med(s, 3),
              (med(a, 6) or 0) / (med(s, 6) or 1), (med(a, 7) or 0) / (med(s, 7) or 1)))
    if g and s:
        print("c=%d: cgi    vs seed: upl/s x%.2f, p50 x%.2f" % (c, med(g, 2) / med(s, 2), med(g, 3) / med(s, 3)))
EOF
if [ -s "$tmp/cgicpu" ]; then
	echo
	echo "CPU of one process (perf stat -r 30; the CGI upload includes its S3 PUT and Redis push):"
	cat "$tmp/cgicpu"
fi
