#!/usr/bin/env bats
# End to end in a real browser: the whole stack on free loopback ports
# (Redis, the S3 service, imgq-prefork -l running imgq-recv, a worker pool
# of imgq-pop running imgq-work), Debian's chromium driven by playwright-core
# (tests/browser/upload.mjs) uploads three images and one text file through
# the page; the page must show three finished thumbnails and one plain
# refusal, and the variants in S3 must have the presets' formats and sizes.
# A corrupt JPEG is accepted, dead-lettered by the worker and shown as
# failed; the dashboard lists it with its reason and requeues it.

load helpers/common

BROWSER=$IMGQ_TOP/tests/browser

setup_file() {
	imgq_setup_file
	local p
	for p in imgq-recv imgq-prefork imgq-pop imgq-work imgq-resize s3get \
		s3put; do
		[ -x "$IMGQ_BIN/$p" ] || {
			export E2E_SKIP="$p is not built here yet"
			return 0
		}
	done
	for p in /usr/bin/chromium node npm; do
		command -v "$p" >/dev/null || {
			export E2E_SKIP="$p is not installed (scripts/deps)"
			return 0
		}
	done
	if [ ! -d "$BROWSER/node_modules/playwright-core" ]; then
		(cd "$BROWSER" && npm ci --no-audit --no-fund >&2) || return 1
	fi
	redis_start
	s3_start
	export IMGQ_RECV_WWW=$IMGQ_TOP/share/www
	# the dashboard is the operator's (the browser signs in with it)
	export IMGQ_ADMIN_TOKEN=e2e-operator-token-$RANDOM$RANDOM$RANDOM
	export IMGQ_PRESETS=$IMGQ_TOP/etc/presets
	# The web processes share their counters and recent uploads (the
	# dashboard's list), as a pool should.
	export IMGQ_RECV_METRICS_FILE=$BATS_FILE_TMPDIR/metrics
	# A body limit the large test image exceeds (the others fit).
	export IMGQ_RECV_MAX_BODY=2M
	E2E_PORT=$(free_port)
	export E2E_PORT E2E_URL=http://127.0.0.1:$E2E_PORT/
	E2E_PIDS=$BATS_FILE_TMPDIR/pids
	export E2E_PIDS
	: >"$E2E_PIDS"
	# Where imgq-events is built, imgq-recv hands it the event routes
	# (one address, as in scripts/up) and the pages use it for real.
	export E2E_EVENTS=
	if [ -x "$IMGQ_BIN/imgq-events" ]; then
		export IMGQ_EVENTS_SOCKET=$BATS_FILE_TMPDIR/events.sock
		setsid "$IMGQ_BIN/imgq-events" -l "127.0.0.1:$(free_port)" \
			>"$BATS_FILE_TMPDIR/events.log" 2>&1 3>&- </dev/null &
		echo $! >>"$E2E_PIDS"
		wait_until 30 test -S "$IMGQ_EVENTS_SOCKET"
		E2E_EVENTS=1
	fi
	setsid "$IMGQ_BIN/imgq-prefork" -n 2 -l "127.0.0.1:$E2E_PORT" -- \
		"$IMGQ_BIN/imgq-recv" >"$BATS_FILE_TMPDIR/web.log" 2>&1 3>&- \
		</dev/null &
	echo $! >>"$E2E_PIDS"
	setsid "$IMGQ_BIN/imgq-prefork" -n 2 -- "$IMGQ_BIN/imgq-pop" -l -- \
		"$IMGQ_BIN/imgq-work" >"$BATS_FILE_TMPDIR/work.log" 2>&1 3>&- \
		</dev/null &
	echo $! >>"$E2E_PIDS"
	wait_until 30 curl -sf -o /dev/null --max-time 5 "${E2E_URL}healthz"
}

teardown_file() {
	local p
	if [ -f "${E2E_PIDS:-/nonexistent}" ]; then
		while read -r p; do
			kill -TERM "$p" 2>/dev/null
		done <"$E2E_PIDS"
		while read -r p; do
			wait_until 30 stopped "$p" || kill -KILL -- "-$p" 2>/dev/null
		done <"$E2E_PIDS"
	fi
	imgq_teardown_file
}

stopped() { ! kill -0 "$1" 2>/dev/null; }

setup() {
	[ -z "${E2E_SKIP:-}" ] || skip "$E2E_SKIP"
}

IMAGES=(opencv_baboon.jpg mate_GreenMeadow.jpg skimage_astronaut_256.png)

BAD=$MALFORMED/libjpeg-turbo/monkey12.jpg

