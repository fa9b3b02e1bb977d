#!/usr/bin/env bats
# s3ls (and s3rm) against the local S3 service: listing with prefixes and
# delimiters; every printable ASCII character and UTF-8 in
# keys, put, listed, read and deleted.

load helpers/common
load helpers/s3tools

setup_file() { imgq_setup_file; s3_start; }
teardown_file() { imgq_teardown_file; }

@test "keys in order, with a prefix, a delimiter, and -l" {
	for k in d/a d/b d/sub/c e; do echo "$k" | s3put "$k"; done
	run -0 s3ls
	[ "$output" = "d/a
d/b
d/sub/c
e" ]
	run -0 s3ls d/
	[ "$output" = "d/a
d/b
d/sub/c" ]
	run -0 s3ls -d / d/
	[ "$output" = "d/a
d/b
d/sub/" ]
	run -0 s3ls -n 2
	[ "$output" = "d/a
d/b" ]
	run -0 s3ls -l e
	[[ "$output" =~ ^2\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ \"[0-9a-f]{32}\"\ e$ ]]
	run -0 s3ls -l -d / d/s
	[ "$output" = "PRE d/sub/" ]
}

@test "every printable ASCII character and UTF-8: put, ls, get, rm" {
	keys=()
	for c in ' ' '!' '"' '#' '$' '%' '&' "'" '(' ')' '*' '+' ',' '-' '.' '/' \
	    0 9 ':' ';' '<' '=' '>' '?' '@' A Z '[' '\' ']' '^' '_' '`' a z \
	    '{' '|' '}' '~'; do
		keys+=("p/k${c}x")
	done
	keys+=("p/$(printf ' !"#$%%&'\''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~')")
	keys+=("p/a b+c%20d" "p/../up" "p/.//double//slash" "p/ünïcödé ☃ 日本語" "p/%2F%" "p/trailing/")
	for k in "${keys[@]}"; do
		printf '%s' "$k" | s3put "$k" || return 1
	done
	for k in "${keys[@]}"; do
		run -0 s3get "$k"
		[ "$output" = "$k" ] || { echo "key: $k got: $output"; return 1; }
	done
	want=$(printf '%s\n' "${keys[@]}" | sed 's/\\/\\\\/g' | LC_ALL=C sort)
	run -0 s3ls p/
	[ "$output" = "$want" ]
	run -0 aws_cli s3api list-objects-v2 --bucket "$AWS_BUCKET_NAME" --prefix p/ --query 'length(Contents)'
	[ "$output" = "${#keys[@]}" ]
	run -0 s3rm "${keys[@]:0:3}"
	run -0 sh -c 's3ls p/ | s3rm -'
	run -0 s3ls p/
	[ "$output" = "" ]
}

@test "control characters in keys are escaped, one key a line, and s3rm - reads them back" {
	k=$'c/new\nline\ttab\\back\001'
	printf x | s3put "$k"
	run -0 s3ls c/
	[ "$output" = 'c/new\nline\ttab\\back\x01' ]
	run -0 s3get "$k"
	[ "$output" = x ]
	run -0 sh -c 's3ls c/ | s3rm -'
	run -0 s3ls c/
	[ "$output" = "" ]
}

@test "s3ls exit codes: 64, 77, 78, 66" {
	run -64 --separate-stderr s3ls a b
	[ "$stderr" = "usage: s3ls [-luUv] [-A attempts] [-C cafile] [-d delimiter] [-n max-keys] [-R retry-time] [-T timeout] [prefix]" ]
	run -77 --separate-stderr env AWS_SECRET_ACCESS_KEY=wrong s3ls
	[[ "$stderr" == "s3ls: fatal: GET s3://$AWS_BUCKET_NAME/: 403 SignatureDoesNotMatch"* ]]
	run -78 --separate-stderr env -u AWS_BUCKET_NAME s3ls
	[ "$stderr" = "s3ls: fatal: no bucket: set AWS_BUCKET_NAME or name it as s3://bucket/key" ]
	run -66 --separate-stderr s3ls "s3://imgq-no-such-bucket-$RANDOM/"
	[[ "$stderr" == "s3ls: fatal: GET s3://imgq-no-such-bucket-"*": 404 NoSuchBucket"* ]]
}
