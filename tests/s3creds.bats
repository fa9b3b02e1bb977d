#!/usr/bin/env bats
# The credential chain of the S3 tools: environment, shared files,
# container credentials, instance metadata (IMDSv2), against a double of
# those endpoints (tests/helpers/credserver.py) and the local S3 service.

load helpers/common
load helpers/credserver

setup_file() {
	imgq_setup_file
	s3_start
	cred_start
}

teardown_file() {
	cred_stop
	imgq_teardown_file
}

# Runs a tool with no credentials in the environment or files.
bare() {
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "$@"
}

@test "container credentials, with the authorization token" {
	run -0 bare AWS_CONTAINER_CREDENTIALS_FULL_URI="$CRED_URL/creds" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer sesame" s3get cred/k
	[ "$output" = x ]
	printf 'Bearer sesame\n' >"$BATS_TEST_TMPDIR/tok"
	run -0 bare AWS_CONTAINER_CREDENTIALS_FULL_URI="$CRED_URL/creds" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$BATS_TEST_TMPDIR/tok" s3get cred/k
	[ "$output" = x ]
}

@test "container credentials refused: 78, naming the endpoint" {
	run -78 --separate-stderr bare AWS_CONTAINER_CREDENTIALS_FULL_URI="$CRED_URL/creds" s3get cred/k
	[ "$stderr" = "s3get: fatal: no credentials: $CRED_URL/creds: HTTP 401" ]
}

@test "instance metadata with an IMDSv2 token" {
	: >"$CRED_LOG"
	run -0 bare AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$CRED_URL" s3get cred/k
	[ "$output" = x ]
	[ "$(cat "$CRED_LOG")" = "PUT /latest/api/token 200
GET /latest/meta-data/iam/security-credentials/ 200
GET /latest/meta-data/iam/security-credentials/imgq-role 200" ]
}

@test "AWS_EC2_METADATA_DISABLED ends the chain: 78" {
	: >"$CRED_LOG"
	run -78 --separate-stderr bare AWS_EC2_METADATA_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT="$CRED_URL" s3get cred/k
	[ "$stderr" = "s3get: fatal: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile" ]
	[ ! -s "$CRED_LOG" ]
}

@test "instance metadata that does not answer: 78 within its short timeout" {
	port=$(free_port)
	start=$SECONDS
	run -78 --separate-stderr bare AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$port s3get cred/k
	[[ "$stderr" == "s3get: fatal: no credentials: http://127.0.0.1:$port/latest/api/token: "* ]]
	[ $((SECONDS - start)) -le 3 ]
}

@test "the config file's profile gives keys and region" {
	cat >"$BATS_TEST_TMPDIR/config" <<-EOF
	[profile other]
	region = us-east-1
	aws_access_key_id = $AWS_ACCESS_KEY_ID
	aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
	EOF
	run -0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION -u AWS_DEFAULT_REGION \
		AWS_PROFILE=other AWS_CONFIG_FILE="$BATS_TEST_TMPDIR/config" s3get cred/k
	[ "$output" = x ]
}

@test "only one of the two key variables: 78" {
	run -78 --separate-stderr env -u AWS_SECRET_ACCESS_KEY s3get cred/k
	[ "$stderr" = "s3get: fatal: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together" ]
}

@test "IMGQ_S3_CREDENTIALS_FILE: the keys from the file alone" {
	f=$BATS_TEST_TMPDIR/handed
	printf '{"AccessKeyId":"%s","SecretAccessKey":"%s","Expiration":"2999-01-01T00:00:00Z"}\n' \
		"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$f"
	: >"$CRED_LOG"
	run -0 bare AWS_CONTAINER_CREDENTIALS_FULL_URI="$CRED_URL/creds" IMGQ_S3_CREDENTIALS_FILE="$f" s3get cred/k
	[ "$output" = x ]
	[ ! -s "$CRED_LOG" ]	# the chain was not asked
	# the file wins over keys in the environment
	printf '{"AccessKeyId":"%s","SecretAccessKey":"wrong"}\n' "$AWS_ACCESS_KEY_ID" >"$f"
	run -77 --separate-stderr env IMGQ_S3_CREDENTIALS_FILE="$f" IMGQ_S3_ATTEMPTS=1 s3get cred/k
	[[ "$stderr" == "s3get: fatal: GET s3://$AWS_BUCKET_NAME/cred/k: 403 "* ]]
}

@test "IMGQ_S3_CREDENTIALS_FILE in its last five minutes: read again before the request (imgq-pop replaces it by then)" {
	[ -z "${IMGQ_SAN:-}" ] || skip "strace and the sanitizer runtime do not mix"
	f=$BATS_TEST_TMPDIR/handed
	printf '{"AccessKeyId":"%s","SecretAccessKey":"%s","Expiration":"%s"}\n' \
		"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$(date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)" >"$f"
	run -0 bare IMGQ_S3_CREDENTIALS_FILE="$f" strace -f -qq -e trace=openat -o "$BATS_TEST_TMPDIR/trace" s3get cred/k
	[ "$output" = x ]
	[ "$(grep -c "\"$f\"" "$BATS_TEST_TMPDIR/trace")" = 2 ]
	# a day away: read once
	printf '{"AccessKeyId":"%s","SecretAccessKey":"%s","Expiration":"%s"}\n' \
		"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)" >"$f"
	run -0 bare IMGQ_S3_CREDENTIALS_FILE="$f" strace -f -qq -e trace=openat -o "$BATS_TEST_TMPDIR/trace" s3get cred/k
	[ "$output" = x ]
	[ "$(grep -c "\"$f\"" "$BATS_TEST_TMPDIR/trace")" = 1 ]
}

@test "IMGQ_S3_CREDENTIALS_FILE missing or without keys: 78; expired: 77" {
	f=$BATS_TEST_TMPDIR/handed
	run -78 --separate-stderr env IMGQ_S3_CREDENTIALS_FILE="$f" s3get cred/k
	[ "$stderr" = "s3get: fatal: credentials file $f: No such file or directory" ]
	echo '{"Code":"Success"}' >"$f"
	run -78 --separate-stderr env IMGQ_S3_CREDENTIALS_FILE="$f" s3put cred/k2 "$f"
	[ "$stderr" = "s3put: fatal: credentials file $f: no AccessKeyId and SecretAccessKey" ]
	printf '{"AccessKeyId":"%s","SecretAccessKey":"%s","Token":"t","Expiration":"2020-01-02T03:04:05Z"}\n' \
		"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$f"
	run -77 --separate-stderr env IMGQ_S3_CREDENTIALS_FILE="$f" s3get cred/k
	[ "$stderr" = "s3get: fatal: credentials file $f: expired at 2020-01-02T03:04:05Z" ]
}
