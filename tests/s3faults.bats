#!/usr/bin/env bats
# The S3 tools through a fault-injecting proxy (tests/helpers/faultproxy.py)
# in front of the local S3 service: throttling, resets mid-part and
# mid-download, stalls, garbage answers; clock skew and a wrong region;
# and the memory bound of a 1 GiB upload from a pipe.

load helpers/common
load helpers/s3tools

setup_file() { imgq_setup_file; s3_start; }
teardown_file() { fp_stop; imgq_teardown_file; }
teardown() { fp_stop; }

@test "503 SlowDown twice, then success" {
	fp_start --slowdown 2
	echo data >"$BATS_TEST_TMPDIR/d"
	run -0 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" s3put -v slow/k "$BATS_TEST_TMPDIR/d"
	[ "$output" = "s3://$AWS_BUCKET_NAME/slow/k 5 $(s3_etag "$BATS_TEST_TMPDIR/d")" ]
	[ "$(grep -c 'slowdown$' "$FP_LOG")" = 2 ]
	[ "$(grep -c "^PUT /$AWS_BUCKET_NAME/slow/k pass$" "$FP_LOG")" = 1 ]
	[[ "$stderr" == *"s3put: info: PUT s3://$AWS_BUCKET_NAME/slow/k: 503 SlowDown: Please reduce your request rate.; retry 2 in "* ]]
	run -0 s3get slow/k
	[ "$output" = data ]
}

@test "Retry-After is honoured" {
	fp_start --slowdown 1 --retry-after 2
	start=$SECONDS
	run -0 sh -c 'echo x | AWS_ENDPOINT_URL=$FP_URL s3put ra/k'
	[ $((SECONDS - start)) -ge 2 ]
}

@test "SlowDown past the attempts: 75" {
	fp_start --slowdown 100
	run -75 --separate-stderr sh -c 'echo x | AWS_ENDPOINT_URL=$FP_URL s3put -A 3 slow/k2'
	[ "$stderr" = "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/slow/k2: 503 SlowDown: Please reduce your request rate. (gave up after 3 attempts)" ]
	[ "$(grep -c 'slowdown$' "$FP_LOG")" = 3 ]
}

