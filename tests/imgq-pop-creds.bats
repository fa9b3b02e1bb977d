#!/usr/bin/env bats
# imgq-pop and the S3 credentials of its jobs: resolved once by imgq-pop
# with the S3 tools' chain, refreshed before they expire, handed to each
# job in a file (tests/helpers/credserver.py doubles the container
# endpoint).

load helpers/common
load helpers/credserver

setup_file() {
	imgq_setup_file
	redis_start
	s3_start
	cred_start
}

teardown_file() {
	cred_stop
	imgq_teardown_file
}

setup() {
	export IMGQ_QUEUE=creds$BATS_TEST_NUMBER
	: >"$CRED_LOG"
}

# imgq-pop with the container endpoint as its only source of credentials.
pop_container() { # path imgq-pop-args...
	local p=$1
	shift
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
		AWS_CONTAINER_CREDENTIALS_FULL_URI="$CRED_URL$p" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer sesame" imgq-pop "$@"
}

@test "container credentials: imgq-pop asks once, the jobs' S3 tools never" {
	for i in 1 2 3; do imgq-push a.png >/dev/null; done
	run -0 --separate-stderr pop_container /creds -n 3 -w 10s sh -c 's3get cred/k >&2'
	[ "$stderr" = "x
x
x" ]
	[ "$(cat "$CRED_LOG")" = "GET /creds 200" ]
	[ "$(imgq-stat depth)" = 0 ]
}

@test "credentials that expire within 15 minutes are fetched again, at most every 30 seconds" {
	for i in 1 2 3; do imgq-push a.png >/dev/null; done
	run -0 --separate-stderr pop_container /creds-soon -v -n 3 -w 10s sh -c 's3get cred/k >&2'
	[ "$(grep -c '^x$' <<<"$stderr")" = 3 ]
	[ "$(grep -c 'S3 credentials refreshed' <<<"$stderr")" = 1 ]
	[ "$(cat "$CRED_LOG")" = "GET /creds-soon 200
GET /creds-soon 200" ]
}

@test "a credential source that fails is a warning, and the jobs get no credentials" {
	id=$(imgq-push a.png)
	run -0 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		AWS_CONTAINER_CREDENTIALS_FULL_URI="$CRED_URL/creds" imgq-pop sh -c 'echo "${IMGQ_S3_CREDENTIALS_FILE-none}" >&2'
	[ "$stderr" = "imgq-pop: warning: S3 credentials: no credentials: $CRED_URL/creds: HTTP 401; jobs get none
none" ]
	[ "$(field "$id" state)" = done ]
}
