# tests/helpers/recv.bash: helpers of imgq-recv's bats files (load it after
# helpers/common).
#
# recv_setup_file: for setup_file: this file's Redis and S3 bucket,
#   imgq-recv's log on standard error and its pages from share/www, JPG and
#   PNG (two images of the corpus), T (the file's temporary folder).
# recv_stop PIDFILE: stops the server whose pid PIDFILE holds, if there is
#   one (for teardown and teardown_file, whatever the test did).
# raw FORMAT ARGS...: a raw request (printf) on stdin, inetd mode.
# cgi METHOD PATH [VAR=value...]: a CGI request with stdin as the body.
#   Both: the answer with its CRs removed, the log in
#   $BATS_TEST_TMPDIR/err, imgq-recv's status.
# recv_listen ARGS...: the accept loop on a free port (a listening socket
#   on fd 0), its log in $BATS_FILE_TMPDIR/srv.err; exports PORT and URL.
# recv_listen_stop: stops it.

recv_setup_file() {
	imgq_setup_file
	redis_start
	s3_start
	export IMGQ_RECV_LOG=stderr IMGQ_RECV_WWW=$IMGQ_TOP/share/www
	export JPG=$CORPUS/opencv_baboon.jpg PNG=$CORPUS/skimage_astronaut_256.png
	export T=$BATS_FILE_TMPDIR
}

recv_stop() { # pidfile
	[ -f "$1" ] || return 0
	kill "$(cat "$1")" 2>/dev/null || true
}

raw() { # printf-format args...
	# shellcheck disable=SC2059
	printf "$@" >"$BATS_TEST_TMPDIR/req"
	imgq-recv <"$BATS_TEST_TMPDIR/req" 2>"$BATS_TEST_TMPDIR/err" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

cgi() {
	local m=$1 p=$2
	shift 2
	env GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		REQUEST_METHOD="$m" PATH_INFO="$p" SCRIPT_NAME=/cgi-bin/imgq-recv \
		REMOTE_ADDR=127.0.0.1 "$@" imgq-recv 2>"$BATS_TEST_TMPDIR/err" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

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
	recv_stop "$BATS_FILE_TMPDIR/srv.pid"
}
