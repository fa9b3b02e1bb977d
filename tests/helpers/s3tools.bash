# tests/helpers/s3tools.bash: helpers of the S3 tools' bats files.
#
# fp_start ARGS...: a fault proxy (tests/helpers/faultproxy.py) in front
#   of the local S3 service; exports FP_URL (its endpoint: https with
#   --tls PEM) and FP_LOG.
# fp_stop: stops it (a file that starts one calls it in teardown and
#   teardown_file).
# s3_etag FILE [PART]: the ETag S3 gives FILE stored in one PUT, or in
#   parts of PART bytes (md5 of the parts' md5s, "-N").
# tests/helpers/peakrss.py CMD...: runs CMD, prints "rss KIB" (its peak
#   resident set size) last.

fp_start() {
	local d=$BATS_FILE_TMPDIR/fp.$RANDOM
	mkdir -p "$d"
	FP_LOG=$d/log
	"$PY" "$IMGQ_TOP/tests/helpers/faultproxy.py" \
		--upstream "${AWS_ENDPOINT_URL#http://}" \
		--port-file "$d/port" --log "$FP_LOG" "$@" \
		</dev/null >"$d/out" 2>&1 &
	FP_PID=$!
	wait_until 10 test -s "$d/port" || return 1
	case " $* " in
	*" --tls "*) FP_URL=https://127.0.0.1:$(cat "$d/port") ;;
	*) FP_URL=http://127.0.0.1:$(cat "$d/port") ;;
	esac
	export FP_URL FP_LOG FP_PID
}

fp_stop() {
	[ -n "${FP_PID:-}" ] || return 0
	kill "$FP_PID" 2>/dev/null || true
	wait "$FP_PID" 2>/dev/null || true
	FP_PID=
}

s3_etag() { # file [partsize]
	"$PY" - "$@" <<'PYEOF'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
if len(sys.argv) < 3 or len(data) <= int(sys.argv[2]):
    print(hashlib.md5(data).hexdigest())
else:
    ps = int(sys.argv[2])
    parts = [data[i:i + ps] for i in range(0, len(data), ps)]
    print(hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts))
          .hexdigest() + "-%d" % len(parts))
PYEOF
}

