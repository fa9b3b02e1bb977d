#!/usr/bin/env bats
# imgq-recv: the three modes, every error status, uploads into the real
# local S3 service and Redis, events, results, limits and hostile input.

load helpers/common
load helpers/recv

setup_file() {
	recv_setup_file
	export IMGQ_ADMIN_TOKEN=test-operator-token-0123456789
	export OP="Authorization: Bearer $IMGQ_ADMIN_TOKEN"
	printf 'just some text, not an image\n' >"$T/note.txt"
	gm convert -size 8x8 xc:red "$T/red.gif"
	recv_listen -b 10m
}

teardown() {
	stop_children
}

teardown_file() {
	recv_listen_stop
	imgq_teardown_file
}

# A multipart body with one file part: boundary name file > out
mpbody() {
	printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\nContent-Type: image/jpeg\r\n\r\n' "$1" "$2"
	cat "$3"
	printf -- '\r\n--%s--\r\n' "$1"
}

objects() { aws_cli s3api list-objects-v2 --bucket "$AWS_BUCKET_NAME" --prefix uploads/ --query 'Contents[].Key' --output text; }
mpuploads() { aws_cli s3api list-multipart-uploads --bucket "$AWS_BUCKET_NAME" --query 'Uploads[].Key' --output text; }

@test "usage: an unknown flag exits 64 with the usage line" {
	run -64 imgq-recv -x
	[ "${lines[-1]}" = "usage: imgq-recv [-v] [-b max-body] [-n max-files] [-q queue] [-w www-dir]" ]
}

@test "a bad limit in the environment exits 78 naming the variable" {
	IMGQ_RECV_MAX_BODY=lots run -78 imgq-recv </dev/null
	[[ "$output" == "imgq-recv: fatal: IMGQ_RECV_MAX_BODY"* ]]
}

@test "inetd: GET / serves the upload page" {
	run -0 raw 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 200 OK" ]
	[[ "$output" == *"Content-Type: text/html; charset=utf-8"* ]]
	[[ "$output" == *'action="upload"'* ]]
}

@test "inetd: keep-alive serves requests one after another, then 404 exits 66" {
	run -66 raw 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 200 OK" ]
	[ "${lines[1]}" = "Connection: keep-alive" ]
	[[ "$output" == *'HTTP/1.1 404 Not Found'*'{"error":"not found","status":404}' ]]
	run -0 cat "$BATS_TEST_TMPDIR/err"
	[ "${lines[1]}" = 'imgq-recv: info: - "GET /nope" 404 0 0 ms' ] ||
		[[ "${lines[1]}" == 'imgq-recv: info: - "GET /nope" 404 0 '*' ms' ]]
}

@test "inetd: nothing is written to fd 2 (logs go to syslog)" {
	printf 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' >"$BATS_TEST_TMPDIR/req"
	IMGQ_RECV_LOG= run -66 --separate-stderr imgq-recv <"$BATS_TEST_TMPDIR/req"
	[ "$stderr" = "" ]
	[[ "$output" == *'{"error":"not found","status":404}' ]]
}

@test "405 with Allow for a wrong method" {
	run -65 raw 'DELETE /upload HTTP/1.1\r\nHost: x\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 405 Method Not Allowed" ]
	[[ "$output" == *"Allow: POST, PUT"*'{"error":"method not allowed","status":405}' ]]
}

@test "411 for an upload without a length" {
	run -65 raw 'POST /upload HTTP/1.1\r\nHost: x\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 411 Length Required" ]
	[ "${lines[-1]}" = '{"error":"Content-Length required","status":411}' ]
}

@test "413 decided from Content-Length before reading: 1 GiB against 10 MiB" {
	run -65 raw 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 413 Content Too Large" ]
	[ "${lines[1]}" = "Connection: close" ]
	IMGQ_RECV_MAX_BODY=10m run -65 raw 'PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10485761\r\nExpect: 100-continue\r\n\r\n'
	# no "100 Continue": the body is refused unread
	[ "${lines[0]}" = "HTTP/1.1 413 Content Too Large" ]
}

