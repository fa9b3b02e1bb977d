#!/usr/bin/env bats
# s3get against the local S3 service.

load helpers/common
load helpers/s3tools

setup_file() {
	imgq_setup_file
	s3_start
	printf '0123456789abcdef' >"$BATS_FILE_TMPDIR/hex"
	aws_cli s3 cp --quiet "$BATS_FILE_TMPDIR/hex" "s3://$AWS_BUCKET_NAME/hex"
}

teardown_file() {
	imgq_teardown_file
}

@test "an object to standard output" {
	run -0 s3get hex
	[ "$output" = 0123456789abcdef ]
}

@test "s3get reads what the AWS CLI wrote (multipart too)" {
	head -c 20000000 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	run -0 aws_cli s3 cp --quiet "$BATS_TEST_TMPDIR/big" "s3://$AWS_BUCKET_NAME/cli/big"
	run -0 s3get cli/big "$BATS_TEST_TMPDIR/back"
	[ "$output" = "" ]
	cmp "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/back"
}

@test "a byte range" {
	run -0 s3get -r 10-12 hex
	[ "$output" = abc ]
	run -0 s3get -r 14- hex
	[ "$output" = ef ]
}

@test "a range past the end: 65" {
	run -65 --separate-stderr s3get -r 100-200 hex
	[ "$output" = "" ]
	[[ "$stderr" == "s3get: fatal: GET s3://$AWS_BUCKET_NAME/hex: 416 InvalidRange"* ]]
}

@test "-e with the current ETag: 1 (not modified), with another: the object" {
	etag=$(aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key hex --query ETag --output text)
	run -1 --separate-stderr s3get -e "$etag" hex
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	run -0 s3get -e 0123 hex
	[ "$output" = 0123456789abcdef ]
}

@test "a file is written under a temporary name and renamed when complete" {
	run -0 s3get hex "$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = 0123456789abcdef ]
	run -66 --separate-stderr s3get absent "$BATS_TEST_TMPDIR/out2"
	[ ! -e "$BATS_TEST_TMPDIR/out2" ]
	# nothing half-written is left behind
	run -0 ls -A "$BATS_TEST_TMPDIR"
	[ "$(printf '%s\n' "$output" | grep -c '^out')" = 1 ]
}

@test "a FIFO or a device is written in place, never replaced by a file" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	timeout 20 cat "$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/got" 3>&- &
	run -0 s3get hex "$BATS_TEST_TMPDIR/fifo"
	wait
	[ -p "$BATS_TEST_TMPDIR/fifo" ]
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = 0123456789abcdef ]
	# A null device of the test's own (root makes one: /dev/null itself
	# must never be at stake).
	if [ "$(id -u)" = 0 ]; then
		mknod "$BATS_TEST_TMPDIR/null" c 1 3
		run -0 s3get hex "$BATS_TEST_TMPDIR/null"
		[ -c "$BATS_TEST_TMPDIR/null" ]
	fi
	run -0 ls -A "$BATS_TEST_TMPDIR"
	[ "$(printf '%s\n' "$output" | grep -c s3get)" = 0 ]
}

@test "a missing key: 66" {
	run -66 --separate-stderr s3get no/such/key
	[ "$output" = "" ]
	[ "$stderr" = "s3get: fatal: GET s3://$AWS_BUCKET_NAME/no/such/key: 404 NoSuchKey: The specified key does not exist." ]
}

@test "a missing bucket: 66" {
	run -66 --separate-stderr s3get "s3://imgq-no-such-bucket-$RANDOM/k"
	[[ "$stderr" == "s3get: fatal: GET s3://imgq-no-such-bucket-"*"/k: 404 NoSuchBucket"* ]]
}

@test "a wrong secret: 77" {
	run -77 --separate-stderr env AWS_SECRET_ACCESS_KEY=wrong s3get hex
	[[ "$stderr" == "s3get: fatal: GET s3://$AWS_BUCKET_NAME/hex: 403 SignatureDoesNotMatch: "* ]]
}

