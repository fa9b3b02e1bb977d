#!/usr/bin/env bats
# s3put against the local S3 service: round trips at the sizes around the
# part size, from a file and from a pipe; options; interop; exit codes.

load helpers/common
load helpers/s3tools

PS=5242880	# the part size used here (-p 5m, the S3 minimum)

setup_file() { imgq_setup_file; s3_start; }
teardown_file() { imgq_teardown_file; }

# put_and_check SIZE MODE: MODE file or pipe; asserts the -v line, the
# ETag (one PUT up to the part size, parts beyond) and the bytes back.
put_and_check() {
	local size=$1 mode=$2 f=$BATS_TEST_TMPDIR/in.$1 key=rt/$2-$1
	head -c "$size" /dev/urandom >"$f"
	if [ "$mode" = file ]; then
		run -0 --separate-stderr s3put -v -p 5m "$key" "$f"
	else
		run -0 --separate-stderr sh -c 's3put -v -p 5m "$1" <"$2"' _ "$key" "$f"
	fi
	[ "$output" = "s3://$AWS_BUCKET_NAME/$key $size $(s3_etag "$f" $PS)" ]
	# -v also traces each request on stderr, nothing else.
	[ -z "$(printf '%s\n' "$stderr" | grep -v "^s3put: info: ")" ]
	[[ "$stderr" == *"s3put: info: PUT s3://$AWS_BUCKET_NAME/$key"*" -> 200 in "* ]]
	run -0 s3get "$key" "$BATS_TEST_TMPDIR/out"
	[ "$output" = "" ]
	[ "$(sha256 "$f")" = "$(sha256 "$BATS_TEST_TMPDIR/out")" ]
}

@test "round trip from a file: 0 B" { put_and_check 0 file; }
@test "round trip from a pipe: 0 B" { put_and_check 0 pipe; }
@test "round trip from a file: 1 B" { put_and_check 1 file; }
@test "round trip from a pipe: 1 B" { put_and_check 1 pipe; }
@test "round trip from a file: part size - 1" { put_and_check $((PS - 1)) file; }
@test "round trip from a pipe: part size - 1" { put_and_check $((PS - 1)) pipe; }
@test "round trip from a file: part size (one PUT)" { put_and_check $PS file; }
@test "round trip from a pipe: part size (one PUT)" { put_and_check $PS pipe; }
@test "round trip from a file: part size + 1 (two parts)" { put_and_check $((PS + 1)) file; }
@test "round trip from a pipe: part size + 1 (two parts)" { put_and_check $((PS + 1)) pipe; }
@test "round trip from a file: 100 MiB" { put_and_check $((100 << 20)) file; }
@test "round trip from a pipe: 100 MiB" { put_and_check $((100 << 20)) pipe; }

@test "the AWS CLI reads what s3put wrote: content, type, metadata" {
	printf 'GIF89a\001\000\001\000\200\000\000\377\377\377\000\000\000!\371\004\001\000\000\000\000,\000\000\000\000\001\000\001\000\000\002\002D\001\000;' >"$BATS_TEST_TMPDIR/p.gif"
	run -0 s3put -m owner=imgq -m Job-Id=42 -c 'max-age=60' interop/p.gif "$BATS_TEST_TMPDIR/p.gif"
	[ "$output" = "" ]
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key interop/p.gif \
		--query '[ContentType, CacheControl, Metadata.owner, Metadata."job-id"]' --output text
	[ "$output" = "image/gif	max-age=60	imgq	42" ]
	run -0 aws_cli s3 cp --quiet "s3://$AWS_BUCKET_NAME/interop/p.gif" "$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/p.gif" "$BATS_TEST_TMPDIR/back"
}