@test "431 for too many or too long header fields, 414 for a long target" {
	IMGQ_RECV_MAX_HEADERS=3 run -65 raw 'GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 431 Request Header Fields Too Large" ]
	[ "${lines[-1]}" = '{"error":"too many header fields","status":431}' ]
	long=$(head -c 9000 /dev/zero | tr '\0' a)
	run -65 raw "GET / HTTP/1.1\r\nHost: x\r\nX: $long\r\n\r\n"
	[ "${lines[-1]}" = '{"error":"header field too long","status":431}' ]
	run -65 raw "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n"
	[ "${lines[0]}" = "HTTP/1.1 414 URI Too Long" ]
}

@test "400 for malformed requests, 505 for HTTP/2, 501 for gzip coding" {
	run -65 raw 'GET / HTTP/1.1\r\n\r\n'
	[ "${lines[-1]}" = '{"error":"missing Host field","status":400}' ]
	run -65 raw 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	run -65 raw 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
	[ "${lines[-1]}" = '{"error":"both Transfer-Encoding and Content-Length","status":400}' ]
	run -76 raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 505 HTTP Version Not Supported" ]
	run -76 raw 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 501 Not Implemented" ]
	run -65 raw 'GET /a%%00b HTTP/1.1\r\nHost: x\r\n\r\n'
	[ "${lines[-1]}" = '{"error":"malformed request target","status":400}' ]
}

@test "CGI: GET / answers with a Status line, exit 0" {
	run -0 cgi GET /
	[ "${lines[0]}" = "Status: 200 OK" ]
	[[ "$output" == *"<title>imgq: upload images</title>"* ]]
}

@test "CGI: unknown path 404 (exit 66), missing CONTENT_LENGTH 411 (exit 65)" {
	run -66 cgi GET /nothing </dev/null
	[ "${lines[0]}" = "Status: 404 Not Found" ]
	run -65 cgi POST /upload </dev/null
	[ "${lines[0]}" = "Status: 411 Length Required" ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = 'imgq-recv: info: 127.0.0.1 "POST /upload" 411 0 0 ms' ] ||
		[[ "$(cat "$BATS_TEST_TMPDIR/err")" == 'imgq-recv: info: 127.0.0.1 "POST /upload" 411 0 '* ]]
}

@test "CGI: a multipart upload from stdin ends as an object and a queued job" {
	mpbody XyZ "cgi.jpg" "$JPG" >"$BATS_TEST_TMPDIR/body"
	run -0 cgi POST /upload CONTENT_TYPE="multipart/form-data; boundary=XyZ" \
		CONTENT_LENGTH="$(stat -c %s "$BATS_TEST_TMPDIR/body")" \
		HTTP_ACCEPT=application/json <"$BATS_TEST_TMPDIR/body"
	[ "${lines[0]}" = "Status: 202 Accepted" ]
	id=$(echo "${lines[-1]}" | json 'd["id"]')
	[ "$(echo "${lines[-1]}" | json 'd["files"][0]["status_url"]')" = "/cgi-bin/imgq-recv/jobs/$id" ]
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key "uploads/$id.jpg" --query ContentLength
	[ "$output" = "$(stat -c %s "$JPG")" ]
	[ "$(field "$id" state)" = queued ]
	[ "$(field "$id" src)" = "uploads/$id.jpg" ]
	[ "$(field "$id" bucket)" = "$AWS_BUCKET_NAME" ]
	[ "$(field "$id" name)" = cgi.jpg ]
	[ "$(field "$id" type)" = image/jpeg ]
	[ "$(field "$id" size)" = "$(stat -c %s "$JPG")" ]
}

