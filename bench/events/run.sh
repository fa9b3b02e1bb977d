#!/bin/bash
# bench/events/run.sh: imgq-events under many clients, beside the original
# design's planned Node.js `ws` server (bench/events/peer, same routes,
# messages and Redis fan-out), in one run on one Redis:
#
#   idle     C concurrent idle clients (half SSE GET /jobs/<id>/events,
#            half WebSocket /events/ws?job=<id>) held by one process: its
#            RSS before and with them, RSS per connection.  For
#            imgq-events the clients come through imgq-recv's address
#            (imgq-prefork -l, the hand-off of IMGQ_EVENTS_SOCKET), as
#            the page does; -D connects them to imgq-events directly.
#   uploads  POST /upload of a small JPEG through imgq-recv (hey -n U -c
#            16): p50 and p99 with no event client, then with the C idle
#            clients open.
#   fanout   F WebSocket followers of one job; R times a PUBLISH of
#            "<id> active" on the queue's events channel (what the queue's
#            scripts do on a state change): p50 and p99 from just before
#            the PUBLISH to the last follower's receipt of the frame, and
#            the server's CPU (utime+stime of /proc, 10 ms ticks) per
#            delivered event.
#
# The idle clients are loadgen.py (one Python process, epoll); the
# fan-out's followers are fanout.c (one C process, epoll): its own time to
# read a thousand sockets is part of the figures, the same for both
# servers.  The open-file limit is raised here to the hard limit
# (printed with the system's).  The machine may be shared: compare within
# one run.
#
# Usage: bench/events/run.sh [-D] [-c clients] [-f followers] [-r rounds] [-u uploads]
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${IMGQ_BIN:-$top/bin}
PY=/usr/bin/python3
C=10000
F=1000
R=200
U=2000
DIRECT=0
while [ $# -gt 0 ]; do
	case $1 in
	-D) DIRECT=1; shift ;;
	-c) C=$2; shift 2 ;;
	-f) F=$2; shift 2 ;;
	-r) R=$2; shift 2 ;;
	-u) U=$2; shift 2 ;;
	*) echo "usage: run.sh [-D] [-c clients] [-f followers] [-r rounds] [-u uploads]" >&2; exit 64 ;;
	esac
done
for c in hey node npm redis-server; do
	command -v "$c" >/dev/null || { echo "run.sh: needs $c" >&2; exit 2; }
done
for p in imgq-events imgq-recv imgq-prefork imgq-push; do
	[ -x "$bin/$p" ] || { echo "run.sh: no $bin/$p: build first (make)" >&2; exit 2; }
done

# Every client is a socket here and one in the server: raise the soft
# limit to the hard one (root may raise the hard one too).
sys_hard=$(ulimit -Hn)
need=$((C + F + 1024))
[ "$sys_hard" != unlimited ] && [ "$sys_hard" -lt "$need" ] &&
	ulimit -Hn "$need" 2>/dev/null
ulimit -Sn "$(ulimit -Hn)" || { echo "run.sh: cannot raise the open-file limit" >&2; exit 1; }
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt "$need" ]; then
	echo "run.sh: open-file limit $(ulimit -Sn) < $need for $C clients" >&2
	exit 1
fi
limits="open files: hard limit was $sys_hard, now soft=hard=$(ulimit -Hn); fs.nr_open $(cat /proc/sys/fs/nr_open), fs.file-max $(cat /proc/sys/fs/file-max)"

if [ ! -d "$here/peer/node_modules/ws" ]; then
	(cd "$here/peer" && npm ci --no-audit --no-fund >&2) ||
		{ echo "run.sh: cannot install the peer's ws (npm ci)" >&2; exit 1; }
fi