@test "-t sets the type; a multipart object keeps type and metadata" {
	head -c $((PS + 100)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	run -0 sh -c 's3put -p 5m -t application/x-test -m a=b mp/obj <"$1"' _ "$BATS_TEST_TMPDIR/big"
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key mp/obj \
		--query '[ContentType, Metadata.a, ContentLength]' --output text
	[ "$output" = "application/x-test	b	$((PS + 100))" ]
}

@test "32 metadata pairs with type and cache control are all stored" {
	set --
	for i in $(seq 1 32); do set -- "$@" -m "m$i=v$i"; done
	echo hi >"$BATS_TEST_TMPDIR/hi"
	run -0 s3put "$@" -t text/plain -c no-cache meta/32 "$BATS_TEST_TMPDIR/hi"
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key meta/32 \
		--query '[length(Metadata), Metadata.m1, Metadata.m32, CacheControl]' --output text
	[ "$output" = "32	v1	v32	no-cache" ]
}

@test "an s3://bucket/key argument names the bucket" {
	echo hi >"$BATS_TEST_TMPDIR/hi"
	run -0 env -u AWS_BUCKET_NAME s3put "s3://$AWS_BUCKET_NAME/named/hi" "$BATS_TEST_TMPDIR/hi"
	run -0 aws_cli s3 cp "s3://$AWS_BUCKET_NAME/named/hi" -
	[ "$output" = hi ]
}

@test "a regular file whose size is not what it holds is refused with 65, nothing stored (single PUT)" {
	# /sys files say 4096 bytes and hold fewer; /proc files say 0 and hold more
	local f=/sys/kernel/mm/transparent_hugepage/enabled
	[ -r "$f" ] || skip "$f is not readable here"
	run -65 --separate-stderr s3put short/k "$f"
	[[ "$stderr" == "s3put: fatal: $f changed size while it was read (4096 bytes when the upload began, "[0-9]*" read): nothing stored" ]]
	[ "$output" = "" ]
	run -66 s3get short/k /dev/null
	run -65 --separate-stderr s3put long/k /proc/self/status
	[ "$stderr" = "s3put: fatal: /proc/self/status changed size while it was read (0 bytes when the upload began, more read): nothing stored" ]
	run -66 s3get long/k /dev/null
	# the same bytes from a pipe are fine
	run -0 sh -c 'cat /proc/self/status | s3put long/k'
}

@test "-n (create-only) refuses an existing key with 1" {
	echo one | s3put once/k
	run -1 --separate-stderr sh -c 'echo two | s3put -n once/k'
	[ "$output" = "" ]
	[ "$stderr" = "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/once/k: the key exists (create-only)" ]
	run -0 s3get once/k
	[ "$output" = one ]
	run -0 sh -c 'echo new | s3put -n once/new'
}

@test "no bucket configured: 78" {
	run -78 --separate-stderr env -u AWS_BUCKET_NAME s3put k /dev/null
	[ "$stderr" = "s3put: fatal: no bucket: set AWS_BUCKET_NAME or name it as s3://bucket/key" ]
}

@test "no credentials: 78" {
	run -78 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY s3put k /dev/null
	[ "$stderr" = "s3put: fatal: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile" ]
}

@test "a wrong secret: 77, the server's string to sign beside ours" {
	run -77 --separate-stderr env AWS_SECRET_ACCESS_KEY=wrong s3put k /dev/null
	[ "$output" = "" ]
	[[ "$stderr" == "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/k: 403 SignatureDoesNotMatch: "* ]]
}

@test "credentials from a shared credentials file profile" {
	cat >"$BATS_TEST_TMPDIR/creds" <<-EOF
	[default]
	aws_access_key_id = nobody
	aws_secret_access_key = nothing
	[imgq]
	aws_access_key_id = $AWS_ACCESS_KEY_ID
	aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
	EOF
	run -0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=imgq \
		AWS_SHARED_CREDENTIALS_FILE="$BATS_TEST_TMPDIR/creds" s3put prof/k /dev/null
	run -78 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=none \
		AWS_SHARED_CREDENTIALS_FILE="$BATS_TEST_TMPDIR/creds" s3put prof/k /dev/null
	[ "$stderr" = "s3put: fatal: profile 'none' not found in $BATS_TEST_TMPDIR/creds or /dev/null" ]
}

@test "endpoint down: 75 within the configured retry time (refused connections are not bounded by -A)" {
	port=$(free_port)
	start=$SECONDS
	run -75 --separate-stderr env AWS_ENDPOINT_URL=http://127.0.0.1:$port \
		s3put -A 3 -R 3s k /dev/null
	[[ "$stderr" =~ ^"s3put: fatal: PUT s3://$AWS_BUCKET_NAME/k: "[^$'\n']*" (gave up after "([0-9]+)" attempts in "[0-9]+" ms)"$ ]]
	[ "${BASH_REMATCH[1]}" -gt 3 ]
	[ $((SECONDS - start)) -le 8 ]
}

@test "a missing input file: 66" {
	run -66 --separate-stderr s3put k "$BATS_TEST_TMPDIR/absent"
	[ "$stderr" = "s3put: fatal: $BATS_TEST_TMPDIR/absent: No such file or directory" ]
}

@test "usage errors: 64" {
	run -64 --separate-stderr s3put
	[ "$stderr" = "usage: s3put [-knUv] [-A attempts] [-C cafile] [-c cache-control] [-j parts] [-m name=value] [-p part-size] [-R retry-time] [-T timeout] [-t type] key [file]
       s3put [-knUv] [-A attempts] [-C cafile] [-c cache-control] [-j parts] [-m name=value] [-p part-size] [-R retry-time] [-T timeout] [-t type] -d prefix file ..." ]
	run -64 --separate-stderr s3put -p 1m k /dev/null
	[ "${stderr%%$'\n'*}" = "s3put: fatal: size 1m is out of range 5242880..5368709120 bytes" ]
	run -64 --separate-stderr s3put -m 'bad name=x' k /dev/null
	[ "$stderr" = "s3put: fatal: bad metadata 'bad name' (names: letters, digits, - and _; values: printable ASCII; at most 32)" ]
}