@test "CGI: a chunked request (no CONTENT_LENGTH, the body to the end of input) is stored whole; over the limit 413" {
	gm convert -size 64x48 gradient:red-blue "$BATS_TEST_TMPDIR/g.jpg"
	run -0 cgi PUT /upload HTTP_TRANSFER_ENCODING=chunked \
		HTTP_X_FILE_NAME=chunked.jpg <"$BATS_TEST_TMPDIR/g.jpg"
	[ "${lines[0]}" = "Status: 202 Accepted" ]
	id=$(echo "${lines[-1]}" | json 'd["id"]')
	[ "$(field "$id" name)" = chunked.jpg ]
	[ "$(field "$id" size)" = "$(stat -c %s "$BATS_TEST_TMPDIR/g.jpg")" ]
	run -0 aws_cli s3 cp --quiet "s3://$AWS_BUCKET_NAME/uploads/$id.jpg" \
		"$BATS_TEST_TMPDIR/back.jpg"
	cmp "$BATS_TEST_TMPDIR/g.jpg" "$BATS_TEST_TMPDIR/back.jpg"
	IMGQ_RECV_MAX_BODY=200 run -65 cgi PUT /upload \
		HTTP_TRANSFER_ENCODING=chunked <"$BATS_TEST_TMPDIR/g.jpg"
	[ "${lines[0]}" = "Status: 413 Content Too Large" ]
}

@test "CGI: HTTP_PROXY from a Proxy: header reaches nothing" {
	# were it used as the proxy, storing would fail: nothing listens there
	run -0 cgi PUT /upload HTTP_PROXY=http://127.0.0.1:9 http_proxy= \
		CONTENT_TYPE=image/jpeg CONTENT_LENGTH="$(stat -c %s "$JPG")" <"$JPG"
	[ "${lines[0]}" = "Status: 202 Accepted" ]
}

@test "accept loop: curl -F stores the file and queues its job" {
	run -0 curl -sS -F "file=@$JPG" "$URL/upload"
	id=$(echo "$output" | json 'd["id"]')
	[ "$(echo "$output" | json 'd["files"][0]["status"]')" = queued ]
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key "uploads/$id.jpg" --query ContentType
	[ "$output" = '"image/jpeg"' ]
	run -0 curl -sS -H "$OP" "$URL/jobs/$id"
	[ "$(echo "$output" | json 'd["state"], d["src"], d["name"]')" = "('queued', 'uploads/$id.jpg', 'opencv_baboon.jpg')" ]
}

@test "accept loop: a raw PUT body, a PNG, a GIF; the client's type is ignored" {
	run -0 curl -sS -T "$PNG" -H 'Content-Type: image/jpeg' -H 'X-File-Name: a/b/../pic.png' "$URL/upload"
	[ "$(echo "$output" | json 'd["files"][0]["type"], d["files"][0]["name"]')" = "('image/png', 'pic.png')" ]
	run -0 curl -sS --data-binary "@$T/red.gif" "$URL/upload?name=red.gif"
	[ "$(echo "$output" | json 'd["files"][0]["type"], d["files"][0]["name"]')" = "('image/gif', 'red.gif')" ]
}

@test "415 for a file that is not an image; nothing is stored" {
	before=$(objects)
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -F "file=@$T/note.txt;type=image/jpeg" "$URL/upload"
	[ "$output" = 415 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"files":[{"name":"note.txt","status":"refused","code":415,"error":"not an image type accepted here (text/plain)"}]}' ]
	[ "$(objects)" = "$before" ]
}

