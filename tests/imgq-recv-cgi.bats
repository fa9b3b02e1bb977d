#!/usr/bin/env bats
# imgq-recv as CGI behind a real web server from Debian (lighttpd): an
# upload with curl -F ends as an object in the local S3 service and a job
# in Redis; the errors come through with their statuses.

load helpers/common

setup_file() {
	imgq_setup_file
	command -v lighttpd >/dev/null || skip "lighttpd is not installed (scripts/deps)"
	redis_start
	s3_start
	export T=$BATS_FILE_TMPDIR JPG=$CORPUS/opencv_baboon.jpg
	mkdir -p "$T/www"
	port=$(free_port)
	cat >"$T/lighttpd.conf" <<-CONF
		server.modules = ("mod_alias", "mod_cgi", "mod_setenv")
		server.bind = "127.0.0.1"
		server.port = $port
		server.document-root = "$T/www"
		server.errorlog = "$T/error.log"
		server.pid-file = "$T/lighttpd.pid"
		server.stream-request-body = 2
		alias.url = ("/imgq" => "$IMGQ_BIN/imgq-recv")
		\$HTTP["url"] =~ "^/imgq" { cgi.assign = ("" => "") }
		setenv.add-environment = (
			"REDIS_URL" => "$REDIS_URL",
			"AWS_ENDPOINT_URL" => "$AWS_ENDPOINT_URL",
			"AWS_REGION" => "$AWS_REGION",
			"AWS_BUCKET_NAME" => "$AWS_BUCKET_NAME",
			"AWS_ACCESS_KEY_ID" => "$AWS_ACCESS_KEY_ID",
			"AWS_SECRET_ACCESS_KEY" => "$AWS_SECRET_ACCESS_KEY",
			"AWS_CONFIG_FILE" => "/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE" => "/dev/null",
			"AWS_EC2_METADATA_DISABLED" => "true",
			"IMGQ_RECV_MAX_BODY" => "10m",
			"IMGQ_RECV_WWW" => "$IMGQ_TOP/share/www"
		)
	CONF
	lighttpd -f "$T/lighttpd.conf" 2>"$T/start.err" || { cat "$T/start.err" >&2; return 1; }
	export URL=http://127.0.0.1:$port/imgq
	wait_until 10 curl -sf -o /dev/null "$URL/"
}

teardown_file() {
	[ -f "$T/lighttpd.pid" ] && kill "$(cat "$T/lighttpd.pid")" 2>/dev/null
	imgq_teardown_file
}

@test "lighttpd CGI: the upload page" {
	run -0 curl -sS "$URL/"
	[[ "$output" == *"<title>imgq: upload images</title>"* ]]
}

@test "lighttpd CGI: curl -F ends as an object in S3 and a job in Redis" {
	run -0 curl -sS -F "file=@$JPG" "$URL/upload"
	id=$(echo "$output" | json 'd["id"]')
	[ "$(echo "$output" | json 'd["files"][0]["events_url"]')" = "/imgq/jobs/$id/events" ]
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key "uploads/$id.jpg" --query ContentLength
	[ "$output" = "$(stat -c %s "$JPG")" ]
	[ "$(imgq-stat depth)" = 1 ]
	[ "$(field "$id" state)" = queued ]
	run -0 curl -sS "$URL/jobs/$id"
	[ "$(echo "$output" | json 'd["state"], d["type"]')" = "('queued', 'image/jpeg')" ]
}

@test "lighttpd CGI: 415, 404, 405 and 413 come through" {
	run -0 curl -sS -o /dev/null -w '%{http_code}' --data-binary 'plain text' "$URL/upload"
	[ "$output" = 415 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/nope"
	[ "$output" = 404 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL/upload"
	[ "$output" = 405 ]
	head -c 11000000 /dev/zero >"$T/big"
	run -0 curl -sS -o /dev/null -w '%{http_code}' --data-binary "@$T/big" "$URL/upload"
	[ "$output" = 413 ]
}

@test "lighttpd CGI: a Proxy: header reaches nothing" {
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Proxy: http://127.0.0.1:9' -F "file=@$JPG" "$URL/upload"
	[ "$output" = 202 ]
}
