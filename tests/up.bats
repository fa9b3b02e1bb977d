#!/usr/bin/env bats
# The README's run command: from nothing to a serving page, an upload made
# into variants, and a clean stop on Ctrl-C (SIGINT).

load helpers/common
load helpers/up

setup_file() {
	imgq_setup_file
}

teardown_file() {
	local s
	for s in state a b; do
		up_teardown "$BATS_FILE_TMPDIR/$s"
	done
}

@test "scripts/up serves the page, makes the variants, and stops everything on Ctrl-C" {
	state=$BATS_FILE_TMPDIR/state
	port=$(free_port)
	IMGQ_REDIS_PORT=$(free_port) IMGQ_S3_PORT=$(free_port) up_start "$state" "$port"
	up_wait_ready "$state" "$port"
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
	grep -qx "up    | dashboard sign-in token: in $state/admin-token" "$state.log"
	run -0 curl -sS -o /dev/null -w '%{http_code}' "http://localhost:$port/api/stats"
	[ "$output" = 401 ]
	run -0 curl -sS -f -H "Authorization: Bearer $(cat "$state/admin-token")" "http://localhost:$port/api/stats"
	[ "$(jq -r 'has("depth")' <<<"$output")" = true ]
	# Labelled logs from every source reached the one terminal.
	grep -q '^web   | imgq-recv: info: job '"$id"' queued' "$state.log"
	grep -q '^work  | imgq-prefork: info: child 1 started' "$state.log"
	# Ctrl-C: everything stops, nothing of this state folder keeps running.
	kill -INT "$UP_PID"
	wait_until 60 not_running "$UP_PID"
	run -1 pgrep -f "$state/"
	run -1 pgrep -f "imgq-prefork .*127.0.0.1:$port"
	grep -q '^up    | stopped$' "$state.log"
	# The data survives for the next start.
	[ -f "$state/redis/data/appendonlydir/appendonly.aof.1.incr.aof" ]
}

@test "two scripts/up on one machine: a Redis and S3 service each, and one's Ctrl-C leaves the other's alone" {
	a=$BATS_FILE_TMPDIR/a b=$BATS_FILE_TMPDIR/b
	pa=$(free_port) pb=$(free_port)
	up_start "$a" "$pa"
	ua=$UP_PID
	up_start "$b" "$pb"
	up_wait_ready "$a" "$pa"
	up_wait_ready "$b" "$pb"
	# A state folder is one stack's.
	run -75 "$IMGQ_TOP/scripts/up" -s "$a" -p "$(free_port)"
	[ "${lines[-1]}" = "up: fatal: $a: already in use by up (pid $ua): give another -s STATE" ]
	# Their own Redis (each with its own password), their own S3 service.
	ra=$(sed -n 's/^REDIS_URL=//p' "$a/redis/env")
	rb=$(sed -n 's/^REDIS_URL=//p' "$b/redis/env")
	[ "${ra##*@}" != "${rb##*@}" ]
	[ "$(cat "$a/s3/port")" != "$(cat "$b/s3/port")" ]
	# a's password does not open b's Redis.
	REDIS_URL=${ra%%@*}@${rb##*@} run -77 imgq-stat depth
	kill -INT "$ua"
	wait_until 60 not_running "$ua"
	grep -q '^up    | stopped$' "$a.log"
	run -1 "$IMGQ_TOP/scripts/s3-local" status "$a/s3"
	# b's stack goes on.
	REDIS_URL=$rb run -0 imgq-stat depth
	[ "$output" = 0 ]
	run -0 "$IMGQ_TOP/scripts/s3-local" status "$b/s3"
	run -0 curl -sS -f -o /dev/null "http://localhost:$pb/"
}