@test "the type check is the worker's: TIFF only when IMGQ_FORMATS allows it, stored as .tif; SVG, PDF and a HEIF without an HEVC brand are 415, nothing stored" {
	gm convert -size 8x8 xc:red "$BATS_TEST_TMPDIR/red.tif"
	before=$(objects)
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' --data-binary "@$BATS_TEST_TMPDIR/red.tif" "$URL/upload?name=red.tif"
	[ "$output" = 415 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"files":[{"name":"red.tif","status":"refused","code":415,"error":"not an image type accepted here (image/tiff)"}]}' ]
	[ "$(objects)" = "$before" ]
	IMGQ_FORMATS=jpeg,png,tiff run -0 cgi PUT /upload CONTENT_TYPE=image/tiff \
		CONTENT_LENGTH="$(stat -c %s "$BATS_TEST_TMPDIR/red.tif")" <"$BATS_TEST_TMPDIR/red.tif"
	[ "${lines[0]}" = "Status: 202 Accepted" ]
	id=$(echo "${lines[-1]}" | json 'd["id"]')
	[ "$(echo "${lines[-1]}" | json 'd["files"][0]["type"]')" = image/tiff ]
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key "uploads/$id.tif" --query ContentType --output text
	[ "$output" = image/tiff ]
	IMGQ_FORMATS=jpeg,svg run -78 cgi GET /healthz
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "imgq-recv: fatal: IMGQ_FORMATS: not a format that can be allowed: svg" ]
	before=$(objects)
	printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$BATS_TEST_TMPDIR/a.svg"
	printf '%%PDF-1.7\n%%\342\343\317\323\n' >"$BATS_TEST_TMPDIR/a.pdf"
	printf '\000\000\000\030ftypmif1\000\000\000\000mif1miaf' >"$BATS_TEST_TMPDIR/a.heif"
	for f in a.svg:image/svg+xml a.pdf:application/pdf a.heif:application/octet-stream; do
		run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' --data-binary "@$BATS_TEST_TMPDIR/${f%%:*}" "$URL/upload?name=${f%%:*}"
		[ "$output" = 415 ]
		[ "$(cat "$BATS_TEST_TMPDIR/out")" = "{\"files\":[{\"name\":\"${f%%:*}\",\"status\":\"refused\",\"code\":415,\"error\":\"not an image type accepted here (${f#*:})\"}]}" ]
	done
	[ "$(objects)" = "$before" ]
}

@test "several files in one request: each gets its own job, a refused one says why" {
	run -0 curl -sS -F "a=@$JPG" -F "b=@$T/note.txt" -F "c=@$PNG" -F title=hello "$URL/upload"
	[ "$(echo "$output" | json '[f["status"] for f in d["files"]]')" = "['queued', 'refused', 'queued']" ]
	[ "$(echo "$output" | json 'd["files"][1]["code"]')" = 415 ]
}

