#!/usr/bin/env bats
# The README's "In pipelines" section, run as written: every code block of
# it, in order, in a shell where the README's one-liner (eval "$(scripts/up
# -E)") has loaded the settings of a running scripts/up, in a folder with a
# photo cat.jpg.  The one change made to a block: the stack's port for the
# README's localhost:3000.  A block added, removed or changed in the README
# fails here until this file says what it must print.

load helpers/common
load helpers/up

setup_file() {
	imgq_setup_file
	export STATE=$BATS_FILE_TMPDIR/state PORT IMGQ_STATE=$BATS_FILE_TMPDIR/state
	PORT=$(free_port)
	# The section's blocks, one file each: block.1, block.2, ...
	awk -v dir="$BATS_FILE_TMPDIR" '
		/^### In pipelines/ { on = 1; next }
		on && /^##/ { on = 0 }
		on && /^```sh$/ { n++; f = dir "/block." n; printf "" >f; inb = 1; next }
		inb && /^```$/ { inb = 0; close(f); next }
		inb { print >f }' "$IMGQ_TOP/README.md"
	# ENVFILE, read as data: nothing in it is expanded or run.
	printf 'IMGQ_README_LITERAL=$HOME/$(touch %s/ran)\n' "$BATS_FILE_TMPDIR" \
		>"$BATS_FILE_TMPDIR/env"
	mkdir -p "$BATS_FILE_TMPDIR/shell"
	gm convert -size 640x480 gradient:red-blue "$BATS_FILE_TMPDIR/shell/cat.jpg"
	up_start "$STATE" "$PORT" -e "$BATS_FILE_TMPDIR/env"
	up_wait_ready "$STATE" "$PORT"
}

teardown_file() {
	up_teardown "$STATE"
}

# The README's one-liner, from the top of the checkout, for the stack of
# STATE (IMGQ_STATE: the line itself names no state folder).
setup() {
	local line
	line=$(grep -x '    eval "$(scripts/up -E)"' "$IMGQ_TOP/README.md")
	unset AWS_EC2_METADATA_DISABLED AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID REDIS_URL
	cd "$IMGQ_TOP"
	eval "${line#    }"
	cd "$BATS_FILE_TMPDIR/shell"
}

block() { # n: runs README block n (60 s at most)
	local b
	b=$(sed "s/localhost:3000/localhost:$PORT/g" "$BATS_FILE_TMPDIR/block.$1")
	timeout 60 sh -ec "$b"
}

@test "the pipelines section has its seven blocks; the one-liner loads the stack" {
	[ "$(ls "$BATS_FILE_TMPDIR" | grep -c '^block\.')" = 7 ]
	[ "$(command -v s3put)" = "$IMGQ_TOP/bin/s3put" ]
	[ "$AWS_EC2_METADATA_DISABLED" = true ]
	[ "$REDIS_URL" = "$(cat "$STATE/redis/env" | sed 's/^REDIS_URL=//')" ]
	# The ENVFILE's value came through as written.
	[ "$IMGQ_README_LITERAL" = "\$HOME/\$(touch $BATS_FILE_TMPDIR/ran)" ]
	[ ! -e "$BATS_FILE_TMPDIR/ran" ]
}

@test "README block 1: s3put, a thumbnail from a pipe, a presigned URL" {
	run -0 block 1
	[ "$output" = "" ]
	run -0 "$PY" -c 'from PIL import Image; i = Image.open("cat.webp"); print(i.format, i.size)'
	[ "$output" = "WEBP (256, 256)" ]
}

@test "README block 2: every original queued and followed until done; nothing run for an empty prefix" {
	run -0 block 2
	[ "${#lines[@]}" -ge 1 ]
	[[ "${lines[-1]}" =~ ^[0-9a-z]{26}\ done$ ]]
	id=${lines[-1]%% *}
	[ "$(imgq-stat job -f src "$id")" = uploads/cat.jpg ]
	# Nothing under the prefix: no imgq-watch following every job forever.
	sed -i 's|s3ls uploads/ |s3ls uploads/nothing/ |' "$BATS_FILE_TMPDIR/block.2"
	run -0 block 2
	[ "$output" = "" ]
}

@test "README block 3: several files stored in one process" {
	run -0 block 3
	[ "$output" = "out/large.jpg
out/thumb.webp
processed/42/large.jpg
processed/42/thumb.webp" ]
	run -0 s3ls processed/42/
	[ "$output" = "processed/42/large.jpg
processed/42/thumb.webp" ]
}

@test "README block 4: an idempotent upload answers the retry with the first answer" {
	run -0 block 4
	[ "${#lines[@]}" = 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[ "$(jq -r '.files[0].name + " " + .files[0].status' <<<"${lines[0]}")" = "cat.jpg queued" ]
}

@test "README block 5: one job by hand, on a queue the stack's workers do not take" {
	run -0 block 5
	[ "${#lines[@]}" = 3 ]
	[ "${lines[0]}" = processed/cat/large.jpg ]
	[ "${lines[1]}" = processed/cat/thumb.webp ]
	id=${lines[2]}
	[ "$(imgq-stat -q byhand job -f state "$id")" = done ]
	# What the command printed is the job's output.
	[ "$(imgq-stat -q byhand job -f outputs "$id")" = "format=jpeg width=640 height=480 orientation=1 frames=1" ]
	run -0 imgq-stat -q byhand depth
	[ "$output" = 0 ]
}

@test "README block 6: the summary, the dead letters, all of them requeued" {
	# A dead letter to see: an original that is not there (66, a reject).
	bad=$(imgq-push missing/none.jpg)
	wait_until 60 sh -c '[ "$(imgq-stat job -f state "$1")" = dead ]' _ "$bad"
	run -0 block 6
	[ "${lines[0]}" = "queue	imgq" ]
	[ "$(grep -c "^$bad	" <<<"$output")" = 1 ]
	[ "$(grep -cx "$bad" <<<"$output")" = 1 ]
}

@test "README block 7: every source queued again, and done" {
	n=$(s3ls uploads/ | wc -l)
	[ "$n" = 2 ]
	run -0 block 7
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[0]}" =~ ^[0-9a-z]{26}$ ]]
	[[ "${lines[1]}" =~ ^[0-9a-z]{26}$ ]]
	run -0 timeout 60 imgq-watch "${lines[@]}"
}
