#!/usr/bin/env bats
# imgq-work and imgq-reprocess: the default worker pipeline and batch
# reprocessing, against the real Redis and S3 service.

load helpers/common

setup_file() {
	imgq_setup_file
	redis_start
	s3_start
	export IMGQ_PRESETS=$BATS_FILE_TMPDIR/presets
	cp "$IMGQ_TOP/etc/presets" "$IMGQ_PRESETS"
}

teardown_file() {
	imgq_teardown_file
}

setup() {
	export IMGQ_QUEUE=work$BATS_TEST_NUMBER	# a queue of each test's own
}

ID=0000000000aaaaaaaaaaaaaaaa	# a well-formed job id of no job

# upload FILE ID: store an original as imgq-recv would, print nothing
upload() {
	s3put "uploads/$2.${1##*.}" "$1"
}

info() { # key: the format and size of an object
	s3get "$1" "$BATS_TEST_TMPDIR/obj" &&
		imgq-resize -i "$BATS_TEST_TMPDIR/obj" | cut -d' ' -f1-3
}

@test "a job makes every variant under processed/<id>/ and records the keys" {
	upload "$CORPUS/Dragonfly_by_Bolly_orient6_1200x900.jpg" w1
	id=$(imgq-push uploads/w1.jpg)
	run -0 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = done ]
	[ "$(field "$id" outputs)" = "processed/w1/large.jpg
processed/w1/thumb.webp" ]
	# Orientation 6: 1200x900 stored sideways, upright is 900 wide.
	run -0 info processed/w1/large.jpg
	[ "$output" = "format=jpeg width=768 height=1024" ]
	run -0 info processed/w1/thumb.webp
	[ "$output" = "format=webp width=192 height=256" ]
}

@test "a repeated job writes identical objects" {
	upload "$CORPUS/opencv_baboon.jpg" w2
	imgq-push uploads/w2.jpg >/dev/null
	run -0 imgq-pop -w 10s -- imgq-work
	a=$(s3ls -l processed/w2/ | awk '{print $NF}')
	imgq-push uploads/w2.jpg >/dev/null
	run -0 imgq-pop -w 10s -- imgq-work
	b=$(s3ls -l processed/w2/ | awk '{print $NF}')
	[ -n "$a" ]
	[ "$a" = "$b" ]
}

@test "a corrupt image is a reject: dead with the reason, no variant stored" {
	head -c 20000 "$CORPUS/opencv_baboon.jpg" >"$BATS_TEST_TMPDIR/cut.jpg"
	upload "$BATS_TEST_TMPDIR/cut.jpg" w3
	id=$(imgq-push uploads/w3.jpg)
	run -0 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = dead ]
	[ "$(field "$id" exit)" = 65 ]
	[ "$(field "$id" attempts)" = 1 ]
	[[ "$(field "$id" stderr)" == "imgq-resize: fatal: "* ]]
	run -0 field "$id" error
	[ "$output" = "exit 65 (EX_DATAERR): imgq-resize: fatal: decoding jpeg: Premature end of JPEG file" ]
	run -0 s3ls processed/w3/
	[ "$output" = "" ]
}

@test "a text file is refused before any decoder sees it" {
	echo "just text" >"$BATS_TEST_TMPDIR/t.jpg"
	upload "$BATS_TEST_TMPDIR/t.jpg" w4
	id=$(imgq-push uploads/w4.jpg)
	run -0 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = dead ]
	[ "$(field "$id" exit)" = 65 ]
	run -0 imgq-stat dead
	[[ "$output" == *"	1	exit 65 (EX_DATAERR): imgq-resize: fatal: not an image: text" ]]
}

@test "a missing original is a reject (66)" {
	id=$(imgq-push uploads/nothere.jpg)
	run -0 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = dead ]
	[ "$(field "$id" exit)" = 66 ]
}

@test "S3 unreachable is a retry (75), the job waits for its next attempt" {
	upload "$CORPUS/opencv_baboon.jpg" w5
	id=$(imgq-push uploads/w5.jpg)
	port=$(free_port)
	AWS_ENDPOINT_URL=http://127.0.0.1:$port IMGQ_S3_RETRY_TIME=2s IMGQ_S3_ATTEMPTS=2 \
		run -0 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = retry ]
	[ "$(field "$id" exit)" = 75 ]
}

@test "refused credentials halt the worker and leave the job queued" {
	upload "$CORPUS/opencv_baboon.jpg" w6
	id=$(imgq-push uploads/w6.jpg)
	AWS_SECRET_ACCESS_KEY=wrong run -77 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = queued ]
	[ "$(imgq-stat depth)" = 1 ]
	# and the next worker with the right secret does it
	run -0 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = done ]
}