@test "no bucket: 78; usage: 64" {
	run -78 --separate-stderr env -u AWS_BUCKET_NAME s3get hex
	[ "$stderr" = "s3get: fatal: no bucket: set AWS_BUCKET_NAME or name it as s3://bucket/key" ]
	run -64 --separate-stderr s3get
	[ "$stderr" = "usage: s3get [-lUv] [-A attempts] [-C cafile] [-e etag] [-r first-[last]] [-R retry-time] [-T timeout] key [file]" ]
	run -64 --separate-stderr s3get -r x hex
	[ "${stderr%%$'\n'*}" = "s3get: fatal: -r takes first-[last]: 'x'" ]
}

@test "the upper-case HTTP_PROXY is ignored" {
	run -0 env HTTP_PROXY=http://127.0.0.1:1 s3get hex
	[ "$output" = 0123456789abcdef ]
}

@test "-vv shows the canonical request and string to sign, never the secret" {
	run -0 --separate-stderr s3get -vv hex
	[ "$output" = 0123456789abcdef ]
	[[ "$stderr" == *"s3get: info: canonical request: /$AWS_BUCKET_NAME/hex"* ]]
	[[ "$stderr" == *"s3get: info: string to sign: AWS4-HMAC-SHA256"* ]]
	[[ "$stderr" != *"$AWS_SECRET_ACCESS_KEY"* ]]
}

@test "a failed local write is 71, fetched once, never 66 or 75" {
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/b"
	run -0 s3put full/b "$BATS_TEST_TMPDIR/b"
	# a full disk
	run -71 --separate-stderr s3get -v full/b /dev/full
	[ "$(echo "$stderr" | tail -n 1)" = "s3get: fatal: write /dev/full: No space left on device" ]
	[ "$(echo "$stderr" | grep -c '^s3get: info: GET ')" -le 1 ]
	run -71 --separate-stderr sh -c 's3get full/b >/dev/full'
	[ "$stderr" = "s3get: fatal: write standard output: No space left on device" ]
	# a missing folder, an unwritable one
	run -71 --separate-stderr s3get full/b "$BATS_TEST_TMPDIR/no/such/dir/f"
	[[ "$stderr" == "s3get: fatal: $BATS_TEST_TMPDIR/no/such/dir/f.s3get."*": No such file or directory" ]]
	# a folder no one may write in, root included
	[ -d /sys/kernel ] || skip "no /sys/kernel here"
	run -71 --separate-stderr s3get full/b /sys/kernel/imgq-test
	[[ "$stderr" == "s3get: fatal: /sys/kernel/imgq-test.s3get."*": Permission denied" ]]
	[ ! -e /sys/kernel/imgq-test ]
}

@test "a file replaced keeps its mode; a symbolic link is replaced only with -l" {
	printf old >"$BATS_TEST_TMPDIR/f"
	chmod 640 "$BATS_TEST_TMPDIR/f"
	run -0 s3get hex "$BATS_TEST_TMPDIR/f"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/f")" = 640 ]
	[ "$(cat "$BATS_TEST_TMPDIR/f")" = 0123456789abcdef ]
	(umask 022 && s3get hex "$BATS_TEST_TMPDIR/new")
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/new")" = 644 ]
	printf target >"$BATS_TEST_TMPDIR/target"
	ln -s target "$BATS_TEST_TMPDIR/link"
	run -64 --separate-stderr s3get hex "$BATS_TEST_TMPDIR/link"
	[ "$stderr" = "s3get: fatal: $BATS_TEST_TMPDIR/link is a symbolic link: not replaced without -l" ]
	[ -L "$BATS_TEST_TMPDIR/link" ]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = target ]
	run -0 s3get -l hex "$BATS_TEST_TMPDIR/link"
	[ ! -L "$BATS_TEST_TMPDIR/link" ]
	[ "$(cat "$BATS_TEST_TMPDIR/link")" = 0123456789abcdef ]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = target ]
}
