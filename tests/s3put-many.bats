#!/usr/bin/env bats
# s3put -d prefix file...: several files in one process, side by side,
# all or nothing; -k prints the keys stored.

load helpers/common
load helpers/s3tools

setup_file() { imgq_setup_file; s3_start; }
teardown_file() { fp_stop; imgq_teardown_file; }
teardown() { fp_stop; }

# make_files DIR: an image of each common kind, a text and a binary file.
make_files() {
	local d=$1
	mkdir -p "$d"
	printf '\377\330\377\340\000\020JFIF\000\001\001\000\000\001\000\001\000\000' >"$d/a.jpg"
	head -c 3000 /dev/urandom >>"$d/a.jpg"
	printf 'RIFF\044\000\000\000WEBPVP8 \030\000\000\000' >"$d/b.webp"
	head -c 2000 /dev/urandom >>"$d/b.webp"
	printf '\211PNG\r\n\032\n\000\000\000\rIHDR\000\000\000\001\000\000\000\001\010\006\000\000\000' >"$d/c.png"
	printf 'GIF89a\001\000\001\000\200\000\000\377\377\377\000\000\000!\371\004\001\000\000\000\000,\000\000\000\000\001\000\001\000\000\002\002D\001\000;' >"$d/d.gif"
	printf 'just some words\n' >"$d/e.txt"
	: >"$d/f.empty"
}

# stored PREFIX: the keys under PREFIX, one a line.
stored() {
	s3ls "$1"
}

@test "-d stores every file under the prefix with its bytes and its type; -k prints the keys" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	run -0 --separate-stderr s3put -k -d many/1/ "$d/a.jpg" "$d/b.webp" "$d/c.png" "$d/d.gif" "$d/e.txt" "$d/f.empty"
	[ "$output" = "many/1/a.jpg
many/1/b.webp
many/1/c.png
many/1/d.gif
many/1/e.txt
many/1/f.empty" ]
	[ "$stderr" = "" ]
	for f in a.jpg b.webp c.png d.gif e.txt f.empty; do
		run -0 s3get "many/1/$f" "$BATS_TEST_TMPDIR/back"
		cmp "$d/$f" "$BATS_TEST_TMPDIR/back"
		# The type is the one libmagic gives (the images are known
		# by their signatures without it).
		want=$(file -b --mime-type "$d/$f")
		[ "$f" != f.empty ] || want=binary/octet-stream
		run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key "many/1/$f" --query ContentType --output text
		[ "$output" = "$want" ]
	done
}

@test "-d with s3://bucket/prefix, -t, -c and -m apply to every file; -v prints each" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	run -0 --separate-stderr env -u AWS_BUCKET_NAME s3put -v -t application/x-test -c max-age=9 -m job=7 \
		-d "s3://$AWS_BUCKET_NAME/many/2/" "$d/e.txt" "$d/a.jpg"
	[ "$output" = "s3://$AWS_BUCKET_NAME/many/2/e.txt 16 $(s3_etag "$d/e.txt")
s3://$AWS_BUCKET_NAME/many/2/a.jpg $(stat -c %s "$d/a.jpg") $(s3_etag "$d/a.jpg")" ]
	for f in e.txt a.jpg; do
		run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key "many/2/$f" \
			--query '[ContentType, CacheControl, Metadata.job]' --output text
		[ "$output" = "application/x-test	max-age=9	7" ]
	done
}

@test "-d with a bare key prefix and a multipart file among small ones" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	head -c $(((5 << 20) + 1000)) /dev/urandom >"$d/big.bin"
	run -0 s3put -k -p 5m -j 2 -d many/3- "$d/a.jpg" "$d/big.bin" "$d/e.txt"
	[ "$output" = "many/3-a.jpg
many/3-big.bin
many/3-e.txt" ]
	run -0 s3get many/3-big.bin "$BATS_TEST_TMPDIR/back"
	cmp "$d/big.bin" "$BATS_TEST_TMPDIR/back"
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" --key many/3-big.bin --query ETag --output text
	[ "$output" = "\"$(s3_etag "$d/big.bin" $((5 << 20)))\"" ]
}

@test "-d: a missing file is 66 before anything is sent" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	run -66 --separate-stderr s3put -d many/4/ "$d/a.jpg" "$d/absent" "$d/e.txt"
	[ "$output" = "" ]
	[ "$stderr" = "s3put: fatal: $d/absent: No such file or directory" ]
	run -66 --separate-stderr s3put -d many/4/ "$d/a.jpg" "$d"
	[ "$stderr" = "s3put: fatal: $d: is a directory" ]
	run -0 stored many/4/
	[ "$output" = "" ]
}

