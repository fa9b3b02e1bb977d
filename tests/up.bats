#!/usr/bin/env bats
# The README's run command: from nothing to a serving page, an upload made
# into variants, and a clean stop on Ctrl-C (SIGINT).

load helpers/common
load helpers/up

setup_file() {
	imgq_setup_file
}

teardown_file() {
	up_teardown "$BATS_FILE_TMPDIR/state"
}

@test "scripts/up serves the page, makes the variants, and stops everything on Ctrl-C" {
	state=$BATS_FILE_TMPDIR/state
	port=$(free_port)
	IMGQ_REDIS_PORT=$(free_port) IMGQ_S3_PORT=$(free_port) up_start "$state" "$port"
	up_wait_ready "$port"
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
