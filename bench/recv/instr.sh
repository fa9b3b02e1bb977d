#!/bin/bash
# bench/recv/instr.sh: instructions per upload of imgq-recv's accept loop,
# counted by valgrind's callgrind: exact and repeatable (to a few hundred
# instructions in 6 million), where CPU time on a shared machine is not,
# so a change of 1 % shows.  For each binary, one process serves N, then
# another 4N, sequential raw PUT uploads of the 179 KiB JPEG (the same
# local S3 service and Redis); instructions per upload are the difference
# over 3N, start-up and the first requests cancelling out.  Also given:
# the share of those instructions spent in SHA-256 (the body's hash for
# x-amz-content-sha256).  Valgrind hides the CPU's SHA extensions, so
# OpenSSL takes its plain code path there and SHA-256 weighs far more than
# on the real CPU: compare binaries with each other, not with time.
#
# Usage: bench/recv/instr.sh [-B dir] [-n uploads]
#   -B dir   also count dir/imgq-recv (another build, e.g. main's) and
#            print the ratio
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3
SAMPLE=${SAMPLE:-$top/tests/fixtures/photos/mate_GreenMeadow.jpg}
N=10
BEFORE=
while [ $# -gt 0 ]; do
	case $1 in
	-B) BEFORE=$2; shift 2 ;;
	-n) N=$2; shift 2 ;;
	*) echo "usage: instr.sh [-B dir] [-n uploads]" >&2; exit 64 ;;
	esac
done
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
	{ echo "instr.sh: needs valgrind (and its callgrind_annotate)" >&2; exit 2; }
[ -x "$top/bin/imgq-recv" ] || { echo "instr.sh: build first (make)" >&2; exit 2; }
[ -z "$BEFORE" ] || [ -x "$BEFORE/imgq-recv" ] || { echo "instr.sh: no $BEFORE/imgq-recv" >&2; exit 2; }

tmp=$(mktemp -d /tmp/recvinstr.XXXXXX)
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	"$top/scripts/redis-local" stop "$tmp/redis" >/dev/null 2>&1
	"$top/scripts/s3-local" stop "$tmp/s3" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# starting Redis and the local S3 service" >&2
"$top/scripts/redis-local" start "$tmp/redis" 0 >/dev/null 2>&1 || { echo "instr.sh: redis did not start" >&2; exit 1; }
"$top/scripts/s3-local" start "$tmp/s3" 0 >/dev/null 2>&1 || { echo "instr.sh: S3 did not start" >&2; exit 1; }
set -a
. "$tmp/s3/env"
set +a
REDIS_URL=redis://127.0.0.1:$(cat "$tmp/redis/port")/0
export REDIS_URL
export AWS_BUCKET_NAME=recvinstr AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true IMGQ_RECV_LOG=stderr
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3api create-bucket --bucket "$AWS_BUCKET_NAME" >/dev/null ||
	{ echo "instr.sh: cannot make the bucket" >&2; exit 1; }

count() { # binary uploads -> "total sha256" (instructions)
	local bin=$1 n=$2 out=$tmp/cg.out url i
	rm -f "$tmp/port" "$out"
	"$PY" "$top/tests/helpers/recv-listen.py" "$tmp/port" valgrind -q --tool=callgrind \
		--callgrind-out-file="$out" "$bin" 2>"$tmp/srv.err" &
	srv=$!
	for i in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	url=http://127.0.0.1:$(cat "$tmp/port" 2>/dev/null)
	for i in $(seq 200); do curl -sf -o /dev/null "$url/healthz" && break; sleep 0.1; done
	for i in $(seq "$n"); do
		curl -fsS -o /dev/null -T "$SAMPLE" "$url/upload" ||
			{ echo "instr.sh: upload $i failed ($bin)" >&2; return 1; }
	done
	kill -TERM "$srv"
	wait "$srv"
	srv=
	echo "$(awk '/^(summary|totals):/ {print $2; exit}' "$out")" \
		"$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
		awk '/SHA256_Update \[/ {gsub(",", "", $1); print $1; exit}')"
}

per_upload() { # binary -> "instructions-per-upload sha256-share"
	local a b
	read -r -a a < <(count "$1" "$N") || return 1
	read -r -a b < <(count "$1" $((4 * N))) || return 1
	awk -v t0="${a[0]}" -v t1="${b[0]}" -v h0="${a[1]:-0}" -v h1="${b[1]:-0}" -v n=$((3 * N)) \
		'BEGIN {printf "%d %.1f %d\n", (t1 - t0) / n, 100 * (h1 - h0) / (t1 - t0), (t1 - t0 - h1 + h0) / n}'
}

echo "# counting $top/bin/imgq-recv" >&2
read -r ia sa oa < <(per_upload "$top/bin/imgq-recv") || exit 1
if [ -n "$BEFORE" ]; then
	echo "# counting $BEFORE/imgq-recv" >&2
	read -r ib sb ob < <(per_upload "$BEFORE/imgq-recv") || exit 1
fi
echo
echo "imgq-recv accept loop, instructions per upload (callgrind; $(basename "$SAMPLE"), raw PUT,"
echo "difference of $N and $((4 * N)) sequential uploads; SHA-256 share under valgrind, no SHA extensions)"
printf '%-8s %14s %8s %14s  %s\n' peer "instr/upload" "sha256" "without sha256" binary
printf '%-8s %14s %7s%% %14s  %s\n' accept "$ia" "$sa" "$oa" "$top/bin/imgq-recv"
if [ -n "$BEFORE" ]; then
	printf '%-8s %14s %7s%% %14s  %s\n' before "$ib" "$sb" "$ob" "$BEFORE/imgq-recv"
	awk -v a="$ia" -v b="$ib" -v c="$oa" -v d="$ob" 'BEGIN {printf "accept vs before: x%.4f (%+d instructions per upload); without SHA-256 x%.4f\n", a / b, a - b, c / d}'
fi