@test "-d: two files of one base name, or standard input, are usage errors (64)" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	mkdir -p "$d/sub"
	cp "$d/a.jpg" "$d/sub/a.jpg"
	run -64 --separate-stderr s3put -d many/5/ "$d/a.jpg" "$d/e.txt" "$d/sub/a.jpg"
	[ "${stderr%%$'\n'*}" = "s3put: fatal: two files named 'a.jpg'" ]
	run -64 --separate-stderr s3put -d many/5/ "$d/a.jpg" -
	[ "${stderr%%$'\n'*}" = "s3put: fatal: -d stores files, not standard input" ]
	run -64 --separate-stderr s3put -d many/5/
	[ "${stderr%%$'\n'*}" = "usage: s3put [-knUv] [-A attempts] [-C cafile] [-c cache-control] [-j parts] [-m name=value] [-p part-size] [-R retry-time] [-T timeout] [-t type] key [file]" ]
	[ "${stderr#*$'\n'}" = "       s3put [-knUv] [-A attempts] [-C cafile] [-c cache-control] [-j parts] [-m name=value] [-p part-size] [-R retry-time] [-T timeout] [-t type] -d prefix file ..." ]
	run -0 stored many/5/
	[ "$output" = "" ]
}

@test "-k refuses a key with a control character (65), before anything is sent" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	cp "$d/e.txt" "$d/new"$'\n'"line"
	run -65 --separate-stderr s3put -k -d many/6/ "$d/a.jpg" "$d/new"$'\n'"line"
	[ "$output" = "" ]
	[ "$stderr" = "s3put: fatal: key 'many/6/new\\nline' has a control character (-k prints keys as lines)" ]
	run -0 stored many/6/
	[ "$output" = "" ]
	# Without -k such a key is stored as named.
	run -0 s3put -d many/6/ "$d/new"$'\n'"line"
	run -0 stored many/6/
	[ "$output" = 'many/6/new\nline' ]
}

@test "one upload failing mid-way: the others are removed again, its exit code is the one" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	fp_start --slowdown 100 --match /many/7/c.png
	run -75 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" \
		s3put -k -A 2 -d many/7/ "$d/a.jpg" "$d/b.webp" "$d/c.png" "$d/d.gif"
	[ "$output" = "" ]
	[ "$stderr" = "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/many/7/c.png: 503 SlowDown: Please reduce your request rate. (gave up after 2 attempts)" ]
	[ "$(grep -c "^PUT /$AWS_BUCKET_NAME/many/7/c.png slowdown$" "$FP_LOG")" = 2 ]
	# What was stored before the failure was deleted in one request.
	[ "$(grep -c "^POST /$AWS_BUCKET_NAME?delete" "$FP_LOG")" = 1 ]
	run -0 stored many/7/
	[ "$output" = "" ]
}

@test "a failure aborts a multipart upload in progress: nothing half-made stays" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	head -c $((11 << 20)) /dev/urandom >"$d/big.bin"
	fp_start --slowdown 100 --match /many/8/a.jpg
	run -75 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" \
		s3put -A 2 -p 5m -j 4 -d many/8/ "$d/a.jpg" "$d/big.bin" "$d/e.txt"
	[ "$stderr" = "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/many/8/a.jpg: 503 SlowDown: Please reduce your request rate. (gave up after 2 attempts)" ]
	run -0 aws_cli s3api list-multipart-uploads --bucket "$AWS_BUCKET_NAME" --prefix many/8/ --query 'length(Uploads || `[]`)'
	[ "$output" = 0 ]
	run -0 stored many/8/
	[ "$output" = "" ]
}

@test "-n with -d: an existing key is 1, the others removed, the existing one kept" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	echo old | s3put many/9/e.txt
	run -1 --separate-stderr s3put -n -d many/9/ "$d/a.jpg" "$d/e.txt" "$d/d.gif"
	[ "$stderr" = "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/many/9/e.txt: the key exists (create-only)" ]
	run -0 stored many/9/
	[ "$output" = "many/9/e.txt" ]
	run -0 s3get many/9/e.txt
	[ "$output" = old ]
}

@test "-k in the single-file form prints the key" {
	echo x >"$BATS_TEST_TMPDIR/x"
	run -0 s3put -k many/10/x "$BATS_TEST_TMPDIR/x"
	[ "$output" = many/10/x ]
}

@test "of two failures, a halt (77) wins over an earlier retry (75); both are reported" {
	d=$BATS_TEST_TMPDIR/in
	make_files "$d"
	fp_start --slowdown 100 --match /many/11/c.png --deny 100 --deny-match /many/11/d.gif --deny-delay 1000
	run -77 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" \
		s3put -A 1 -j 4 -d many/11/ "$d/a.jpg" "$d/d.gif" "$d/c.png"
	[ "$output" = "" ]
	[ "$stderr" = "s3put: error: PUT s3://$AWS_BUCKET_NAME/many/11/c.png: 503 SlowDown: Please reduce your request rate. (gave up after 1 attempts)
s3put: fatal: PUT s3://$AWS_BUCKET_NAME/many/11/d.gif: 403 AccessDenied: Access Denied." ]
	run -0 stored many/11/
	[ "$output" = "" ]
}
