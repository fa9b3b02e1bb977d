#!/usr/bin/env bats
# imgq-watch: job events as lines.

load helpers/common
load helpers/queue

setup() {
	queue_setup watch
}

@test "named jobs: events until each is done, exit 0" {
	a=$(imgq-push a.png)
	b=$(imgq-push b.png)
	imgq-watch "$a" "$b" >"$T/out" &
	w=$!
	wait_until 5 subscribers 1
	imgq-pop -n 2 sh -c 'echo out'
	rc=0
	wait $w || rc=$?
	[ "$rc" = 0 ]
	run -0 sed 's/ on .*//' "$T/out"
	[ "$output" = "$a active attempt 1
$a done
$b active attempt 1
$b done" ]
}

@test "a named job that dies: exit 1 with the reason on the line" {
	a=$(imgq-push a.png)
	imgq-watch "$a" >"$T/out" &
	w=$!
	wait_until 5 subscribers 1
	imgq-pop sh -c 'echo "imgq-resize: fatal: not an image" >&2; exit 65'
	rc=0
	wait $w || rc=$?
	[ "$rc" = 1 ]
	[ "$(tail -n 1 "$T/out")" = "$a dead exit 65 (EX_DATAERR): imgq-resize: fatal: not an image" ]
}

@test "a job already finished prints its state at once" {
	a=$(imgq-push a.png)
	imgq-pop true
	run -0 imgq-watch "$a"
	[ "$output" = "$a done" ]
}

@test "-f prints every event of the queue; -t ends the wait (75)" {
	imgq-watch -f -t 20s >"$T/out" &
	w=$!
	wait_until 5 subscribers 1
	a=$(imgq-push a.png)
	wait_until 5 grep -qx "$a queued" "$T/out"
	kill $w
	run -75 imgq-watch -t 200ms "$a"
	[ "$output" = "imgq-watch: error: timed out" ]
}

@test "bad arguments: 64; unknown job: 66; no REDIS_URL: 78" {
	run -64 imgq-watch notanid
	[ "${lines[0]}" = "imgq-watch: fatal: not a job id" ]
	run -66 imgq-watch 0000000000aaaaaaaaaaaaaaaa
	[ "$output" = "imgq-watch: fatal: no such job: 0000000000aaaaaaaaaaaaaaaa" ]
	REDIS_URL= run -78 imgq-watch -f
}

@test "a Redis restart: imgq-watch reconnects, warns, and still sees the end" {
	a=$(imgq-push a.png)
	imgq-watch "$a" >"$T/out" 2>"$T/err" &
	w=$!
	wait_until 5 subscribers 1
	kill -9 "$(cat "$IMGQ_TEST_REDIS_DIR/redis.pid")"
	rm -f "$IMGQ_TEST_REDIS_DIR/redis.pid"
	"$IMGQ_TOP/scripts/redis-local" start "$IMGQ_TEST_REDIS_DIR" >/dev/null
	wait_until 10 subscribers 1
	IMGQ_REDIS_RETRY=10s imgq-pop true
	rc=0
	wait $w || rc=$?
	[ "$rc" = 0 ]
	[ "$(tail -n 1 "$T/out")" = "$a done" ]
	[ "$(cat "$T/err")" = "imgq-watch: warning: reconnected to Redis; events in between may be missed" ]
}

@test "refused credentials: 77" {
	REDIS_URL="redis://nobody:x@127.0.0.1:$REDIS_PORT" run -77 imgq-watch -f
	[[ "$output" == "imgq-watch: fatal: 127.0.0.1:$REDIS_PORT: AUTH: Redis refused the credentials: WRONGPASS"* ]]
}

@test "a bad queue variable is 78, before any connection" {
	IMGQ_RETENTION=forever REDIS_URL=redis://127.0.0.1:1 run -78 imgq-watch -f
	[ "$output" = "imgq-watch: fatal: IMGQ_RETENTION: not a duration: 'forever'" ]
}
