#!/usr/bin/env bats
# imgq-recv as an attacker sees it (imgq-recv(8), ACCESS): who may see and
# do what, the headers of every answer, and requests that fail leaving
# nothing behind.  Each test asserts the status and that nothing was
# stored or queued (or changed) by the attack.

load helpers/common
load helpers/recv
load helpers/s3tools

setup_file() {
	recv_setup_file
	export IMGQ_RECV_MAX_FILES=4
	export TOK=sekrit-operator-token-4f1c2a
	export IMGQ_ADMIN_TOKEN=$TOK
	export OP="Authorization: Bearer $TOK"
	export JPG=$CORPUS/opencv_baboon.jpg
	export T=$BATS_FILE_TMPDIR
	recv_listen -b 10m
}

teardown_file() {
	recv_listen_stop
	fp_stop
	imgq_teardown_file
}

# A web server a test started stops with the test, whatever happened.
teardown() {
	[ -f "$BATS_TEST_TMPDIR/lighttpd.pid" ] || return 0
	kill "$(cat "$BATS_TEST_TMPDIR/lighttpd.pid")" 2>/dev/null || true
}

# What is stored and queued: "objects jobs-queued".
state() {
	local n
	n=$(aws_cli s3api list-objects-v2 --bucket "$AWS_BUCKET_NAME" \
		--prefix uploads/ --query 'length(Contents || `[]`)' --output text)
	echo "$n $(imgq-stat depth)"
}

upload() { # prints the new job's id
	curl -sS -F "file=@$JPG" "$URL/upload" | jq -r .id
}

# Every queued job is run: work [imgq-pop flags] -- command...
work() {
	local n
	n=$(imgq-stat depth)
	[ "$n" -gt 0 ] || return 0
	imgq-pop -n "$n" -w 5s "$@" 2>/dev/null || true
}

# A job that failed for good: rejected (exit 65) by its worker.
dead_job() {
	local id
	id=$(upload)
	work -- sh -c 'exit 65'
	[ "$(imgq-stat job -f state "$id")" = dead ] || return 1
	echo "$id"
}

# Signs in; prints the session cookie "imgq_session=...".
signin() {
	curl -sS -D - -o /dev/null --data-urlencode "token=$TOK" "$URL/signin" |
		tr -d '\r' | sed -n 's/^Set-Cookie: \(imgq_session=[^;]*\);.*/\1/p'
}