@test "imgq-work alone: no job is a usage error, no bucket a config error" {
	run -64 imgq-work
	[ "$output" = "imgq-work: fatal: IMGQ_JOB_ID is not set (run under imgq-pop)" ]
	IMGQ_JOB_ID=$ID IMGQ_SRC=uploads/x.jpg IMGQ_BUCKET= AWS_BUCKET_NAME= run -78 imgq-work
	[ "$output" = "imgq-work: fatal: no bucket: the job has none and AWS_BUCKET_NAME is not set" ]
	IMGQ_JOB_ID='a/b' IMGQ_SRC=uploads/x.jpg run -65 imgq-work
	[ "$output" = "imgq-work: fatal: IMGQ_JOB_ID is not a job id (26 of [0-9a-z])" ]
	IMGQ_JOB_ID=$ID IMGQ_SRC=uploads/x.jpg IMGQ_PRESETS=/nonexistent run -78 imgq-work
	[ "$output" = "imgq-work: fatal: no presets file (set IMGQ_PRESETS)" ]
}

@test "no temporary file is left behind, under imgq-pop or alone, done or failed" {
	upload "$CORPUS/opencv_baboon.jpg" w7
	head -c 20000 "$CORPUS/opencv_baboon.jpg" >"$BATS_TEST_TMPDIR/cut.jpg"
	upload "$BATS_TEST_TMPDIR/cut.jpg" w8
	export TMPDIR=$BATS_TEST_TMPDIR/scratch
	mkdir "$TMPDIR"
	ok=$(imgq-push uploads/w7.jpg)
	bad=$(imgq-push uploads/w8.jpg)
	run -0 imgq-pop -n 2 -w 10s -- imgq-work
	[ "$(field "$ok" state)" = done ]
	[ "$(field "$bad" state)" = dead ]
	[ "$(ls -A "$TMPDIR")" = "" ]
	# Alone, with a folder of its own.
	IMGQ_JOB_ID=$ok IMGQ_SRC=uploads/w7.jpg run -0 imgq-work
	[ "$output" = "processed/w7/large.jpg
processed/w7/thumb.webp" ]
	[ "$(ls -A "$TMPDIR")" = "" ]
	IMGQ_JOB_ID=$bad IMGQ_SRC=uploads/w8.jpg run -65 imgq-work
	[[ "$output" == "imgq-resize: fatal: "* ]]
	[ "$(ls -A "$TMPDIR")" = "" ]
}

@test "imgq-work takes as a job id what the library takes, and nothing else" {
	# The library's verdict: imgq-watch checks ids with job_id_valid
	# before it needs Redis (64 for a bad id, then 78 for no REDIS_URL).
	for id in 0123456789abcdefghijklmnop 00000000000000000000000000 \
	    zzzzzzzzzzzzzzzzzzzzzzzzzz 0123456789abcdefghijklmno \
	    0123456789abcdefghijklmnopq 0123456789abcdefghijklmnoP \
	    0123456789abcdefghijklmn_p 0123456789abcdefghijklmn-p \
	    '0123456789abcdefghijklm/op' '0123456789abcdefghijklmn p' \
	    'é123456789abcdefghijklmno' x; do
		REDIS_URL= run imgq-watch -- "$id"
		case $status in
		78) lib=good ;;
		64) lib=bad ;;
		*) echo "imgq-watch $id: $status"; false ;;
		esac
		IMGQ_JOB_ID=$id IMGQ_SRC= run -65 imgq-work
		case $output in
		"imgq-work: fatal: job $id has no src") script=good ;;
		"imgq-work: fatal: IMGQ_JOB_ID is not a job id (26 of [0-9a-z])") script=bad ;;
		*) echo "imgq-work $id: $output"; false ;;
		esac
		echo "$id: library $lib, imgq-work $script"
		[ "$lib" = "$script" ]
		case $id in
		0123456789abcdefghijklmnop | 0000000000* | zzzzzzzzzz*) [ "$lib" = good ] ;;
		*) [ "$lib" = bad ] ;;
		esac
	done
}

@test "imgq-work -n names the output folder of a source" {
	run -0 imgq-work -n <<<"uploads/01abc.jpg
photos/x y.jpg"
	[ "${lines[0]}" = 01abc ]
	[ "${lines[1]}" = "$(printf '%s/photos/x y.jpg' "$AWS_BUCKET_NAME" | sha256sum | cut -c1-26)" ]
}

