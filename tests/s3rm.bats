#!/usr/bin/env bats
# s3rm against the local S3 service: named keys, batches read from
# standard input in the form s3ls prints, exit codes.

load helpers/common

setup_file() { imgq_setup_file; s3_start; }
teardown_file() { imgq_teardown_file; }

@test "named keys are deleted, several in one request" {
	for k in a b 'c d'; do echo "$k" | s3put "named/$k"; done
	run -0 --separate-stderr s3rm -v named/a "named/c d"
	[ "$output" = "" ]
	[[ "$stderr" == "s3rm: info: POST s3://$AWS_BUCKET_NAME/ -> 200 in "* ]]
	run -0 s3ls named/
	[ "$output" = named/b ]
	run -0 s3rm named/b
	run -0 s3ls named/
	[ "$output" = "" ]
}

@test "more than 1000 keys: listed over pages, deleted in batches" {
	seq -f 'many/%04g' 1 1005 | while read -r k; do printf '%s\n' "$k"; done >"$BATS_TEST_TMPDIR/keys"
	# created in parallel with the AWS CLI's sync (one folder of files)
	mkdir "$BATS_TEST_TMPDIR/many"
	(cd "$BATS_TEST_TMPDIR/many" && seq -f '%04g' 1 1005 | xargs touch)
	run -0 aws_cli s3 sync --quiet "$BATS_TEST_TMPDIR/many" "s3://$AWS_BUCKET_NAME/many"
	run -0 s3ls many/
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/keys")" ]
	run -0 sh -c 's3ls many/ | s3rm -'
	[ "$output" = "" ]
	run -0 s3ls many/
	[ "$output" = "" ]
}

@test "s3rm: a missing key is no error; a bad escape on stdin is 65" {
	run -0 s3rm no/such/key
	[ "$output" = "" ]
	run -65 --separate-stderr sh -c 'printf "ok\nbad\\\\q\n" | s3rm -'
	[ "$stderr" = "s3rm: fatal: standard input, line 2: bad escape \\q in a key" ]
}

@test "keys of two buckets at once: 64" {
	run -64 --separate-stderr s3rm a s3://other-bucket/b
	[ "${stderr%%$'\n'*}" = "s3rm: fatal: keys of one bucket only" ]
}

@test "exit codes: 64 usage, 77 refused, 78 no bucket, 66 no such bucket" {
	run -64 --separate-stderr s3rm
	[ "$stderr" = "usage: s3rm [-Uv] [-A attempts] [-C cafile] [-R retry-time] [-T timeout] key ... | - | -u prefix ..." ]
	run -77 --separate-stderr env AWS_SECRET_ACCESS_KEY=wrong s3rm k
	[[ "$stderr" == "s3rm: fatal: DELETE s3://$AWS_BUCKET_NAME/k: 403 SignatureDoesNotMatch"* ]]
	run -78 --separate-stderr env -u AWS_BUCKET_NAME s3rm k
	[ "$stderr" = "s3rm: fatal: no bucket: set AWS_BUCKET_NAME or name it as s3://bucket/key" ]
	run -66 --separate-stderr s3rm "s3://imgq-no-such-bucket-$RANDOM/k"
	[[ "$stderr" == "s3rm: fatal: DELETE s3://imgq-no-such-bucket-"*"/k: 404 NoSuchBucket"* ]]
}