@test "anonymous: /api/stats and /metrics answer 401 and list no job" {
	upload >/dev/null
	run -0 curl -sS -D "$BATS_TEST_TMPDIR/h" -w ' %{http_code}' "$URL/api/stats"
	[ "$output" = $'{"error":"operator credential required","status":401}\n 401' ]
	grep -q '^WWW-Authenticate: Bearer realm="imgq"' "$BATS_TEST_TMPDIR/h"
	run -0 curl -sS -w ' %{http_code}' "$URL/metrics"
	[ "$output" = $'{"error":"operator credential required","status":401}\n 401' ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H "$OP" "$URL/api/stats"
	[ "$output" = 200 ]
}

@test "a wrong or empty bearer token is 401; the token never reaches a log line" {
	for a in "Bearer nope" "Bearer " "Bearer ${TOK}x" "Basic $(printf 'op:%s' "$TOK" | base64)"; do
		run -0 curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: $a" "$URL/api/stats"
		[ "$output" = 401 ]
	done
	run -1 grep -c "$TOK" "$T/srv.err"
	[ "$output" = 0 ]
}

@test "no credential configured: the operator routes are off (403), not open" {
	run -65 --separate-stderr env -u IMGQ_ADMIN_TOKEN imgq-recv < <(printf 'GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n')
	[[ "$output" == *'{"error":"operator access is off: no credential is configured","status":403}' ]]
	before=$(state)
	run -65 --separate-stderr env -u IMGQ_ADMIN_TOKEN imgq-recv < <(printf 'POST /api/dead/0123456789abcdefghijklmnop/requeue HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer anything-at-all-here\r\nContent-Length: 0\r\n\r\n')
	[[ "$output" == *'"status":403}' ]]
	[ "$(state)" = "$before" ]
	IMGQ_ADMIN_TOKEN=short run -78 imgq-recv </dev/null
	[ "$output" = "imgq-recv: fatal: IMGQ_ADMIN_TOKEN: shorter than 16 characters" ]
}

@test "anonymous requeue of a dead job is 401 and the job stays dead" {
	id=$(dead_job)
	before=$(state)
	run -0 curl -sS -X POST -w ' %{http_code}' "$URL/api/dead/$id/requeue"
	[ "$output" = $'{"error":"operator credential required","status":401}\n 401' ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
	[ "$(state)" = "$before" ]
}

@test "forged Host and Origin give nothing: requeue without a credential is 401" {
	id=$(dead_job)
	before=$(state)
	run -0 curl -sS -X POST -o /dev/null -w '%{http_code}' -H "Host: 127.0.0.1:$PORT" \
		-H "Origin: http://127.0.0.1:$PORT" "$URL/api/dead/$id/requeue"
	[ "$output" = 401 ]
	run -0 curl -sS -X POST -o /dev/null -w '%{http_code}' -H 'Host: evil.example' \
		-H 'Origin: http://evil.example' "$URL/api/dead/$id/requeue"
	[ "$output" = 401 ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
	[ "$(state)" = "$before" ]
}

@test "CSRF: the session cookie without X-Imgq-CSRF is 403; with it the dead job is requeued" {
	id=$(dead_job)
	cookie=$(signin)
	[[ $cookie == imgq_session=* ]]
	before=$(state)
	run -0 curl -sS -X POST -w ' %{http_code}' -b "$cookie" -H 'Origin: http://evil.example' "$URL/api/dead/$id/requeue"
	[ "$output" = $'{"error":"X-Imgq-CSRF header required","status":403}\n 403' ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
	[ "$(state)" = "$before" ]
	run -0 curl -sS -X POST -w ' %{http_code}' -b "$cookie" -H 'X-Imgq-CSRF: 1' "$URL/api/dead/$id/requeue"
	[ "$output" = "{\"id\":\"$id\",\"requeued\":true}"$'\n 200' ]
	[ "$(imgq-stat job -f state "$id")" = queued ]
}

@test "sign-in: a wrong token is 401 without a cookie; the right one a cookie that is not the token" {
	run -0 curl -sS -D "$BATS_TEST_TMPDIR/h" -w ' %{http_code}' --data-urlencode 'token=wrong' "$URL/signin"
	[ "$output" = $'{"error":"wrong token","status":401}\n 401' ]
	run -1 grep -ci '^set-cookie' "$BATS_TEST_TMPDIR/h"
	run -0 curl -sS -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' --data-urlencode "token=$TOK" "$URL/signin"
	[ "$output" = 204 ]
	run -0 grep '^Set-Cookie: ' "$BATS_TEST_TMPDIR/h"
	[[ "$output" =~ ^Set-Cookie:\ imgq_session=[0-9]+\.[0-9a-f]{64}\;\ Path=/\;\ Max-Age=43200\;\ HttpOnly\;\ SameSite=Strict$'\r'$ ]]
	[[ "$output" != *"$TOK"* ]]
	# over https (as the front server says): Secure
	run -0 curl -sS -D - -o /dev/null -H 'X-Forwarded-Proto: https' --data-urlencode "token=$TOK" "$URL/signin"
	[[ "$output" == *"HttpOnly; SameSite=Strict; Secure"* ]]
	# the cookie opens the API; a forged one (another expiry) does not
	cookie=$(signin)
	run -0 curl -sS -o /dev/null -w '%{http_code}' -b "$cookie" "$URL/api/stats"
	[ "$output" = 200 ]
	forged=imgq_session=99999999999.${cookie#*.}
	run -0 curl -sS -o /dev/null -w '%{http_code}' -b "$forged" "$URL/api/stats"
	[ "$output" = 401 ]
}

@test "anonymous job view: its own job, without worker host, pid, stderr or storage key" {
	id=$(upload)
	work -c evilhost.4242 -- sh -c 'echo secret-stderr >&2; exit 65'
	[ "$(imgq-stat job -f state "$id")" = dead ]
	run -0 curl -sS "$URL/jobs/$id"
	[ "$(echo "$output" | jq -r '[.id, .state] | join(" ")')" = "$id dead" ]
	[ "$(echo "$output" | jq -r 'has("stderr"), has("consumer"), has("error"), has("src"), has("bucket")' | sort -u)" = false ]
	[[ "$output" != *secret-stderr* && "$output" != *evilhost* ]]
	run -0 curl -sS -H "$OP" "$URL/jobs/$id"
	[ "$(echo "$output" | jq -r '.src')" = "uploads/$id.jpg" ]
	[[ "$output" == *secret-stderr* ]]
}

@test "anonymous /healthz says only ok or not: no bucket, host:port or libcurl text" {
	run -0 curl -sS "$URL/healthz"
	[ "$output" = '{"ok":true}' ]
	REDIS_URL=redis://127.0.0.1:1/0 AWS_ENDPOINT_URL=http://127.0.0.1:1 run -75 cgi GET /healthz
	[ "${lines[0]}" = "Status: 503 Service Unavailable" ]
	[ "${lines[-1]}" = '{"ok":false}' ]
	REDIS_URL=redis://127.0.0.1:1/0 run -75 cgi GET /healthz HTTP_AUTHORIZATION="Bearer $TOK"
	[[ "${lines[-1]}" == '{"redis":"'*'127.0.0.1:1'*'","s3":"ok"}' ]]
}

@test "framing and referrer: every HTML answer forbids framing; JSON is nosniff, no-referrer" {
	for p in / /dashboard; do
		run -0 curl -sS -D - -o /dev/null "$URL$p"
		[[ "$output" == *$'\r\nContent-Security-Policy: '*"frame-ancestors 'none'"* ]]
		[[ "$output" == *$'\r\nX-Frame-Options: DENY\r\n'* ]]
		[[ "$output" == *$'\r\nReferrer-Policy: no-referrer\r\n'* ]]
		[[ "$output" == *$'\r\nX-Content-Type-Options: nosniff\r\n'* ]]
	done
	run -0 curl -sS -D - -o /dev/null "$URL/jobs/0123456789abcdefghijklmnop"
	[[ "$output" == *$'\r\nReferrer-Policy: no-referrer\r\n'* ]]
	[[ "$output" == *$'\r\nX-Content-Type-Options: nosniff\r\n'* ]]
	[[ "$output" == *$'\r\nCache-Control: no-store\r\n'* ]]
}

@test "Idempotency-Key reused with another file is 422; the first job stays, nothing stored" {
	gm convert -size 8x8 xc:red "$BATS_TEST_TMPDIR/red.gif"
	run -0 curl -sS -H 'Idempotency-Key: reuse-1' -F "file=@$JPG" "$URL/upload"
	id=$(echo "$output" | jq -r .id)
	before=$(state)
	run -0 curl -sS -w ' %{http_code}' -H 'Idempotency-Key: reuse-1' -F "file=@$BATS_TEST_TMPDIR/red.gif" "$URL/upload"
	[ "$output" = $'{"error":"Idempotency-Key reused with a different request","status":422}\n 422' ]
	[ "$(state)" = "$before" ]
	[ "$(imgq-stat job -f state "$id")" = queued ]
	# the same file again (another boundary, another name) is a retry
	run -0 curl -sS -H 'Idempotency-Key: reuse-1' -F "file=@$JPG;filename=other.jpg" "$URL/upload"
	[ "$(echo "$output" | jq -r .id)" = "$id" ]
	[ "$(state)" = "$before" ]
}

@test "requeue of a job that is not dead (queued, done) is 409 and runs nothing again" {
	id=$(upload)
	run -0 curl -sS -X POST -w ' %{http_code}' -H "$OP" "$URL/api/dead/$id/requeue"
	[ "$output" = $'{"error":"the job is not dead","status":409}\n 409' ]
	work -- true
	[ "$(imgq-stat job -f state "$id")" = "done" ]
	before=$(state)
	run -0 curl -sS -X POST -w ' %{http_code}' -H "$OP" "$URL/api/dead/$id/requeue"
	[ "$output" = $'{"error":"the job is not dead","status":409}\n 409' ]
	[ "$(imgq-stat job -f state "$id")" = "done" ]
	[ "$(state)" = "$before" ]
}

@test "all or nothing: more files than the limit is 413 with nothing stored or queued" {
	before=$(state)
	run -0 curl -sS -w ' %{http_code}' -F "a=@$JPG" -F "b=@$JPG" -F "c=@$JPG" -F "d=@$JPG" -F "e=@$JPG" "$URL/upload"
	[ "$output" = $'{"error":"more than 4 files in one request","status":413}\n 413' ]
	[ "$(state)" = "$before" ]
}

@test "all or nothing: a good file then a malformed part header is 400 with nothing stored or queued" {
	before=$(state)
	{
		printf -- '--b1\r\nContent-Disposition: form-data; name="f"; filename="a.jpg"\r\n\r\n'
		cat "$JPG"
		printf -- '\r\n--b1\r\nContent-Disposition: form-data; name="g"; filename="b.jpg"\r\nX-Pad: %s\r\n\r\nzz\r\n--b1--\r\n' "$(head -c 20000 /dev/zero | tr '\0' a)"
	} >"$BATS_TEST_TMPDIR/body"
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: multipart/form-data; boundary=b1' \
		--data-binary "@$BATS_TEST_TMPDIR/body" "$URL/upload"
	[ "$output" = 400 ]
	[ "$(state)" = "$before" ]
}

@test "all or nothing: a good file then a disconnect leaves nothing stored or queued" {
	before=$(state)
	run -0 "$PY" - "$PORT" "$JPG" <<-'EOF'
		import socket, sys
		data = open(sys.argv[2], "rb").read()
		part = (b'--b1\r\nContent-Disposition: form-data; name="f"; filename="a.jpg"\r\n\r\n'
		        + data + b'\r\n--b1\r\nContent-Disposition: form-data; name="g"; filename="b.jpg"\r\n\r\n')
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
		s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b1\r\n"
		          b"Content-Length: %d\r\n\r\n" % (len(part) + 100000) + part + data[:1000])
		s.close()
	EOF
	wait_until 10 grep -q 'upload broken off' "$T/srv.err"
	[ "$(state)" = "$before" ]
}

@test "all or nothing: the queue failing after two files are stored deletes both (503)" {
	before=$(state)
	{
		for f in a b; do
			printf -- '--b1\r\nContent-Disposition: form-data; name="%s"; filename="%s.jpg"\r\n\r\n' $f $f
			cat "$JPG"
			printf '\r\n'
		done
		printf -- '--b1--\r\n'
	} >"$BATS_TEST_TMPDIR/body"
	REDIS_URL=redis://127.0.0.1:1/0 run -75 cgi POST /upload \
		CONTENT_TYPE='multipart/form-data; boundary=b1' \
		CONTENT_LENGTH="$(stat -c %s "$BATS_TEST_TMPDIR/body")" <"$BATS_TEST_TMPDIR/body"
	[ "${lines[0]}" = "Status: 503 Service Unavailable" ]
	[ "${lines[-1]}" = '{"error":"queue unavailable","status":503}' ]
	[ "$(state)" = "$before" ]
}

@test "all or nothing: S3 failing on the second file deletes the first (503)" {
	before=$(state)
	fp_start --slowdown 10 --match .png
	{
		printf -- '--b1\r\nContent-Disposition: form-data; name="a"; filename="a.jpg"\r\n\r\n'
		cat "$JPG"
		printf -- '\r\n--b1\r\nContent-Disposition: form-data; name="b"; filename="b.png"\r\n\r\n'
		cat "$CORPUS/skimage_astronaut_256.png"
		printf -- '\r\n--b1--\r\n'
	} >"$BATS_TEST_TMPDIR/body"
	AWS_ENDPOINT_URL=$FP_URL IMGQ_S3_ATTEMPTS=2 run -75 cgi POST /upload \
		CONTENT_TYPE='multipart/form-data; boundary=b1' \
		CONTENT_LENGTH="$(stat -c %s "$BATS_TEST_TMPDIR/body")" <"$BATS_TEST_TMPDIR/body"
	fp_stop
	[ "${lines[0]}" = "Status: 503 Service Unavailable" ]
	[ "${lines[-1]}" = '{"error":"storage unavailable","status":503}' ]
	# the first file was stored, then deleted
	[ "$(grep -c '^PUT [^ ]*uploads/[0-9a-z]*\.jpg pass$' "$FP_LOG")" = 1 ]
	[ "$(grep -c '^DELETE [^ ]*uploads/[0-9a-z]*\.jpg pass$' "$FP_LOG")" = 1 ]
	[ "$(state)" = "$before" ]
}

@test "request smuggling: Content-Length with Transfer-Encoding is 400, nothing stored" {
	before=$(state)
	run -65 raw 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	[ "$(grep -c '^HTTP/1.1' <<<"$output")" = 1 ]
	[ "$(state)" = "$before" ]
}

@test "header flood: too many header fields is 431, nothing stored" {
	before=$(state)
	hdrs=$(for i in $(seq 200); do printf 'X-F%d: y\\r\\n' "$i"; done)
	run -65 raw "POST /upload HTTP/1.1\\r\\nHost: x\\r\\n${hdrs}Content-Length: 3\\r\\n\\r\\nabc"
	[ "${lines[0]}" = "HTTP/1.1 431 Request Header Fields Too Large" ]
	[ "$(state)" = "$before" ]
}

@test "slow client: a body that stops is cut off with 408, nothing stored" {
	before=$(state)
	IMGQ_RECV_READ_TIMEOUT=1s run -75 "$PY" - <<-'EOF'
		import os, socket, subprocess, sys
		a, b = socket.socketpair()
		p = subprocess.Popen(["imgq-recv"], stdin=b, stdout=b, stderr=subprocess.DEVNULL)
		b.close()
		a.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
		          + open(os.environ["JPG"], "rb").read()[:5000])
		ans = a.makefile("rb").read()
		print(ans.split(b"\r\n")[0].decode())
		sys.exit(p.wait())
	EOF
	[ "${lines[0]}" = "HTTP/1.1 408 Request Timeout" ]
	[ "$(state)" = "$before" ]
}

@test "path traversal: encoded dots and slashes reach no file outside the pages" {
	for p in '/..%2F..%2Fetc%2Fpasswd' '/%2e%2e/%2e%2e/etc/passwd' '/style.css%2F..%2F..%2Fimgq.env' \
		'/jobs/..%2F..%2Fetc%2Fpasswd' '/.%2e/etc/passwd' '/..\\..\\etc\\passwd'; do
		run -0 curl -sS --path-as-is -o "$BATS_TEST_TMPDIR/b" -w '%{http_code}' "$URL$p"
		[[ "$output" = 404 || "$output" = 400 ]]
		run -1 grep -c 'root:' "$BATS_TEST_TMPDIR/b"
	done
}

@test "httpoxy: a Proxy: header is not libcurl's proxy (CGI); the upload is stored" {
	before=$(state)
	printf -- '--b1\r\nContent-Disposition: form-data; name="f"; filename="a.jpg"\r\n\r\n' >"$BATS_TEST_TMPDIR/body"
	cat "$JPG" >>"$BATS_TEST_TMPDIR/body"
	printf -- '\r\n--b1--\r\n' >>"$BATS_TEST_TMPDIR/body"
	run -0 cgi POST /upload HTTP_PROXY=http://127.0.0.1:1 \
		CONTENT_TYPE='multipart/form-data; boundary=b1' \
		CONTENT_LENGTH="$(stat -c %s "$BATS_TEST_TMPDIR/body")" <"$BATS_TEST_TMPDIR/body"
	[ "${lines[0]}" = "Status: 202 Accepted" ]
	read -r o q <<<"$before"
	[ "$(state)" = "$((o + 1)) $((q + 1))" ]
}

@test "front server identity: REMOTE_USER counts only when the settings name it, and needs the CSRF header to change" {
	run -65 cgi GET /api/stats REMOTE_USER=alice
	[ "${lines[0]}" = "Status: 401 Unauthorized" ]
	IMGQ_RECV_FRONT_USER=REMOTE_USER run -0 cgi GET /api/stats REMOTE_USER=alice
	[ "${lines[0]}" = "Status: 200 OK" ]
	# a client's own header is not the front server's variable
	IMGQ_RECV_FRONT_USER=REMOTE_USER run -65 cgi GET /api/stats HTTP_REMOTE_USER=alice
	[ "${lines[0]}" = "Status: 401 Unauthorized" ]
	id=$(dead_job)
	IMGQ_RECV_FRONT_USER=REMOTE_USER run -65 cgi POST "/api/dead/$id/requeue" REMOTE_USER=alice CONTENT_LENGTH=0 </dev/null
	[ "${lines[0]}" = "Status: 403 Forbidden" ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
	IMGQ_RECV_FRONT_USER=REMOTE_USER run -0 cgi POST "/api/dead/$id/requeue" REMOTE_USER=alice HTTP_X_IMGQ_CSRF=1 CONTENT_LENGTH=0 </dev/null
	[ "${lines[0]}" = "Status: 200 OK" ]
}

# The same rules in each mode: anonymous requeue and stats refused, one's
# own job visible.
@test "CGI: anonymous requeue and stats refused, own job visible" {
	id=$(dead_job)
	run -65 cgi POST "/api/dead/$id/requeue" CONTENT_LENGTH=0 </dev/null
	[ "${lines[0]}" = "Status: 401 Unauthorized" ]
	run -65 cgi GET /api/stats
	[ "${lines[0]}" = "Status: 401 Unauthorized" ]
	run -0 cgi GET "/jobs/$id"
	[ "$(echo "${lines[-1]}" | jq -r .state)" = dead ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
}

@test "inetd: anonymous requeue and stats refused, own job visible" {
	id=$(dead_job)
	run -65 raw "POST /api/dead/$id/requeue HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 0\\r\\n\\r\\nGET /api/stats HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /jobs/$id HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n"
	[ "$(grep '^HTTP/1.1' <<<"$output" | tr '\n' ,)" = "HTTP/1.1 401 Unauthorized,HTTP/1.1 401 Unauthorized,HTTP/1.1 200 OK," ]
	[ "$(echo "${lines[-1]}" | jq -r .state)" = dead ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
}

@test "accept loop: anonymous requeue and stats refused, own job visible" {
	id=$(dead_job)
	run -0 curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/api/dead/$id/requeue"
	[ "$output" = 401 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/api/stats"
	[ "$output" = 401 ]
	run -0 curl -sS "$URL/jobs/$id"
	[ "$(echo "$output" | jq -r .state)" = dead ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
}

@test "lighttpd CGI with its own basic auth: its REMOTE_USER is the operator, a client's header is not" {
	command -v lighttpd >/dev/null || skip "lighttpd is not installed (scripts/deps)"
	[ -f /usr/lib/lighttpd/mod_authn_file.so ] || skip "lighttpd has no mod_authn_file"
	local d=$BATS_TEST_TMPDIR port id
	port=$(free_port)
	printf 'op:sesame\n' >"$d/users"
	mkdir -p "$d/www"
	# no IMGQ_ADMIN_TOKEN reaches imgq-recv: only the front server's word
	cat >"$d/lighttpd.conf" <<-CONF
		server.modules = ("mod_alias", "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv")
		server.bind = "127.0.0.1"
		server.port = $port
		server.document-root = "$d/www"
		server.errorlog = "$d/error.log"
		server.pid-file = "$d/lighttpd.pid"
		alias.url = ("/imgq" => "$IMGQ_BIN/imgq-recv")
		\$HTTP["url"] =~ "^/imgq" { cgi.assign = ("" => "") }
		auth.backend = "plain"
		auth.backend.plain.userfile = "$d/users"
		auth.require = ("/imgq/api/" => ("method" => "basic", "realm" => "imgq", "require" => "valid-user"))
		setenv.add-environment = ("REDIS_URL" => "$REDIS_URL", "IMGQ_RECV_FRONT_USER" => "REMOTE_USER")
	CONF
	id=$(dead_job)
	lighttpd -f "$d/lighttpd.conf" 2>"$d/start.err" || { cat "$d/start.err" >&2; return 1; }
	wait_until 10 test -s "$d/lighttpd.pid"
	base=http://127.0.0.1:$port/imgq
	run -0 curl -sS -o /dev/null -w '%{http_code}' -u op:sesame "$base/api/stats"
	[ "$output" = 200 ]
	# a client naming itself in a header of that name is nobody
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Remote-User: op' "$base/metrics"
	[ "$output" = 401 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -u op:sesame -d '' "$base/api/dead/$id/requeue"
	[ "$output" = 403 ]
	[ "$(imgq-stat job -f state "$id")" = dead ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -u op:sesame -H 'X-Imgq-CSRF: 1' -d '' "$base/api/dead/$id/requeue"
	[ "$output" = 200 ]
	[ "$(imgq-stat job -f state "$id")" = queued ]
}
