#!/usr/bin/env bats
# imgq-recv's accept loop in front of a fault-injecting proxy
# (tests/helpers/faultproxy.py) before the local S3 service: an upload
# whose S3 connection breaks is answered 503, and the process, which keeps
# its S3 client (its curl handle and connection cache) from one request
# to the next, stores the next upload as if nothing had happened.

load helpers/common
load helpers/s3tools
load helpers/recv

setup_file() { recv_setup_file; }
teardown_file() { fp_stop; imgq_teardown_file; }

teardown() {
	recv_stop "$BATS_TEST_TMPDIR/srv.pid"
	fp_stop
}

# The accept loop on a socket of its own, its S3 endpoint the proxy.
serve() { # env assignments...
	env AWS_ENDPOINT_URL="$FP_URL" "$@" "$PY" \
		"$IMGQ_TOP/tests/helpers/recv-listen.py" "$BATS_TEST_TMPDIR/port" \
		"$IMGQ_BIN/imgq-recv" 2>"$BATS_TEST_TMPDIR/srv.err" &
	echo $! >"$BATS_TEST_TMPDIR/srv.pid"
	wait_until 10 test -s "$BATS_TEST_TMPDIR/port"
	URL=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")
}

# The next upload through the same process: stored whole, and queued.
next_upload_stored() {
	run -0 curl -sS -T "$JPG" "$URL/upload"
	id=$(echo "$output" | json 'd["id"]')
	[ "$(echo "$output" | json 'd["files"][0]["status"]')" = queued ]
	[ "$(grep -c "^PUT /$AWS_BUCKET_NAME/uploads/$id.jpg pass$" "$FP_LOG")" = 1 ]
	run -0 aws_cli s3api get-object --bucket "$AWS_BUCKET_NAME" --key "uploads/$id.jpg" "$BATS_TEST_TMPDIR/back"
	cmp "$JPG" "$BATS_TEST_TMPDIR/back"
	# one process served both uploads: the one recv-listen.py became
	kill -0 "$(cat "$BATS_TEST_TMPDIR/srv.pid")"
}

@test "accept loop: S3 connection reset on every attempt: 503; the next upload on the same process is stored" {
	fp_start --reset 2 --min-body 1000 --after 4096 --match /uploads/
	serve IMGQ_S3_ATTEMPTS=2
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -T "$JPG" "$URL/upload"
	[ "$output" = 503 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"error":"storage unavailable","status":503}' ]
	[ "$(grep -c "^PUT /$AWS_BUCKET_NAME/uploads/.* reset$" "$FP_LOG")" = 2 ]
	grep -q "^imgq-recv: error: unable to store uploads/[0-9a-z]*\.jpg: PUT s3://$AWS_BUCKET_NAME/uploads/[0-9a-z]*\.jpg: .* (gave up after 2 attempts)$" "$BATS_TEST_TMPDIR/srv.err"
	next_upload_stored
}

@test "accept loop: S3 says SlowDown past the attempts: 503; the next upload on the same process is stored" {
	fp_start --slowdown 2 --match /uploads/
	serve IMGQ_S3_ATTEMPTS=2
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -T "$JPG" "$URL/upload"
	[ "$output" = 503 ]
	[ "$(grep -c "^PUT /$AWS_BUCKET_NAME/uploads/.* slowdown$" "$FP_LOG")" = 2 ]
	grep -q "^imgq-recv: error: unable to store uploads/[0-9a-z]*\.jpg: PUT s3://$AWS_BUCKET_NAME/uploads/[0-9a-z]*\.jpg: 503 SlowDown: Please reduce your request rate\. (gave up after 2 attempts)$" "$BATS_TEST_TMPDIR/srv.err"
	next_upload_stored
}

@test "accept loop: a reset on the first attempt is retried within the same upload" {
	fp_start --reset 1 --min-body 1000 --after 4096 --match /uploads/
	serve
	next_upload_stored
	[ "$(grep -c "^PUT /$AWS_BUCKET_NAME/uploads/$id.jpg reset$" "$FP_LOG")" = 1 ]
}
