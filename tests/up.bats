#!/usr/bin/env bats
# The README's run command: from nothing to a serving page, an upload made
# into variants, and a clean stop on Ctrl-C (SIGINT).

load helpers/common

setup_file() {
	imgq_setup_file
}

# Whatever happened, nothing of this test keeps running.  up runs in a
# session of its own (its pid is the session's id), which everything it
# starts stays in but the S3 service (s3-local gives it sessions of its
# own, and stops it).  The pid is kept in a file: teardown_file runs in
# another process than the test.
teardown_file() {
	local up p
	up=$(cat "$BATS_FILE_TMPDIR/up.pid" 2>/dev/null) || up=
	if [ -n "$up" ] && kill -0 "$up" 2>/dev/null; then
		# up stops its pools and services itself, if it has got that far.
		kill -TERM "$up"
		wait_until 60 not_running "$up" || kill -KILL "$up" 2>/dev/null
	fi
	if [ -d "$BATS_FILE_TMPDIR/state" ]; then
		"$IMGQ_TOP/scripts/s3-local" stop "$BATS_FILE_TMPDIR/state/s3"
		"$IMGQ_TOP/scripts/redis-local" stop "$BATS_FILE_TMPDIR/state/redis"
	fi
	# What is left of up's session (pools, their children, log readers).
	if [ -n "$up" ]; then
		for p in $(pgrep -s "$up"); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	true
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

@test "scripts/up serves the page, makes the variants, and stops everything on Ctrl-C" {
	state=$BATS_FILE_TMPDIR/state
	port=$(free_port)
	# As from a terminal: SIGINT not ignored (a shell ignores it in the
	# commands it starts in the background), no descriptor of bats' own.
	IMGQ_REDIS_PORT=$(free_port) IMGQ_S3_PORT=$(free_port) \
		setsid env --default-signal=INT "$IMGQ_TOP/scripts/up" -s "$state" -p "$port" \
		>"$BATS_FILE_TMPDIR/up.log" 2>&1 3>&- &
	UP_PID=$!
	echo "$UP_PID" >"$BATS_FILE_TMPDIR/up.pid"
	wait_until 180 grep -q "imgq is up: http://localhost:$port/" "$BATS_FILE_TMPDIR/up.log"
	run -0 curl -sS -f "http://localhost:$port/"
	[[ "$output" == *"<title>"* ]]
	run -0 curl -sS -f -F "file=@$CORPUS/opencv_baboon.jpg" "http://localhost:$port/upload"
	id=$(jq -r '.files[0].id' <<<"$output")
	[ -n "$id" ]
	job_done() {
		curl -sS -f "http://localhost:$port/jobs/$id" | jq -e '.state == "done"' >/dev/null
	}
	wait_until 120 job_done
	run -0 curl -sS -f "http://localhost:$port/jobs/$id"
	[ "$(jq -r '.outputs | join(" ")' <<<"$output")" = "processed/$id/large.jpg processed/$id/thumb.webp" ]
	# Its events on the same port, from imgq-events (its streams have ids)
	run -0 curl -sS --max-time 20 "http://localhost:$port/jobs/$id/events"
	[[ ${lines[0]} == "id: done."* ]]
	[ "${lines[1]}" = "event: done" ]
	# The dashboard's API is the operator's: up made a token and says where.
	grep -qx "up    | dashboard sign-in token: in $state/admin-token" "$BATS_FILE_TMPDIR/up.log"
	run -0 curl -sS -o /dev/null -w '%{http_code}' "http://localhost:$port/api/stats"
	[ "$output" = 401 ]
	run -0 curl -sS -f -H "Authorization: Bearer $(cat "$state/admin-token")" "http://localhost:$port/api/stats"
	[ "$(jq -r 'has("depth")' <<<"$output")" = true ]
	# Labelled logs from every source reached the one terminal.
	grep -q '^web   | imgq-recv: info: job '"$id"' queued' "$BATS_FILE_TMPDIR/up.log"
	grep -q '^work  | imgq-prefork: info: child 1 started' "$BATS_FILE_TMPDIR/up.log"
	# Ctrl-C: everything stops, nothing of this state folder keeps running.
	kill -INT "$UP_PID"
	wait_until 60 not_running "$UP_PID"
	run -1 pgrep -f "$state/"
	run -1 pgrep -f "imgq-prefork .*127.0.0.1:$port"
	grep -q '^up    | stopped$' "$BATS_FILE_TMPDIR/up.log"
	# The data survives for the next start.
	[ -f "$state/redis/data/appendonlydir/appendonly.aof.1.incr.aof" ]
}