@test "a plain HTML form asking for HTML is redirected with 303" {
	run -0 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Accept: text/html' -F "file=@$JPG" "$URL/upload"
	[[ "$output" =~ ^303\ http://127.0.0.1:[0-9]+/status\?jobs=[0-9a-z]{26}$ ]]
}

@test "Idempotency-Key: a retried request gets the same job and stores nothing twice" {
	run -0 curl -sS -H 'Idempotency-Key: k-123' -F "file=@$JPG" "$URL/upload"
	id1=$(echo "$output" | json 'd["id"]')
	n=$(objects | wc -w)
	run -0 curl -sS -H 'Idempotency-Key: k-123' -F "file=@$JPG" "$URL/upload"
	id2=$(echo "$output" | json 'd["id"]')
	[ "$id1" = "$id2" ]
	[ "$(objects | wc -w)" = "$n" ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Idempotency-Key: bad key' -F "file=@$JPG" "$URL/upload"
	[ "$output" = 400 ]
}

@test "queuing fails: the object is deleted and the answer is 503 with Retry-After" {
	before=$(objects)
	REDIS_URL=redis://127.0.0.1:1/0 run -75 cgi PUT /upload CONTENT_TYPE=image/jpeg \
		CONTENT_LENGTH="$(stat -c %s "$JPG")" <"$JPG"
	[ "${lines[0]}" = "Status: 503 Service Unavailable" ]
	[[ "$output" == *"Retry-After: 5"*'{"error":"queue unavailable","status":503}' ]]
	[ "$(objects)" = "$before" ]
	grep -q '^imgq-recv: error: unable to queue ' "$BATS_TEST_TMPDIR/err"
}

@test "1 GiB streamed (chunked) against a 10 MiB limit: 413, memory bounded, nothing left in S3" {
	before=$(objects)
	pid=$(cat "$T/srv.pid")
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -T - -H 'Content-Type: image/jpeg' \
		"$URL/upload" < <(cat "$JPG"; head -c 1G /dev/zero)
	[ "$output" = 413 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"error":"request body larger than 10485760 bytes","status":413}' ]
	[ "$(objects)" = "$before" ]
	[ "$(mpuploads)" = None ]
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
	echo "# peak RSS of the server: $hwm KiB" >&3
	# (ASan's shadow memory and quarantine inflate it: not measured there)
	[ -n "${IMGQ_SAN:-}" ] || [ "$hwm" -lt 65536 ]
}

@test "slowloris: a head trickled byte by byte is cut off with 408, others are served" {
	run -0 "$PY" - "$(cat "$T/port")" <<-'EOF'
		import socket, sys, time
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
		start = time.time()
		try:
		    for ch in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000:
		        s.send(bytes([ch]))
		        time.sleep(0.2)
		        if time.time() - start > 30:
		            break
		except OSError:
		    pass
		print(s.recv(100).split(b"\r\n")[0].decode())
	EOF
	[ "$output" = "HTTP/1.1 408 Request Timeout" ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz"
	[ "$output" = 200 ]
} 

@test "multipart torture: boundary-like content, bare LF, 70 characters, padding" {
	b70=$(printf '%070d' 7)
	{ printf -- '--%s\n' "$b70"
	  printf 'Content-Disposition: form-data; name="f"; filename="x.jpg"\n\n'
	  cat "$JPG"
	  printf -- '\n--%s--\n' "$b70"; } >"$BATS_TEST_TMPDIR/b"
	run -0 curl -sS -H "Content-Type: multipart/form-data; boundary=$b70" --data-binary "@$BATS_TEST_TMPDIR/b" "$URL/upload"
	id=$(echo "$output" | json 'd["id"]')
	run -0 aws_cli s3 cp --quiet "s3://$AWS_BUCKET_NAME/uploads/$id.jpg" "$BATS_TEST_TMPDIR/back"
	cmp "$JPG" "$BATS_TEST_TMPDIR/back"
	# a part whose data holds CRLF--boundary-like text and a huge preamble
	{ head -c 3000000 /dev/urandom | base64 -w 76
	  printf -- '\r\n--XyZ  \r\nContent-Disposition: form-data; name="f"; filename="y.jpg"\r\n\r\n'
	  cat "$JPG"; printf -- '\r\n-XyZ\r\n--Xy Z\n--XyZ--'; } >"$BATS_TEST_TMPDIR/b"
	run -0 curl -sS -H "Content-Type: multipart/form-data; boundary=XyZ" --data-binary "@$BATS_TEST_TMPDIR/b" -w '\n%{http_code}' "$URL/upload"
	[ "${lines[-1]}" = 202 ]
	id=$(echo "${lines[0]}" | json 'd["id"]')
	run -0 aws_cli s3 cp --quiet "s3://$AWS_BUCKET_NAME/uploads/$id.jpg" "$BATS_TEST_TMPDIR/back"
	{ cat "$JPG"; printf -- '\r\n-XyZ\r\n--Xy Z'; } | cmp - "$BATS_TEST_TMPDIR/back"
}

@test "multipart torture: missing final boundary, 71 characters, many parts, long headers are 400" {
	b71=$(printf '%071d' 7)
	run -0 curl -sS -H "Content-Type: multipart/form-data; boundary=$b71" --data-binary x "$URL/upload"
	[ "$output" = '{"error":"boundary longer than 70 characters","status":400}' ]
	printf -- '--B\r\nContent-Disposition: form-data; name="f"; filename="x.jpg"\r\n\r\n' >"$BATS_TEST_TMPDIR/b"
	cat "$JPG" >>"$BATS_TEST_TMPDIR/b"
	before=$(objects)
	run -0 curl -sS -H "Content-Type: multipart/form-data; boundary=B" --data-binary "@$BATS_TEST_TMPDIR/b" "$URL/upload"
	[ "$output" = '{"error":"missing final boundary","status":400}' ]
	[ "$(objects)" = "$before" ]
	[ "$(mpuploads)" = None ]
	for i in $(seq 40); do printf -- '--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' "$i"; done >"$BATS_TEST_TMPDIR/b"
	printf -- '--B--\r\n' >>"$BATS_TEST_TMPDIR/b"
	run -0 curl -sS -H "Content-Type: multipart/form-data; boundary=B" --data-binary "@$BATS_TEST_TMPDIR/b" "$URL/upload"
	[ "$output" = '{"error":"too many parts","status":400}' ]
	long=$(head -c 9000 /dev/zero | tr '\0' a)
	printf -- '--B\r\nX-Long: %s\r\n\r\n' "$long" >"$BATS_TEST_TMPDIR/b"
	run -0 curl -sS -H "Content-Type: multipart/form-data; boundary=B" --data-binary "@$BATS_TEST_TMPDIR/b" "$URL/upload"
	[ "$output" = '{"error":"part header too long","status":400}' ]
}

@test "hostile file names: ../, CRLF, NUL, 10 KiB" {
	up() { # raw file name bytes (printf format)
		{ printf -- '--B\r\nContent-Disposition: form-data; name="f"; filename="'
		  printf "$1"
		  printf '"\r\n\r\n'; cat "$JPG"; printf -- '\r\n--B--\r\n'; } >"$BATS_TEST_TMPDIR/b"
		curl -sS -H "Content-Type: multipart/form-data; boundary=B" --data-binary "@$BATS_TEST_TMPDIR/b" "$URL/upload"
	}
	run -0 up '../../etc/passwd.jpg'
	[ "$(echo "$output" | json 'd["files"][0]["name"]')" = passwd.jpg ]
	run -0 up '..\\\\..\\\\win.jpg'
	[ "$(echo "$output" | json 'd["files"][0]["name"]')" = win.jpg ]
	run -0 up 'a\r\nX-Evil: 1.jpg'
	[ "$output" = '{"error":"malformed Content-Disposition","status":400}' ]
	run -0 up 'nul\000.jpg'
	[ "$output" = '{"error":"control character in part header","status":400}' ]
	run -0 up '.hidden;$(rm -rf)`x`.jpg'
	[ "$(echo "$output" | json 'd["files"][0]["name"]')" = 'hidden_(rm_-rf)_x_.jpg' ]
	run -0 up "$(head -c 10240 /dev/zero | tr '\0' n)"
	[ "$output" = '{"error":"part header too long","status":400}' ]
	long=$(head -c 300 /dev/zero | tr '\0' n)
	run -0 up "$long"
	[ "$output" = '{"error":"file name too long","status":400}' ]
}

@test "too many files in one request is 413" {
	args=()
	for i in $(seq 17); do args+=(-F "f$i=@$T/red.gif"); done
	run -0 curl -sS "${args[@]}" "$URL/upload"
	[ "$output" = '{"error":"more than 16 files in one request","status":413}' ]
}

@test "GET /jobs/<id>: 404 for an unknown or malformed id" {
	run -0 curl -sS -w ' %{http_code}' "$URL/jobs/0000000000000000000000000a"
	[ "$output" = $'{"error":"no such job","status":404}\n 404' ]
	run -0 curl -sS -w ' %{http_code}' "$URL/jobs/..%2Fetc"
	[ "$output" = $'{"error":"no such job","status":404}\n 404' ]
}

@test "a path that names no job id is a plain 404: not a 503, not logged as an error" {
	# the 503 counter of /metrics ("" while it is zero)
	count503() {
		curl -sS -H "$OP" "$URL/metrics" | sed -n 's/^imgq_recv_requests_total{status="503"} //p'
	}
	local before errs id p
	before=$(count503)
	errs=$(grep -c ': error: ' "$T/srv.err" || true)
	# not base 36, upper case, and a well-formed id no job has
	for id in abc ABC 0123456789abcdefghijklmnop; do
		for p in "" /events /result /result/large; do
			run -0 curl -sS -w ' %{http_code}' "$URL/jobs/$id$p"
			[ "$output" = $'{"error":"no such job","status":404}\n 404' ]
		done
	done
	run -0 curl -sS -X POST -w ' %{http_code}' "$URL/api/dead/abc/requeue"
	[ "$output" = $'{"error":"not found","status":404}\n 404' ]
	[ "$(count503)" = "$before" ]
	[ "$(grep -c ': error: ' "$T/srv.err" || true)" = "$errs" ]
}

@test "events: SSE of the job's states, ending after done; result redirects to a presigned URL" {
	run -0 curl -sS -F "file=@$JPG" "$URL/upload"
	id=$(echo "$output" | json 'd["id"]')
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/jobs/$id/result"
	[ "$output" = 404 ]
	curl -sSN --max-time 20 "$URL/jobs/$id/events" >"$BATS_TEST_TMPDIR/sse" &
	cpid=$!
	wait_until 5 grep -q '^event: queued$' "$BATS_TEST_TMPDIR/sse"
	aws_cli s3 cp --quiet "$JPG" "s3://$AWS_BUCKET_NAME/processed/$id/large.jpg"
	# As a worker would (the queue holds the other tests' jobs before
	# this one, so imgq-pop cannot be made to take it).
	rcli hset "$(qkey job "$id")" state active >/dev/null
	rcli publish "$(qkey events)" "$id active w1" >/dev/null
	wait_until 5 grep -q '^event: active$' "$BATS_TEST_TMPDIR/sse"
	rcli hset "$(qkey job "$id")" state done outputs "processed/$id/large.jpg
processed/$id/thumb.webp" >/dev/null
	rcli publish "$(qkey events)" "$id done " >/dev/null
	wait "$cpid"
	run -0 grep '^event: ' "$BATS_TEST_TMPDIR/sse"
	[ "$output" = "event: queued
event: active
event: done" ]
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/got" -L -w '%{http_code}' "$URL/jobs/$id/result/large"
	[ "$output" = 200 ]
	cmp "$JPG" "$BATS_TEST_TMPDIR/got"
	run -0 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/jobs/$id/result"
	[[ "$output" == "302 $AWS_ENDPOINT_URL/$AWS_BUCKET_NAME/processed/$id/large.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&"*"X-Amz-Expires=300&"* ]]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/jobs/$id/result/nope"
	[ "$output" = 404 ]
}

@test "healthz, metrics, dashboard figures, requeue" {
	run -0 curl -sS -H "$OP" "$URL/healthz"
	[ "$output" = '{"redis":"ok","s3":"ok"}' ]
	run -0 curl -sS "$URL/healthz"
	[ "$output" = '{"ok":true}' ]
	run -0 curl -sS -H "$OP" "$URL/metrics"
	[[ "$output" == *'imgq_recv_requests_total{status="202"} '[1-9]* ]]
	[[ "$output" == *'imgq_queue_depth '[0-9]* ]]
	run -0 curl -sS -H "$OP" "$URL/api/stats"
	[ "$(echo "$output" | json 'd["depth"] > 0 and len(d["recent"]) > 0 and "workers" in d and "jobs_per_minute" in d')" = True ]
	run -0 curl -sS -F "file=@$JPG" "$URL/upload"
	id=$(echo "$output" | json 'd["id"]')
	run -0 curl -sS -H "$OP" -X POST -w ' %{http_code}' "$URL/api/dead/$id/requeue"
	[ "$output" = $'{"error":"the job is not dead","status":409}\n 409' ]
	run -0 curl -sS -H "$OP" -X POST -w ' %{http_code}' "$URL/api/dead/0000000000000000000000000a/requeue"
	[ "$output" = $'{"error":"no such job","status":404}\n 404' ]
	REDIS_URL=redis://127.0.0.1:1/0 run -75 cgi GET /healthz
	[ "${lines[0]}" = "Status: 503 Service Unavailable" ]
	[ "${lines[-1]}" = '{"ok":false}' ]
}

@test "accept loop under imgq-prefork -l: two processes share the socket, ready on -d, replaced after -r" {
	port=$(free_port)
	imgq-prefork -l "127.0.0.1:$port" -n 2 -d 3 -r 3 -- imgq-recv 2>"$BATS_TEST_TMPDIR/pf.err" &
	pf=$!
	wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"
	for i in 1 2 3 4; do
		run -0 curl -sS -F "file=@$JPG" "http://127.0.0.1:$port/upload"
		[ "$(echo "$output" | json 'd["files"][0]["status"]')" = queued ]
	done
	kill -TERM "$pf"
	wait "$pf" || true
	run -0 grep -c '"POST /upload" 202 ' "$BATS_TEST_TMPDIR/pf.err"
	[ "$output" = 4 ]
}

@test "a client that goes away mid-upload leaves no object and no multipart upload" {
	before=$(objects)
	{ cat "$JPG"; head -c 8M /dev/urandom; } >"$BATS_TEST_TMPDIR/big.jpg"
	run -0 "$PY" - "$(cat "$T/port")" "$BATS_TEST_TMPDIR/big.jpg" <<-'EOF'
		import socket, sys
		data = open(sys.argv[2], "rb").read()
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
		s.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (len(data) + 1000))
		s.sendall(data)
		s.close()
		print("gone")
	EOF
	[ "$output" = gone ]
	wait_until 20 grep -q 'upload broken off: client closed the connection mid-body' "$T/srv.err"
	[ "$(mpuploads)" = None ]
	[ "$(objects)" = "$before" ]
}

@test "the web pages' files are served; hidden files, folders and other names are not" {
	run -0 curl -sS -o /dev/null -w '%{http_code} %{content_type}' "$URL/style.css"
	[ "$output" = "200 text/css; charset=utf-8" ]
	run -0 curl -sS -o /dev/null -w '%{http_code} %{content_type}' "$URL/dashboard"
	[ "$output" = "200 text/html; charset=utf-8" ]
	run -0 curl -sS -o /dev/null -w '%{http_code} %{content_type}' "$URL/app.js"
	[ "$output" = "200 text/javascript; charset=utf-8" ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/app.js"
	[ "$output" = 405 ]
	for p in /.hidden /..%2Fsecret /a/b.css /nothing.css /index.sh; do
		run -0 curl -sS --path-as-is -o /dev/null -w '%{http_code}' "$URL$p"
		[ "$output" = 404 ]
	done
}

@test "a body trickled below the minimum rate is cut off with 408 (inetd mode on a socket)" {
	IMGQ_RECV_READ_TIMEOUT=1s IMGQ_RECV_MIN_RATE=1k run -0 --separate-stderr "$PY" - <<-'EOF'
		import os, socket, subprocess, time
		a, b = socket.socketpair()
		p = subprocess.Popen(["imgq-recv"], stdin=b, stdout=b)
		b.close()
		a.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
		answer = b""
		for i in range(60):
		    try:
		        a.send(b"\xff")
		    except OSError:
		        break
		    a.settimeout(0.5)
		    try:
		        answer = a.recv(200)
		        if answer:
		            break
		    except socket.timeout:
		        pass
		print(answer.split(b"\r\n")[0].decode(), p.wait(timeout=10))
	EOF
	[ "$output" = "HTTP/1.1 408 Request Timeout 75" ]
	[ "${stderr_lines[0]}" = "imgq-recv: warning: upload refused: 408 client too slow sending the body" ]
}