tmp=$(mktemp -d /tmp/evbench.XXXXXX)
pids=()
cleanup() { # the servers started here, then the services, then tmp
	[ "${#pids[@]}" -eq 0 ] || kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	for svc in redis s3; do
		"$top/scripts/$svc-local" stop "$tmp/$svc" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { $PY "$here/loadgen.py" port; }
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_port() { # port
	local i
	for i in $(seq 100); do
		$PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

echo "# starting Redis and the local S3 service" >&2
for svc in redis s3; do
	"$top/scripts/$svc-local" start "$tmp/$svc" 0 >/dev/null 2>&1 ||
		{ echo "run.sh: $svc-local did not start" >&2; exit 1; }
done
set -a && . "$tmp/s3/env" && set +a
rport=$(cat "$tmp/redis/port")
export REDIS_URL=redis://127.0.0.1:$rport/0 IMGQ_QUEUE=evbench
export AWS_BUCKET_NAME=evbench AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true IMGQ_RECV_LOG=stderr
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3api create-bucket --bucket "$AWS_BUCKET_NAME" >/dev/null ||
	{ echo "run.sh: cannot make the bucket" >&2; exit 1; }
cc -std=c11 -D_GNU_SOURCE -O2 -o "$tmp/fanout" "$here/fanout.c" ||
	{ echo "run.sh: cannot build fanout.c" >&2; exit 1; }
job=$("$bin/imgq-push" "uploads/evbench.jpg") || { echo "run.sh: imgq-push failed" >&2; exit 1; }

# imgq-events: connections and timeouts above what the run needs
export IMGQ_EVENTS_SOCKET=$tmp/events.sock IMGQ_EVENTS_MAX_CONNS=$((C + F + 100))
export IMGQ_EVENTS_IDLE_TIMEOUT=1h IMGQ_EVENTS_SSE_TIMEOUT=1h IMGQ_EVENTS_PING=10m
pe=$(free_port)
"$bin/imgq-events" -l "127.0.0.1:$pe" 2>"$tmp/events.err" &
ev_pid=$!
pids+=("$ev_pid")
wait_port "$pe" || { echo "run.sh: imgq-events did not start:" >&2; cat "$tmp/events.err" >&2; exit 1; }
pr=$(free_port)
"$bin/imgq-prefork" -l "127.0.0.1:$pr" -n 4 -- "$bin/imgq-recv" 2>"$tmp/recv.err" &
pids+=("$!")
wait_port "$pr" || { echo "run.sh: imgq-recv did not start" >&2; exit 1; }
pp=$(free_port)
node "$here/peer/peer.mjs" "$pp" "127.0.0.1:$rport" "$IMGQ_QUEUE" 2>"$tmp/peer.err" &
peer_pid=$!
pids+=("$peer_pid")
wait_port "$pp" || { echo "run.sh: the Node peer did not start:" >&2; cat "$tmp/peer.err" >&2; exit 1; }

ctype=$($PY "$here/loadgen.py" body "$top/tests/fixtures/img/scans4.jpg" "$tmp/body")
uploads() { # -> "p50 p99 ok"
	hey -n "$U" -c 16 -t 60 -o csv -m POST -T "$ctype" -D "$tmp/body" \
		"http://127.0.0.1:$pr/upload" 2>&1 | $PY -c '
import csv, math, sys
rows = [r for r in csv.reader(sys.stdin) if len(r) > 7 and r[0][:1].isdigit()]
ok = sorted(float(r[0]) * 1000 for r in rows if r[6] in ("200", "202"))
pct = lambda p: ok[max(1, math.ceil(p / 100 * len(ok))) - 1] if ok else float("nan")
print("%.1f %.1f %d/%d" % (pct(50), pct(99), len(ok), len(rows)))'
}

# idle NAME PID PORT: C clients held; sets idle_* and, for imgq-events,
# the uploads with them open.
idle() {
	local name=$1 pid=$2 port=$3 r0 line
	r0=$(rss_kib "$pid")
	coproc LG { $PY "$here/loadgen.py" idle "127.0.0.1:$port" "$job" $((C / 2)) $((C - C / 2)); }
	read -r line <&"${LG[0]}"
	sleep 2
	idle_rss0=$r0 idle_rss=$(rss_kib "$pid") idle_open=$line
	echo "# $name: $line, RSS $r0 -> $idle_rss KiB" >&2
	if [ "$name" = imgq-events ]; then
		read -r up_with < <(uploads)
		echo "# uploads with $C clients open: p50 p99 ok = $up_with" >&2
	fi
	exec {LG[1]}>&-
	read -r line <&"${LG[0]}"
	idle_held=$line
	wait "$LG_PID" 2>/dev/null
}

per_conn() { # KiB of RSS per client held, from idle_*
	awk -v a="$idle_rss0" -v b="$idle_rss" -v n="${idle_held#held }" \
		'BEGIN {printf "%.2f", (n > 0 ? (b - a) / n : 0)}'
}

fanout() { # NAME PID PORT -> sets fan_*
	local t0 t1
	t0=$(ticks "$2")
	"$tmp/fanout" 127.0.0.1 "$3" "$job" "$F" "$R" 127.0.0.1 "$rport" \
		"{$IMGQ_QUEUE}:events" >"$tmp/fan.$1" ||
		{ echo "run.sh: fan-out against $1 failed" >&2; exit 1; }
	t1=$(ticks "$2")
	fan_line=$(tail -1 "$tmp/fan.$1")
	fan_us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n=$((F * R)) \
		'BEGIN {printf "%.2f", t * 1e6 / hz / n}')
	echo "# $1 fan-out: $fan_line; $fan_us us CPU per event" >&2
}

echo "# uploads with no event client" >&2
read -r up_none < <(uploads)
[ "$DIRECT" = 1 ] && via=$pe || via=$pr
idle imgq-events "$ev_pid" "$via"
ev_idle="$idle_open, $idle_held; RSS $idle_rss0 -> $idle_rss KiB"
ev_per=$(per_conn)
ev_rss=$idle_rss
idle node-ws "$peer_pid" "$pp"
pe_idle="$idle_open, $idle_held; RSS $idle_rss0 -> $idle_rss KiB"
pe_per=$(per_conn)
fanout imgq-events "$ev_pid" "$pe"
ev_fan=$fan_line ev_us=$fan_us
fanout node-ws "$peer_pid" "$pp"
pe_fan=$fan_line pe_us=$fan_us

echo "bench/events/run.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPUs ($(uname -r)); $limits"
echo "clients through $([ "$DIRECT" = 1 ] && echo "imgq-events' own port (-D)" || echo "imgq-recv's port (hand-off)") for imgq-events, the peer's own port for node-ws; node $(node --version), ws $(node -p "require('$here/peer/node_modules/ws/package.json').version")"
echo
echo "idle: $C clients ($((C / 2)) SSE, $((C - C / 2)) WebSocket)"
printf '  %-12s %s; %s KiB per connection; RSS in all %.1f MiB\n' imgq-events "$ev_idle" "$ev_per" "$(awk -v k="$ev_rss" 'BEGIN {print k / 1024}')"
printf '  %-12s %s; %s KiB per connection\n' node-ws "$pe_idle" "$pe_per"
echo
echo "uploads through imgq-recv (hey -n $U -c 16: p50 p99 ms, acknowledged/answered):"
echo "  no event client:      $up_none"
echo "  $C clients open:   $up_with"
echo
echo "fan-out: one event to $F WebSocket followers of one job, $R rounds (ms from PUBLISH; CPU per delivered event)"
printf '  %-12s %s; %s us\n' imgq-events "$ev_fan" "$ev_us"
printf '  %-12s %s; %s us\n' node-ws "$pe_fan" "$pe_us"
echo
echo "ratios node-ws / imgq-events:"
awk -v a="$ev_us" -v b="$pe_us" 'BEGIN {printf "  CPU per delivered event: %s\n", (a > 0 ? sprintf("%.1f", b / a) : "n/a (under one tick)")}'
awk -v a="$ev_per" -v b="$pe_per" 'BEGIN {printf "  RSS per connection:      %s\n", (a > 0 ? sprintf("%.1f", b / a) : "n/a")}'