@test "chromium: three images end as thumbnails on the page, a text file (415) and a large file (413) are refused, a corrupt JPEG fails" {
	local f args=() BIG=$BATS_FILE_TMPDIR/large.jpg
	for f in "${IMAGES[@]}"; do
		args+=("$CORPUS/$f")
	done
	printf 'These are notes, not an image.\n' >"$BATS_FILE_TMPDIR/notes.txt"
	# over IMGQ_RECV_MAX_BODY: a JPEG that goes on for 3 MB
	{ cat "$CORPUS/opencv_baboon.jpg"; head -c 3M /dev/urandom; } >"$BIG"
	run node "$BROWSER/upload.mjs" -w 180 \
		-o "$BATS_FILE_TMPDIR/page.png" \
		-r "$BATS_FILE_TMPDIR/notes.txt" -r "$BIG" -f "$BAD" "$E2E_URL" "${args[@]}"
	printf '%s\n' "$output" >"$BATS_FILE_TMPDIR/tap"
	printf '%s\n' "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "1..9" ]
	[ "$(grep -c '^ok ' "$BATS_FILE_TMPDIR/tap")" = 9 ]
	run -1 grep -q '^not ok' "$BATS_FILE_TMPDIR/tap"
	grep -q "^# refusal notes.txt: Refused (415 " "$BATS_FILE_TMPDIR/tap"
	grep -q "^# refusal $(basename "$BIG"): Refused (413 " "$BATS_FILE_TMPDIR/tap"
	[ -s "$BATS_FILE_TMPDIR/page.png" ]
	touch "$BATS_FILE_TMPDIR/uploaded"
}

# Expected size of a "fit" variant: the image scaled down (never up) to fit
# in box x box, the long side exact, the other rounded (1 pixel of slack).
fits() { # srcW srcH box gotW gotH
	local sw=$1 sh=$2 box=$3 w=$4 h=$5 ew eh
	if [ "$sw" -le "$box" ] && [ "$sh" -le "$box" ]; then
		ew=$sw eh=$sh
	elif [ "$sw" -ge "$sh" ]; then
		ew=$box eh=$(((sh * box + sw / 2) / sw))
	else
		eh=$box ew=$(((sw * box + sh / 2) / sh))
	fi
	[ $((w - ew)) -le 1 ] && [ $((ew - w)) -le 1 ] &&
		[ $((h - eh)) -le 1 ] && [ $((eh - h)) -le 1 ] &&
		{ [ "$w" -le "$box" ] && [ "$h" -le "$box" ]; } ||
		{ echo "got ${w}x$h, expected ${ew}x$eh in $box" >&2; false; }
}

info() { # file var: "format W H"
	"$IMGQ_BIN/imgq-resize" -i "$1" |
		sed -n 's/^format=\([a-z]*\) width=\([0-9]*\) height=\([0-9]*\) .*/\1 \2 \3/p'
}

@test "the variants in S3 have the presets' formats and sizes" {
	[ -f "$BATS_FILE_TMPDIR/uploaded" ] ||
		skip "needs the browser upload (test 1), which failed"
	local f id key sw sh fmt w h n=0
	for f in "${IMAGES[@]}"; do
		id=$(sed -n "s/^# job $f //p" "$BATS_FILE_TMPDIR/tap")
		[[ $id =~ ^[0-9a-z]+$ ]]
		read -r _ sw sh < <(info "$CORPUS/$f")
		run -0 field "$id" state
		[ "$output" = done ]
		run -0 field "$id" outputs
		[ "${#lines[@]}" = 2 ]
		for key in "${lines[@]}"; do
			run -0 s3get "s3://$AWS_BUCKET_NAME/$key" \
				"$BATS_TEST_TMPDIR/v"
			read -r fmt w h < <(info "$BATS_TEST_TMPDIR/v")
			case $key in
			"processed/$id/large.jpg")
				[ "$fmt" = jpeg ]
				fits "$sw" "$sh" 1024 "$w" "$h"
				;;
			"processed/$id/thumb.webp")
				[ "$fmt" = webp ]
				fits "$sw" "$sh" 256 "$w" "$h"
				;;
			*)
				echo "unexpected output $key" >&2
				false
				;;
			esac
			n=$((n + 1))
		done
	done
	[ "$n" = 6 ]
}

@test "nothing of the refused files was stored" {
	[ -f "$BATS_FILE_TMPDIR/uploaded" ] ||
		skip "needs the browser upload (test 1), which failed"
	run -0 aws_cli s3api list-objects-v2 --bucket "$AWS_BUCKET_NAME" \
		--prefix uploads/ --query 'length(Contents)'
	# Three images and the corrupt JPEG; not the refused files.
	[ "$output" = 4 ]
}