# A bucket and queue of their own for the reprocessing tests: two good
# originals and one corrupt.
reprocess_setup() {
	AWS_BUCKET_NAME=$(s3_new_bucket)
	export AWS_BUCKET_NAME IMGQ_QUEUE=reproc$BATS_TEST_NUMBER
	upload "$CORPUS/opencv_baboon.jpg" r1
	upload "$CORPUS/skimage_astronaut_256.png" r2
	head -c 5000 "$CORPUS/opencv_baboon.jpg" >"$BATS_TEST_TMPDIR/cut.jpg"
	upload "$BATS_TEST_TMPDIR/cut.jpg" r3
}

@test "imgq-reprocess: queues what is missing, nothing twice; a new preset regenerates every variant" {
	reprocess_setup
	run -0 imgq-reprocess -v uploads/
	[ "${#lines[@]}" = 4 ]
	[ "${lines[3]}" = "imgq-reprocess: 3 sources, 0 done, 0 rejected, 3 queued" ]
	r3=$(sed -n 3p <<<"$output")
	run -0 imgq-pop -n 3 -w 10s -- imgq-work
	[ "$(imgq-stat depth)" = 0 ]
	# r3 is corrupt: dead, so still missing, but rejected: not queued
	# again (it would only die again); r1 and r2 are complete.
	why="exit 65 (EX_DATAERR): imgq-resize: fatal: decoding jpeg: Premature end of JPEG file"
	run -0 imgq-reprocess -n uploads/
	[ "$output" = "imgq-reprocess: skipped uploads/r3.jpg: job $r3 is dead: $why
imgq-reprocess: 3 sources, 2 done, 1 rejected, 0 would be queued" ]
	run -0 --separate-stderr imgq-reprocess uploads/
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	[ "$(imgq-stat depth)" = 0 ]
	[ "$(imgq-stat dead | wc -l)" = 1 ]
	# A preset change: a variant no image has yet.
	echo "small:64x64:fill:png" >>"$IMGQ_PRESETS"
	run -0 imgq-reprocess -v uploads/
	[ "${#lines[@]}" = 4 ]
	[ "${lines[0]}" = "imgq-reprocess: skipped uploads/r3.jpg: job $r3 is dead: $why" ]
	[ "${lines[3]}" = "imgq-reprocess: 3 sources, 0 done, 1 rejected, 2 queued" ]
	run -0 imgq-pop -n 2 -w 10s -- imgq-work
	run -0 info processed/r1/small.png
	[ "$output" = "format=png width=64 height=64" ]
	run -0 info processed/r2/small.png
	[ "$output" = "format=png width=64 height=64" ]
	run -0 info processed/r2/large.jpg
	[ "$output" = "format=jpeg width=256 height=256" ]
	# Nothing left to do but the corrupt one, which -r queues.
	run -0 imgq-reprocess -v uploads/
	[ "${#lines[@]}" = 2 ]
	[ "${lines[1]}" = "imgq-reprocess: 3 sources, 2 done, 1 rejected, 0 queued" ]
	run -0 imgq-reprocess -r -v uploads/
	[ "${#lines[@]}" = 2 ]
	[[ ${lines[0]} =~ ^[0-9a-z]{26}$ ]]
	[ "$(field "${lines[0]}" src)" = uploads/r3.jpg ]
	[ "${lines[1]}" = "imgq-reprocess: 3 sources, 2 done, 0 rejected, 1 queued" ]
	sed -i '/^small:/d' "$IMGQ_PRESETS"
}

@test "imgq-reprocess queues a source whose job died of retries, of a no (1) or of a missing original, or in another bucket" {
	reprocess_setup
	# Dead jobs for r1, r2 and r3 that are not rejects of this bucket.
	imgq-push uploads/r1.jpg >/dev/null
	run -0 imgq-pop -a 1 sh -c 'echo "try later" >&2; exit 75'
	imgq-push uploads/r2.png >/dev/null
	run -0 imgq-pop sh -c 'echo no >&2; exit 1'
	imgq-push -b elsewhere uploads/r3.jpg >/dev/null
	run -0 imgq-pop sh -c 'exit 65'
	[ "$(imgq-stat dead | wc -l)" = 3 ]
	run -0 imgq-reprocess -n uploads/
	[ "$output" = "uploads/r1.jpg
uploads/r2.png
uploads/r3.jpg
imgq-reprocess: 3 sources, 0 done, 0 rejected, 3 would be queued" ]
	# 66: the original was missing then; s3ls lists it now.
	imgq-stat purge >/dev/null
	imgq-push uploads/r3.jpg >/dev/null
	run -0 imgq-pop sh -c 'exit 66'
	run -0 imgq-reprocess -n uploads/
	[ "${lines[-1]}" = "imgq-reprocess: 3 sources, 0 done, 0 rejected, 3 would be queued" ]
	# 65 in this bucket: a reject; a -q of another queue does not see it.
	imgq-push uploads/r3.jpg >/dev/null
	run -0 imgq-pop sh -c 'exit 65'
	run -0 imgq-reprocess -n uploads/
	[ "${lines[-1]}" = "imgq-reprocess: 3 sources, 0 done, 1 rejected, 2 would be queued" ]
	run -0 imgq-reprocess -n -q other uploads/
	[ "${lines[-1]}" = "imgq-reprocess: 3 sources, 0 done, 0 rejected, 3 would be queued" ]
}

@test "imgq-reprocess -f queues every source; bad arguments are 64, no bucket 78" {
	reprocess_setup
	run -0 imgq-reprocess -f uploads/
	[ "${#lines[@]}" = 3 ]
	[ "$(imgq-stat depth)" = 3 ]
	run -64 imgq-reprocess processed/
	[ "$output" = "imgq-reprocess: fatal: refusing to reprocess the outputs under processed/" ]
	run -64 imgq-reprocess a b
	[ "$output" = "usage: imgq-reprocess [-fnrv] [-p presets] [-q queue] [prefix]" ]
	AWS_BUCKET_NAME= run -78 imgq-reprocess
	[ "$output" = "imgq-reprocess: fatal: AWS_BUCKET_NAME is not set" ]
}

@test "the decoder runs with no credential, no REDIS_URL and no operator token" {
	upload "$CORPUS/opencv_baboon.jpg" wenv
	id=$(imgq-push uploads/wenv.jpg)
	# an imgq-resize first on PATH that records what it was given
	mkdir "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\nenv >"%s"\nexec "%s" "$@"\n' "$BATS_TEST_TMPDIR/env" "$IMGQ_BIN/imgq-resize" >"$BATS_TEST_TMPDIR/bin/imgq-resize"
	chmod 755 "$BATS_TEST_TMPDIR/bin/imgq-resize"
	AWS_SESSION_TOKEN=session-secret IMGQ_ADMIN_TOKEN=operator-secret-0123456789 \
		PATH="$BATS_TEST_TMPDIR/bin:$PATH" run -0 imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = done ]
	[ -s "$BATS_TEST_TMPDIR/env" ]
	run -1 grep -E '^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|REDIS_URL|IMGQ_ADMIN_TOKEN|IMGQ_S3_CREDENTIALS_FILE)=' "$BATS_TEST_TMPDIR/env"
	run -1 grep -F -e "$AWS_SECRET_ACCESS_KEY" -e session-secret "$BATS_TEST_TMPDIR/env"
	# what it needs is still there
	grep -q '^IMGQ_JOB_ID=' "$BATS_TEST_TMPDIR/env"
}

@test "passed with imgq-pop -E, credentials still do not reach the decoder; the S3 tools work from the file alone" {
	upload "$CORPUS/opencv_baboon.jpg" wenv2
	id=$(imgq-push uploads/wenv2.jpg)
	mkdir "$BATS_TEST_TMPDIR/bin"
	# the decoder records its own /proc/self/environ (exec keeps the
	# process), the S3 tools record what they were given
	for t in s3get s3put; do
		printf '#!/bin/sh\nenv >"%s"\nexec "%s" "$@"\n' "$BATS_TEST_TMPDIR/env.$t" "$IMGQ_BIN/$t" >"$BATS_TEST_TMPDIR/bin/$t"
		chmod 755 "$BATS_TEST_TMPDIR/bin/$t"
	done
	cat >"$BATS_TEST_TMPDIR/bin/imgq-resize" <<-EOF
	#!$PY
	import os, sys
	open("$BATS_TEST_TMPDIR/environ", "wb").write(open("/proc/self/environ", "rb").read())
	os.execv("$IMGQ_BIN/imgq-resize", ["imgq-resize"] + sys.argv[1:])
	EOF
	chmod 755 "$BATS_TEST_TMPDIR/bin/imgq-resize"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run -0 imgq-pop -E AWS_SECRET_ACCESS_KEY -w 10s -- imgq-work
	[ "$(field "$id" state)" = done ]
	run -1 grep -zE '^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|IMGQ_S3_CREDENTIALS_FILE|REDIS_URL)=' "$BATS_TEST_TMPDIR/environ"
	grep -qz '^IMGQ_JOB_ID=' "$BATS_TEST_TMPDIR/environ"
	# the S3 tools had the file, and no key id (it is only in the file)
	for t in s3get s3put; do
		grep -q '^IMGQ_S3_CREDENTIALS_FILE=' "$BATS_TEST_TMPDIR/env.$t"
		run -1 grep -E '^AWS_ACCESS_KEY_ID=' "$BATS_TEST_TMPDIR/env.$t"
	done
}
