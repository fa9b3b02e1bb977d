#!/usr/bin/env bats
# s3url: presigned URLs that curl can use, until they expire.

load helpers/common
load helpers/s3tools

setup_file() {
	imgq_setup_file
	s3_start
	printf 'signed content' | s3put 'url/a b+c'
}

teardown_file() {
	imgq_teardown_file
}

@test "curl fetches a presigned GET URL" {
	run -0 s3url -e 60 'url/a b+c'
	url=$output
	[[ "$url" == "$AWS_ENDPOINT_URL/$AWS_BUCKET_NAME/url/a%20b%2Bc?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="* ]]
	run -0 curl -sS -f "$url"
	[ "$output" = "signed content" ]
}

@test "a URL signed as of an earlier time fails once expired" {
	run -0 s3url -e 2 -t $(( $(date +%s) - 60 )) 'url/a b+c'
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$output"
	[ "$output" = 403 ]
}

@test "a URL that expires while we wait stops working" {
	run -0 s3url -e 1 'url/a b+c'
	url=$output
	expired() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 403 ]; }
	wait_until 10 expired
}

@test "-t makes the URL reproducible; the secret never appears" {
	run -0 s3url -t 20150830T123600Z -e 3600 k
	first=$output
	run -0 s3url -t 1440938160 -e 3600 k
	[ "$output" = "$first" ]
	[[ "$output" == *"X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature="* ]]
	[[ "$output" != *"$AWS_SECRET_ACCESS_KEY"* ]]
}

@test "a presigned PUT URL stores an object" {
	run -0 s3url -m PUT -e 60 url/put
	printf 'via curl' >"$BATS_TEST_TMPDIR/b"
	run -0 curl -sS -f -T "$BATS_TEST_TMPDIR/b" "$output"
	run -0 s3get url/put
	[ "$output" = "via curl" ]
}

@test "a session token goes into the URL" {
	run -0 env AWS_SESSION_TOKEN='tok/en+=' s3url -t 20150830T123600Z k
	[[ "$output" == *"&X-Amz-Security-Token=tok%2Fen%2B%3D&"* ]]
}

@test "keys with dots are signed as sent (no normalisation)" {
	printf dots | s3put 'url/../x'
	run -0 s3url 'url/../x'
	run -0 curl --path-as-is -sS -f "$output"
	[ "$output" = dots ]
}

@test "exit codes: 64 usage, 78 configuration" {
	run -64 --separate-stderr s3url
	[ "$stderr" = "usage: s3url [-v] [-e seconds] [-m GET|PUT] [-t time] key" ]
	run -64 --separate-stderr s3url -e 604801 k
	[ "${stderr%%$'\n'*}" = "s3url: fatal: 604801 is out of range 1..604800" ]
	run -64 --separate-stderr s3url -m POST k
	[ "${stderr%%$'\n'*}" = "s3url: fatal: -m takes GET or PUT" ]
	run -78 --separate-stderr env -u AWS_BUCKET_NAME s3url k
	[ "$stderr" = "s3url: fatal: no bucket: set AWS_BUCKET_NAME or name it as s3://bucket/key" ]
}

@test "a key over 1024 bytes is refused with 64, as s3put and s3get refuse it" {
	local k
	k=$(head -c 1025 /dev/zero | tr '\0' k)
	run -64 --separate-stderr s3url "$k"
	[ "$stderr" = "s3url: fatal: a key is 1 to 1024 bytes" ]
	[ "$output" = "" ]
	run -64 --separate-stderr s3get "$k"
	[ "$stderr" = "s3get: fatal: a key is 1 to 1024 bytes" ]
	run -0 s3url "${k:1}"
}