@test "the corrupt JPEG is a dead letter with the decoder's reason for the operator, its exit status on the page" {
	[ -f "$BATS_FILE_TMPDIR/uploaded" ] ||
		skip "needs the browser upload (test 1), which failed"
	local id
	id=$(sed -n "s/^# job monkey12.jpg //p" "$BATS_FILE_TMPDIR/tap")
	[[ $id =~ ^[0-9a-z]+$ ]]
	run -0 field "$id" state
	[ "$output" = dead ]
	run -0 field "$id" exit
	[ "$output" = 65 ]
	run -0 field "$id" error
	# How it ended, then the decoder's own first line.
	[[ $output == "exit 65 (EX_DATAERR): imgq-resize: fatal: "?* ]]
	# The page (anonymous) showed the exit status, not the worker's
	# stderr or the queue's reason, which are the operator's.
	run -0 field "$id" stderr
	[ -n "${lines[-1]}" ]
	grep -qFx "# failure monkey12.jpg: Failed: exit status 65" "$BATS_FILE_TMPDIR/tap"
	run -0 imgq-stat dead
	printf '%s\n' "${lines[@]}" | cut -f 1 | grep -qx "$id"
}

@test "chromium: the dashboard asks to sign in; then shows the figures, the thumbnails, the dead letter, requeues it, and signs out" {
	[ -f "$BATS_FILE_TMPDIR/uploaded" ] ||
		skip "needs the browser upload (test 1), which failed"
	local id
	id=$(sed -n "s/^# job monkey12.jpg //p" "$BATS_FILE_TMPDIR/tap")
	run node "$BROWSER/dashboard.mjs" -w 60 \
		-o "$BATS_FILE_TMPDIR/dashboard.png" "${E2E_URL}dashboard" 3 "$id"
	printf '%s\n' "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "1..8" ]
	[ "$(printf '%s\n' "$output" | grep -c '^ok ')" = 8 ]
	# The dead letter's reason on the dashboard names the decoder's words.
	printf '%s\n' "$output" |
		grep -q "^# reason $id: .*exit 65 (EX_DATAERR): imgq-resize: fatal: "
	# The server requeued it: a new attempt ran (and failed the same way).
	grep -q "job $id requeued" "$BATS_FILE_TMPDIR/web.log"
}

@test "chromium without JavaScript: the form lands on a page that follows the job until its variants show" {
	gm convert -size 320x240 gradient:red-blue "$BATS_FILE_TMPDIR/nojs.jpg"
	run node "$BROWSER/nojs.mjs" -w 120 -o "$BATS_FILE_TMPDIR/nojs.png" \
		"$E2E_URL" "$BATS_FILE_TMPDIR/nojs.jpg"
	printf '%s\n' "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "1..6" ]
	[ "$(printf '%s\n' "$output" | grep -c '^ok ')" = 6 ]
	id=$(printf '%s\n' "$output" | sed -n 's/^# job nojs.jpg //p')
	[[ $id =~ ^[0-9a-z]{26}$ ]]
	run -0 field "$id" state
	[ "$output" = done ]
	[ -s "$BATS_FILE_TMPDIR/nojs.png" ]
}

# How the upload page follows a job (ws, then sse, then poll; ?transport=
# forces one).  On a stack without imgq-events the forced WebSocket is
# answered by the driver by imgq-events(8)'s protocol (-m), and the page
# left to choose falls back to the job's Server-Sent Events.
transport() { # forced expected [-m|-b]
	run node "$BROWSER/transport.mjs" -w 60 -t "$1" -e "$2" ${3:-} \
		"$E2E_URL" "$IMGQ_TOP/tests/fixtures/img/scans4.jpg"
	printf '%s\n' "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "1..4" ]
	[ "$(printf '%s\n' "$output" | grep -c '^ok ')" = 4 ]
	[ "${lines[3]}" = "ok 2 - followed by $2" ]
}

@test "chromium: ?transport=ws follows the job over a WebSocket only" {
	if [ -n "$E2E_EVENTS" ]; then
		transport ws ws
	else
		transport ws ws -m
	fi
}

@test "chromium: ?transport=sse follows the job by its Server-Sent Events only" {
	transport sse sse
}

@test "chromium: ?transport=poll follows the job by reading its record only" {
	transport poll poll
}

@test "chromium: left to choose, the page takes the WebSocket of imgq-events, else (no imgq-events) Server-Sent Events" {
	if [ -n "$E2E_EVENTS" ]; then
		transport auto ws
	else
		transport auto sse
	fi
}

@test "chromium: with the WebSocket blocked, the page falls back to Server-Sent Events" {
	transport auto sse -b
}

@test "chromium: the dashboard draws the last hour from its data as inline SVG and refreshes on the live feed" {
	run node "$BROWSER/chart.mjs" -w 60 "${E2E_URL}dashboard"
	printf '%s\n' "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "1..5" ]
	[ "$(printf '%s\n' "$output" | grep -c '^ok ')" = 5 ]
}