@test "a connection reset in the middle of a part: that part alone is sent again" {
	head -c $((12 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	fp_start --reset 1 --min-body 5000000 --after 1000000 --match partNumber=2
	run -0 sh -c 'AWS_ENDPOINT_URL=$FP_URL s3put -p 5m reset/k <"$1"' _ "$BATS_TEST_TMPDIR/big"
	[ "$(grep -c 'partNumber=2&.* reset$' "$FP_LOG")" = 1 ]
	[ "$(grep -c 'partNumber=2&.* pass$' "$FP_LOG")" = 1 ]
	[ "$(grep -c 'partNumber=1&' "$FP_LOG")" = 1 ]
	[ "$(grep -c 'partNumber=3&' "$FP_LOG")" = 1 ]
	run -0 s3get reset/k "$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/back"
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key reset/k --query ETag --output text
	[ "$output" = "\"$(s3_etag "$BATS_TEST_TMPDIR/big" $((5 << 20)))\"" ]
}

@test "a failed multipart upload is aborted: nothing half-made stays" {
	head -c $((11 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	fp_start --reset 100 --min-body 5000000 --after 100000 --match partNumber=2
	run -75 --separate-stderr sh -c 'AWS_ENDPOINT_URL=$FP_URL s3put -A 2 -p 5m abort/k <"$1"' _ "$BATS_TEST_TMPDIR/big"
	[[ "$stderr" == "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/abort/k part 2: "*"(gave up after 2 attempts)" ]]
	[ "$(grep -c "^DELETE /$AWS_BUCKET_NAME/abort/k?uploadId=" "$FP_LOG")" = 1 ]
	run -0 aws_cli s3api list-multipart-uploads --bucket "$AWS_BUCKET_NAME" --prefix abort/ --query 'length(Uploads || `[]`)'
	[ "$output" = 0 ]
	run -66 s3get abort/k
}

@test "a download broken mid-way resumes with a Range request" {
	head -c $((6 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/obj"
	s3put cut/k "$BATS_TEST_TMPDIR/obj"
	fp_start --cut 1 --after 3000000
	run -0 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" s3get -v cut/k "$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/obj" "$BATS_TEST_TMPDIR/back"
	[ "$(grep -c "^GET /$AWS_BUCKET_NAME/cut/k cut$" "$FP_LOG")" = 1 ]
	[[ "$stderr" == *"s3get: info: GET s3://$AWS_BUCKET_NAME/cut/k -> 206 in "* ]]
	[[ "$stderr" == *"s3get: info: $((6 << 20)) bytes, ETag "* ]]
}

@test "a stalled server: the request gives up at its timeout" {
	fp_start --stall 100
	start=$SECONDS
	run -75 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" s3get -A 1 -T 2s stall/k
	[[ "$stderr" == "s3get: fatal: GET s3://$AWS_BUCKET_NAME/stall/k: Operation too slow."*"(gave up after 1 attempts)" ]]
	[ $((SECONDS - start)) -le 6 ]
}

@test "an answer that is not XML: 76" {
	fp_start --garbage 1
	run -76 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" s3ls
	[[ "$stderr" == "s3ls: fatal: malformed XML answer: "* ]]
}

@test "a clock an hour off is corrected from the server's Date, once" {
	run -0 --separate-stderr sh -c 'echo x | IMGQ_S3_CLOCK_OFFSET=-3600 s3put -v skew/k'
	[[ "$stderr" == *"s3put: info: PUT s3://$AWS_BUCKET_NAME/skew/k: retrying at once: 403 RequestTimeTooSkewed"* ]]
	[[ "$stderr" == *"s3put: info: PUT s3://$AWS_BUCKET_NAME/skew/k -> 200 in "*"(attempt 2)"* ]]
}

@test "a wrong region is followed once with the region the server names" {
	run -0 --separate-stderr sh -c 'echo x | AWS_REGION=eu-west-1 s3put -v region/k'
	[[ "$stderr" == *"s3put: info: bucket $AWS_BUCKET_NAME is in region us-east-1, not eu-west-1"* ]]
	run -0 s3get region/k
	[ "$output" = x ]
}

@test "memory: 1 GiB from a pipe stays within part size x parts in flight + 16 MiB" {
	[ -z "${IMGQ_SAN:-}" ] || skip "peak RSS means nothing under ASan"
	ps=$((5 << 20)) parts=4
	run -0 sh -c "head -c 1073741824 /dev/zero | $PY '$IMGQ_TOP/tests/helpers/peakrss.py' s3put -p 5m -j 4 mem/1g"
	rss=${output##*rss }
	bound=$(( (ps * parts + (16 << 20)) / 1024 ))
	echo "# s3put of 1 GiB from a pipe: peak RSS ${rss} KiB (bound ${bound} KiB: part 5 MiB x 4 in flight + 16 MiB)" >&3
	[ "$rss" -le "$bound" ]
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key mem/1g --query ContentLength
	[ "$output" = 1073741824 ]
	s3rm mem/1g
}

# changed_during KIND: s3put -p 5m of a 60 MiB file whose first part the
# proxy holds while the file is truncated to 7 MiB (shrink) or appended
# to (grow); prints nothing, leaves $status/$stderr of s3put.
changed_during() {
	local f=$BATS_TEST_TMPDIR/f
	head -c $((60 << 20)) /dev/urandom >"$f"
	fp_start --hold 1 --match partNumber=1 --hold-until "$BATS_TEST_TMPDIR/go"
	AWS_ENDPOINT_URL=$FP_URL s3put -p 5m "changed/$1" "$f" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	wait_until 30 grep -q 'partNumber=1&.* hold$' "$FP_LOG"
	case $1 in
	shrink) truncate -s $((7 << 20)) "$f" ;;
	grow) head -c $((70 << 20)) /dev/urandom >>"$f" ;;
	esac
	touch "$BATS_TEST_TMPDIR/go"
	status=0
	wait "$pid" || status=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
}

@test "a file that shrinks during a multipart upload: 65, the upload aborted, nothing stored" {
	changed_during shrink
	[ "$status" = 65 ]
	# what it had read before the truncation, then the end of the file
	[[ "$stderr" =~ ^"s3put: fatal: $BATS_TEST_TMPDIR/f changed size while it was read ($((60 << 20)) bytes when the upload began, "([0-9]+)" read): nothing stored"$ ]]
	[ "${BASH_REMATCH[1]}" -lt $((60 << 20)) ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	run -66 s3get changed/shrink /dev/null
	run -0 aws_cli s3api list-multipart-uploads --bucket "$AWS_BUCKET_NAME" --prefix changed/ --query 'length(Uploads || `[]`)'
	[ "$output" = 0 ]
}

@test "a file that grows during a multipart upload: 65 as soon as it is read past its size, nothing stored" {
	changed_during grow
	[ "$status" = 65 ]
	[ "$stderr" = "s3put: fatal: $BATS_TEST_TMPDIR/f changed size while it was read ($((60 << 20)) bytes when the upload began, more read): nothing stored" ]
	run -66 s3get changed/grow /dev/null
	run -0 aws_cli s3api list-multipart-uploads --bucket "$AWS_BUCKET_NAME" --prefix changed/ --query 'length(Uploads || `[]`)'
	[ "$output" = 0 ]
}

@test "refused connections back off over the retry time: a service back after 3 s takes the upload" {
	local port
	port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	echo data >"$BATS_TEST_TMPDIR/d"
	AWS_ENDPOINT_URL=http://127.0.0.1:$port s3put -v back/k "$BATS_TEST_TMPDIR/d" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$! rc=0
	# the service is down for 3 s (the scenario, not a wait for something)
	sleep 3
	kill -0 "$pid"
	fp_start --port "$port"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "s3://$AWS_BUCKET_NAME/back/k 5 $(s3_etag "$BATS_TEST_TMPDIR/d")" ]
	[ "$(grep -c "Couldn't connect to server\|Could not connect to server" "$BATS_TEST_TMPDIR/err")" -ge 5 ]
	run -0 s3get back/k
	[ "$output" = data ]
}

@test "a failed multipart upload that cannot be aborted is reported without -v; s3ls -u lists it and s3rm -u aborts it" {
	head -c $((12 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	fp_start --reset 100 --min-body 5000000 --after 1000000 --match partNumber=2 --deny 100 --deny-method DELETE
	run -75 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" s3put -A 2 -p 5m orphan/k "$BATS_TEST_TMPDIR/big"
	[ "$(echo "$stderr" | grep -c '^s3put: error: the multipart upload of ')" = 1 ]
	[[ "$stderr" =~ "s3put: error: the multipart upload of s3://$AWS_BUCKET_NAME/orphan/k (upload id "([^\)]+)") could not be aborted: "[^$'\n']*"; abort it with: s3rm -u 'orphan/k'" ]]
	local id=${BASH_REMATCH[1]}
	[ "$(echo "$stderr" | tail -n 1 | cut -d: -f1-2)" = "s3put: fatal" ]
	fp_stop
	run -0 s3ls -u orphan/
	[[ "$output" =~ ^"orphan/k"$'\t'"$id"$'\t'[0-9TZ:.-]+$ ]]
	run -0 aws_cli s3api list-multipart-uploads --bucket "$AWS_BUCKET_NAME" --prefix orphan/ --query 'length(Uploads || `[]`)'
	[ "$output" = 1 ]
	run -0 --separate-stderr s3rm -v -u orphan/
	[ "$(echo "$stderr" | grep -c "^s3rm: info: aborted s3://$AWS_BUCKET_NAME/orphan/k (upload id $id)$")" = 1 ]
	run -0 s3ls -u orphan/
	[ "$output" = "" ]
	run -0 aws_cli s3api list-multipart-uploads --bucket "$AWS_BUCKET_NAME" --prefix orphan/ --query 'length(Uploads || `[]`)'
	[ "$output" = 0 ]
}
