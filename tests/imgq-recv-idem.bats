#!/usr/bin/env bats
# imgq-recv and Idempotency-Key: a retry is answered from what the first
# request kept, before anything is stored (every S3 request goes through
# the fault proxy, which logs it); concurrent requests with one key end
# with one job and one object.

load helpers/common
load helpers/s3tools
load helpers/recv

setup_file() {
	recv_setup_file
	fp_start
	export AWS_ENDPOINT_URL=$FP_URL
	# two processes, so that two requests can run at once
	port=$(free_port)
	imgq-prefork -l "127.0.0.1:$port" -n 2 -- imgq-recv 2>"$T/srv.err" &
	echo $! >"$T/srv.pid"
	export URL=http://127.0.0.1:$port
	wait_until 10 curl -sf -o /dev/null "$URL/healthz"
}

teardown() {
	stop_children
}

teardown_file() {
	recv_stop "$T/srv.pid"
	fp_stop
	imgq_teardown_file
}

# PUTs of uploads that reached S3 since the start
puts() { grep -c '^PUT [^ ]*uploads/' "$FP_LOG" || true; }
# jobs recorded in Redis
njobs() { rcli --scan --pattern "$(qkey job '*')" | wc -l; }

@test "a retry with the same key gets the first answer and sends nothing to S3" {
	run -0 curl -sS -H 'Idempotency-Key: retry-1' -F "file=@$JPG" "$URL/upload"
	first=$output
	id=$(echo "$first" | json 'd["id"]')
	[ "$(puts)" = 1 ]
	[ "$(njobs)" = 1 ]
	# retried twice, once as a raw PUT body: the same answer, no PUT
	run -0 curl -sS -H 'Idempotency-Key: retry-1' -F "file=@$JPG" "$URL/upload"
	[ "$output" = "$first" ]
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -H 'Idempotency-Key: retry-1' -T "$JPG" "$URL/upload"
	[ "$output" = 202 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$first" ]
	[ "$(puts)" = 1 ]
	[ "$(njobs)" = 1 ]
	[ "$(field "$id" state)" = queued ]
	grep -q 'idempotent retry: the first answer, nothing stored; 127.0.0.1 "POST /upload" 202 ' "$T/srv.err"
	# another key is another upload
	run -0 curl -sS -H 'Idempotency-Key: retry-2' -F "file=@$JPG" "$URL/upload"
	[ "$(echo "$output" | json 'd["id"]')" != "$id" ]
	[ "$(puts)" = 2 ]
}

@test "a request failing before it is stored leaves no answer: its retry stores" {
	printf 'not an image\n' >"$BATS_TEST_TMPDIR/note.txt"
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Idempotency-Key: refused-1' \
		-F "file=@$BATS_TEST_TMPDIR/note.txt" "$URL/upload"
	[ "$output" = 415 ]
	before=$(puts)
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Idempotency-Key: refused-1' \
		-F "file=@$JPG" "$URL/upload"
	[ "$output" = 202 ]
	[ "$(puts)" = $((before + 1)) ]
}

@test "while the first request runs, a duplicate gets 409 with Retry-After; then the first answer" {
	before=$(puts)
	jobs0=$(njobs)
	# the first request sends its head and half its body, then waits
	# (at most 20 s) for the file "go"
	"$PY" - "${URL##*:}" "$JPG" "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/first" <<-'EOF' &
		import os, socket, sys, time
		data = open(sys.argv[2], "rb").read()
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
		s.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nIdempotency-Key: busy-1\r\n"
		          b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(data))
		s.sendall(data[:len(data) // 2])
		end = time.time() + 20
		while not os.path.exists(sys.argv[3]) and time.time() < end:
		    time.sleep(0.05)
		s.sendall(data[len(data) // 2:])
		answer = b""
		while True:
		    b = s.recv(65536)
		    if not b:
		        break
		    answer += b
		print(answer.split(b"\r\n")[0].decode())
		print(answer.split(b"\r\n\r\n", 1)[1].decode(), end="")
	EOF
	first=$!
	held() { [ "$(rcli exists "$(qkey idemreq busy-1)")" = 1 ]; }
	wait_until 10 held || { touch "$BATS_TEST_TMPDIR/go"; wait "$first"; false; }
	run -0 curl -sS -D "$BATS_TEST_TMPDIR/head" -H 'Idempotency-Key: busy-1' -T "$JPG" "$URL/upload"
	[ "$output" = '{"error":"a request with this Idempotency-Key is in progress","status":409}' ]
	run -0 grep -c -e '^HTTP/1.1 409 Conflict' -e '^Retry-After: [0-9]' "$BATS_TEST_TMPDIR/head"
	[ "$output" = 2 ]
	touch "$BATS_TEST_TMPDIR/go"
	wait "$first"
	[ "$(head -1 "$BATS_TEST_TMPDIR/first")" = "HTTP/1.1 202 Accepted" ]
	id=$(tail -n +2 "$BATS_TEST_TMPDIR/first" | json 'd["id"]')
	run -0 curl -sS -H 'Idempotency-Key: busy-1' -T "$JPG" "$URL/upload"
	[ "$(echo "$output" | json 'd["id"]')" = "$id" ]
	[ "$(puts)" = $((before + 1)) ]
	[ "$(njobs)" = $((jobs0 + 1)) ]
}

@test "concurrent duplicates end with one job and one object" {
	before=$(puts)
	jobs0=$(njobs)
	for i in 1 2 3 4 5 6; do
		curl -sS -o "$BATS_TEST_TMPDIR/a$i" -w '%{http_code}\n' \
			-H 'Idempotency-Key: race-1' -F "file=@$JPG" "$URL/upload" \
			>"$BATS_TEST_TMPDIR/code$i" &
	done
	wait
	ids=
	for i in 1 2 3 4 5 6; do
		code=$(cat "$BATS_TEST_TMPDIR/code$i")
		[ "$code" = 202 ] || [ "$code" = 409 ]
		[ "$code" = 202 ] && ids="$ids $(json 'd["id"]' <"$BATS_TEST_TMPDIR/a$i")"
	done
	[ -n "$ids" ]
	[ "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" = 1 ]
	[ "$(puts)" = $((before + 1)) ]
	[ "$(njobs)" = $((jobs0 + 1)) ]
	[ "$(aws_cli s3api list-objects-v2 --bucket "$AWS_BUCKET_NAME" --prefix "uploads/$(echo $ids | cut -d' ' -f1)" --query 'length(Contents)')" = 1 ]
}

@test "CGI: a retry is answered without storing" {
	body=$BATS_TEST_TMPDIR/body
	printf -- '--b1\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n' >"$body"
	cat "$JPG" >>"$body"
	printf -- '\r\n--b1--\r\n' >>"$body"
	cgi() {
		env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST PATH_INFO=/upload \
			CONTENT_TYPE='multipart/form-data; boundary=b1' CONTENT_LENGTH="$(stat -c %s "$body")" \
			HTTP_IDEMPOTENCY_KEY=cgi-1 imgq-recv <"$body" 2>/dev/null | tr -d '\r'
	}
	run -0 cgi
	[ "${lines[0]}" = "Status: 202 Accepted" ]
	first=${lines[-1]}
	before=$(puts)
	run -0 cgi
	[ "${lines[0]}" = "Status: 202 Accepted" ]
	[ "${lines[-1]}" = "$first" ]
	[ "$(puts)" = "$before" ]
}
