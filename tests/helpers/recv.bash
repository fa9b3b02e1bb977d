# recv.bash: imgq-recv driven in one process per request, for bats files.
# Load after helpers/common.  The answer has its CRs removed; the program's
# log lines go to $BATS_TEST_TMPDIR/err; the status is imgq-recv's.

# A raw request on stdin (inetd mode).
raw() { # printf-format args...
	# shellcheck disable=SC2059
	printf "$@" >"$BATS_TEST_TMPDIR/req"
	imgq-recv <"$BATS_TEST_TMPDIR/req" 2>"$BATS_TEST_TMPDIR/err" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# A CGI request: method path [VAR=value...] with stdin as the body.
cgi() {
	local m=$1 p=$2
	shift 2
	env GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		REQUEST_METHOD="$m" PATH_INFO="$p" SCRIPT_NAME=/cgi-bin/imgq-recv \
		REMOTE_ADDR=127.0.0.1 "$@" imgq-recv 2>"$BATS_TEST_TMPDIR/err" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# The accept loop on a free port (a listening socket on fd 0), its log in
# $BATS_FILE_TMPDIR/srv.err; exports PORT and URL.
recv_listen() { # imgq-recv args...
	local d=$BATS_FILE_TMPDIR
	"$PY" "$IMGQ_TOP/tests/helpers/recv-listen.py" "$d/port" \
		"$IMGQ_BIN/imgq-recv" "$@" 2>"$d/srv.err" &
	echo $! >"$d/srv.pid"
	wait_until 10 test -s "$d/port"
	PORT=$(cat "$d/port")
	export PORT URL=http://127.0.0.1:$PORT
}

recv_listen_stop() {
	[ -f "$BATS_FILE_TMPDIR/srv.pid" ] || return 0
	kill "$(cat "$BATS_FILE_TMPDIR/srv.pid")" 2>/dev/null || true
}

# The services and settings of an imgq-recv test file: Redis, S3, the
# pages, logs on standard error.
recv_setup_file() {
	imgq_setup_file
	redis_start
	s3_start
	export IMGQ_RECV_LOG=stderr IMGQ_RECV_WWW=$IMGQ_TOP/share/www
}
