#!/usr/bin/env bats
# imgq-events: Server-Sent Events and WebSocket for many clients from one
# process and one Redis subscription: order and completeness, reconnects,
# slow readers, Redis going away, hostile WebSocket frames, limits.

load helpers/common

setup_file() {
	imgq_setup_file
	redis_start
	export T=$BATS_FILE_TMPDIR
	export IMGQ_ADMIN_TOKEN=test-operator-token-0123456789
	export OP="Authorization: Bearer $IMGQ_ADMIN_TOKEN"
	export EVC="$PY $IMGQ_TOP/tests/helpers/evclient.py"
}

teardown() {
	stop_children
}

teardown_file() {
	imgq_teardown_file
}

# ev_start [VAR=value...]: imgq-events on a free port, with those
# settings; its log in $BATS_TEST_TMPDIR/ev.err; exports EPORT and EURL.
ev_start() {
	EPORT=$(free_port)
	export EPORT EURL=http://127.0.0.1:$EPORT
	env "$@" imgq-events -l "127.0.0.1:$EPORT" 2>"$BATS_TEST_TMPDIR/ev.err" &
	wait_until 10 curl -sf -o /dev/null "$EURL/healthz"
}

metric() { # name: its value on /metrics
	curl -sS -H "$OP" "$EURL/metrics" | sed -n "s/^$1 //p"
}

metric_is() { [ "$(metric "$1")" = "$2" ]; }

health_is() { [ "$(curl -s "$EURL/healthz")" = "{\"ok\":$1}" ]; }

# error_is PATH STATUS MESSAGE [curl args...]: the JSON error answered
error_is() {
	run -0 curl -sS -w ' %{http_code}' "${@:4}" "$EURL$1"
	[ "$output" = "{\"error\":\"$3\",\"status\":$2}
 $2" ]
}

# follow_queued KEY: a job pushed for KEY ($id), followed by a stream
# whose lines go to $BATS_TEST_TMPDIR/out; returns once "queued" came
follow_queued() {
	id=$(imgq-push "$1")
	$EVC sse "$EPORT" "/jobs/$id/events" -t 60 >"$BATS_TEST_TMPDIR/out" &
	pids+=($!)
	wait_until 10 grep -q '^queued' "$BATS_TEST_TMPDIR/out"
}

# set_state ID STATE: the job changes state as a worker's script would make it
set_state() {
	rcli hset "$(qkey job "$1")" state "$2" >/dev/null
	rcli publish "$(qkey events)" "$1 $2 w1" >/dev/null
}

@test "usage: an unknown flag or no listening socket exits 64 with the usage line" {
	run -64 imgq-events -x
	[ "${lines[-1]}" = "usage: imgq-events [-v] [-l address] [-q queue]" ]
	run -64 imgq-events </dev/null
	[ "${lines[0]}" = "imgq-events: fatal: no -l and standard input is not a listening socket" ]
}

@test "settings: a bad value exits 78; an address in use exits 75" {
	IMGQ_EVENTS_MAX_CONNS=0 run -78 imgq-events -l 127.0.0.1:0
	[ "$output" = "imgq-events: fatal: IMGQ_EVENTS_MAX_CONNS: 0 is out of range 1..1000000" ]
	ev_start
	run -75 imgq-events -l "127.0.0.1:$EPORT"
	[[ "${lines[-1]}" == "imgq-events: fatal: unable to listen on 127.0.0.1:$EPORT: Address already in use" ]]
}

@test "Redis at start: refused credentials exit 77, no Redis 75; SIGTERM exits 0" {
	REDIS_URL=${REDIS_URL/redis:\/\//redis:\/\/nobody:wrong@} IMGQ_REDIS_RETRY=1s \
		run -77 imgq-events -l 127.0.0.1:0
	[[ "${lines[-1]}" == "imgq-events: fatal: "*"Redis refused the credentials"* ]]
	REDIS_URL=redis://127.0.0.1:1/0 IMGQ_REDIS_RETRY=1s run -75 imgq-events -l 127.0.0.1:0
	[ "${lines[-1]}" = "imgq-events: fatal: unable to connect to 127.0.0.1:1: Connection refused" ]
	ev_start
	local pid
	pid=$(pgrep -f "imgq-events -l 127.0.0.1:$EPORT")
	kill -TERM "$pid"
	wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
	run -0 wait "$pid"
}

@test "routes: health, no such job, a bad id, another method, an unknown path" {
	ev_start
	run -0 curl -sS "$EURL/healthz"
	[ "$output" = '{"ok":true}' ]
	error_is /jobs/0123456789abcdefghijklmnop/events 404 "no such job"
	error_is /jobs/0123456789ABCDEFGHIJKLMNOP/events 404 "no such job"
	error_is /events/ws 405 "method not allowed" -X POST
	error_is /upload 404 "not found"
}

@test "SSE: 100 clients of one job get every state, in order, and the stream ends after done" {
	ev_start
	id=$(imgq-push uploads/a.jpg)
	$EVC many 100 "$EPORT" "/jobs/$id/events" -t 20 >"$BATS_TEST_TMPDIR/out" &
	pids+=($!)
	wait_until 10 metric_is 'imgq_events_connections{transport="sse"}' 100
	set_state "$id" active
	set_state "$id" retry
	set_state "$id" active
	set_state "$id" done
	wait "${pids[@]}"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = "connected
100 queued,active,retry,active,done" ]
	metric_is 'imgq_events_sent_total{transport="sse"}' 500
	metric_is 'imgq_events_connections{transport="sse"}' 0
}

@test "SSE: the same event names, ids and data as imgq-recv's stream" {
	ev_start
	id=$(imgq-push uploads/b.png)
	curl -sSN --max-time 20 "$EURL/jobs/$id/events" >"$BATS_TEST_TMPDIR/sse" &
	pids+=($!)
	wait_until 5 grep -q '^event: queued$' "$BATS_TEST_TMPDIR/sse"
	rcli hset "$(qkey job "$id")" state done outputs "processed/$id/large.jpg" >/dev/null
	rcli publish "$(qkey events)" "$id done " >/dev/null
	wait "${pids[@]}"
	queued=$(rcli hget "$(qkey job "$id")" queued)
	run -0 cat "$BATS_TEST_TMPDIR/sse"
	[ "$output" = "id: queued.0
event: queued
data: {\"id\":\"$id\",\"state\":\"queued\",\"attempts\":0,\"queued\":$queued,\"created\":$queued,\"name\":\"b.png\",\"type\":\"image/png\"}

id: done.0
event: done
data: {\"id\":\"$id\",\"state\":\"done\",\"attempts\":0,\"queued\":$queued,\"created\":$queued,\"name\":\"b.png\",\"type\":\"image/png\",\"outputs\":[\"processed/$id/large.jpg\"]}" ]
}

@test "SSE: a client reconnecting with Last-Event-ID gets what it missed and nothing twice" {
	ev_start IMGQ_EVENTS_SSE_TIMEOUT=1s
	id=$(imgq-push uploads/c.jpg)
	run -0 $EVC sse "$EPORT" "/jobs/$id/events" -t 10
	[ "$output" = "queued queued.0 queued
closed" ]
	# the state it saw: nothing new until the stream's time is up
	run -0 $EVC sse "$EPORT" "/jobs/$id/events" -H "Last-Event-ID: queued.0" -t 10
	[ "$output" = "closed" ]
	# a change while it was away comes at once on reconnect
	rcli hset "$(qkey job "$id")" state active attempts 1 >/dev/null
	run -0 $EVC sse "$EPORT" "/jobs/$id/events" -H "Last-Event-ID: queued.0" -t 10
	[ "$output" = "active active.1 active
closed" ]
}

@test "SSE: a client too slow to read is dropped; the others get every event" {
	ev_start IMGQ_EVENTS_WBUF=64k
	big=$(head -c 20000 /dev/zero | tr '\0' x)
	id=$(imgq-push uploads/d.jpg)
	rcli hset "$(qkey job "$id")" name "$big" >/dev/null
	$EVC slow "$EPORT" "/jobs/$id/events" "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/slow" &
	pids+=($!)
	$EVC many 3 "$EPORT" "/jobs/$id/events" -t 60 >"$BATS_TEST_TMPDIR/out" &
	pids+=($!)
	wait_until 10 metric_is 'imgq_events_connections{transport="sse"}' 4
	rcli hset "$(qkey job "$id")" state active >/dev/null
	for i in $(seq 400); do
		echo "PUBLISH $(qkey events) \"$id active w1\""
	done | rcli >/dev/null
	wait_until 30 metric_is imgq_events_slow_dropped_total 1
	set_state "$id" done
	touch "$BATS_TEST_TMPDIR/go"
	wait "${pids[@]}"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = "connected
3 queued,active*400,done" ]
	run -0 cat "$BATS_TEST_TMPDIR/slow"
	[ "$output" = "connected
dropped" ]
	grep -q '^imgq-events: warning: a client too slow to read: dropped' "$BATS_TEST_TMPDIR/ev.err"
}

@test "SSE: the connection cap answers 503 at once; a slot freed is used again" {
	ev_start IMGQ_EVENTS_MAX_CONNS=3
	id=$(imgq-push uploads/e.jpg)
	$EVC many 2 "$EPORT" "/jobs/$id/events" -t 30 >"$BATS_TEST_TMPDIR/out" &
	pids+=($!)
	wait_until 10 metric_is 'imgq_events_connections{transport="sse"}' 2
	curl -sSN --max-time 30 "$EURL/jobs/$id/events" >"$BATS_TEST_TMPDIR/third" &
	pids+=($!)
	wait_until 10 grep -q '^event: queued$' "$BATS_TEST_TMPDIR/third"
	error_is /jobs/$id/events 503 "too many connections"
	set_state "$id" done
	wait "${pids[@]}"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = "connected
2 queued,done" ]
	run -0 curl -sS "$EURL/healthz"
	[ "$output" = '{"ok":true}' ]
	metric_is imgq_events_refused_total 1
}

@test "timeouts: a silent connection is closed after the head timeout; streams end on time with pings" {
	ev_start IMGQ_EVENTS_HEAD_TIMEOUT=300ms IMGQ_EVENTS_SSE_TIMEOUT=1500ms IMGQ_EVENTS_PING=500ms
	run -0 $EVC silent "$EPORT" -t 5
	[ "$output" = "closed" ]
	id=$(imgq-push uploads/f.jpg)
	run -0 curl -sSN --max-time 10 "$EURL/jobs/$id/events"
	[ "${lines[1]}" = "event: queued" ]
	[ "${lines[-1]}" = ": ping" ]
	metric_is imgq_events_timeouts_total 2
}

@test "operators: /events is every event of the queue, /metrics its figures; both need the token" {
	ev_start
	error_is /events 401 "operator credential required"
	error_is /metrics 401 "operator credential required"
	curl -sSN --max-time 20 -H "$OP" "$EURL/events" >"$BATS_TEST_TMPDIR/feed" &
	pids+=($!)
	wait_until 10 metric_is 'imgq_events_connections{transport="sse"}' 1
	rcli publish "$(qkey events)" "0123456789abcdefghijklmnop dead exit 3" >/dev/null
	wait_until 5 grep -q '^data: ' "$BATS_TEST_TMPDIR/feed"
	run -0 cat "$BATS_TEST_TMPDIR/feed"
	[ "$output" = 'event: job
data: {"id":"0123456789abcdefghijklmnop","state":"dead","detail":"exit 3"}' ]
}

@test "Redis: a lost subscription is made again and followers get a catch-up of what they missed" {
	ev_start
	follow_queued uploads/g.jpg
	# the subscription is cut and cannot come back before the change
	rcli config set requirepass not-yet >/dev/null
	rcli -a not-yet --no-auth-warning client kill type pubsub >/dev/null
	wait_until 10 health_is false
	rcli -a not-yet --no-auth-warning hset "$(qkey job "$id")" state active >/dev/null
	rcli -a not-yet --no-auth-warning config set requirepass "" >/dev/null
	wait_until 10 grep -q '^active' "$BATS_TEST_TMPDIR/out"
	set_state "$id" done
	wait "${pids[@]}"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = "queued queued.0 queued
active active.0 active
done done.0 done
closed" ]
	metric_is imgq_events_resubscribed_total 1
}

@test "Redis: a restart under the server: it resubscribes and the stream goes on" {
	ev_start
	follow_queued uploads/h.jpg
	redis_stop
	wait_until 10 health_is false
	error_is /jobs/$id/events 503 "queue unreachable"
	"$IMGQ_TOP/scripts/redis-local" start "$IMGQ_TEST_REDIS_DIR" >/dev/null
	wait_until 10 health_is true
	set_state "$id" done
	wait "${pids[@]}"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = "queued queued.0 queued
done done.0 done
closed" ]
}

@test "WebSocket: the handshake's accept key; jobs from the query and from commands; every state in order" {
	ev_start
	a=$(imgq-push uploads/wa.jpg)
	b=$(imgq-push uploads/wb.jpg)
	$EVC ws "$EPORT" "/events/ws?job=$a" -s "{\"follow\":[\"$b\"]}" -n 6 >"$BATS_TEST_TMPDIR/out" &
	pids+=($!)
	wait_until 10 metric_is 'imgq_events_sent_total{transport="websocket"}' 2
	set_state "$a" active
	set_state "$b" active
	set_state "$a" done
	set_state "$b" dead
	wait "${pids[@]}"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = "event queued $a queued
event queued $b queued
event active $a active
event active $b active
event done $a done
event dead $b dead" ]
}

@test "WebSocket: commands: unknown jobs, bad commands, the feed for operators only" {
	ev_start
	run -0 $EVC ws "$EPORT" /events/ws -n 4 \
		-s '{"follow":"0123456789abcdefghijklmnop"}' -s '{"follow":"ABC"}' \
		-s '{"x":1}' -s '{"feed":true}'
	[ "$output" = 'text {"error":"no such job","id":"0123456789abcdefghijklmnop"}
text {"error":"a job id is of [0-9a-z]"}
text {"error":"unknown command (follow, unfollow, feed)"}
text {"error":"operator credential required"}' ]
	$EVC ws "$EPORT" /events/ws -H "$OP" -s '{"feed":true}' -n 1 >"$BATS_TEST_TMPDIR/out" &
	pids+=($!)
	wait_until 10 metric_is 'imgq_events_connections{transport="websocket"}' 1
	sleep_until_fed() { rcli publish "$(qkey events)" "0123456789abcdefghijklmnop done" >/dev/null; grep -q . "$BATS_TEST_TMPDIR/out"; }
	wait_until 10 sleep_until_fed
	wait "${pids[@]}"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = 'text {"event":"job","job":{"id":"0123456789abcdefghijklmnop","state":"done","detail":""}}' ]
}

@test "WebSocket: handshake checks: version, key, upgrade, Origin" {
	ev_start IMGQ_EVENTS_ORIGINS="https://app.example, https://other.example"
	run -0 $EVC ws "$EPORT" /events/ws -H "Sec-WebSocket-Version: 8"
	[ "$output" = "HTTP 426" ]
	run -0 $EVC ws "$EPORT" /events/ws -H "Sec-WebSocket-Key: c2hvcnQ="
	[ "$output" = "HTTP 400" ]
	error_is /events/ws 426 "a WebSocket upgrade is required"
	run -0 $EVC ws "$EPORT" /events/ws -H "Origin: https://evil.example" -t 2
	[ "$output" = "HTTP 403" ]
	run -0 $EVC ws "$EPORT" /events/ws -H "Origin: http://127.0.0.1:$EPORT" -t 1
	[ "$output" = "timeout" ]
	run -0 $EVC ws "$EPORT" /events/ws -H "Origin: https://other.example" -t 1
	[ "$output" = "timeout" ]
}

@test "WebSocket: malformed frames are each closed with the right code" {
	ev_start IMGQ_EVENTS_FRAME_MAX=125
	# frame (hex, masked with 0 unless said), the close code it gets, what
	while read -r hex want what; do
		run -0 $EVC ws "$EPORT" /events/ws -x "$hex"
		[ "$output" = "close $want" ] || { echo "$what: $output"; false; }
	done <<-EOF
	81026869		1002	text "hi", unmasked
	81fe00c800000000	1009	a 200-byte frame: too big from its header
	838000000000		1002	opcode 3, reserved
	818200000000fffe	1007	text that is not UTF-8
	828100000000ff		1003	binary
	808100000000ff		1002	a continuation of nothing
	888000000000		1000	a close without a code
	8882000000000fa0	4000	a close with 4000: echoed
	88820000000003ed	1002	a close with 1005, which may not be sent
	EOF
	metric_is imgq_events_ws_protocol_errors_total 7
}

@test "WebSocket: ping is answered, fragments are joined, an idle client is pinged then closed with 1001" {
	ev_start IMGQ_EVENTS_IDLE_TIMEOUT=1500ms IMGQ_EVENTS_PING=500ms
	a=$(imgq-push uploads/wc.jpg)
	# ping "hi"; then {"follow":"ID"} in two fragments with a ping between
	first=$(printf '{"follow":"%s' "$a" | od -An -tx1 | tr -d ' \n')
	n1=$(printf '%02x' $((0x80 + ${#first} / 2)))
	run -0 $EVC ws "$EPORT" /events/ws -n 3 -x 898200000000$(printf hi | od -An -tx1 | tr -d ' \n') \
		-x "01${n1}00000000$first" -x 898000000000 -x 808200000000227d
	[ "$output" = "pong
pong
event queued $a queued" ]
	run -0 $EVC ws "$EPORT" /events/ws -t 10
	[ "${lines[0]}" = "ping" ]
	[ "${lines[-1]}" = "close 1001" ]
}

@test "hand-off: imgq-recv, under imgq-prefork -l or one per connection, passes event requests over: one port" {
	export IMGQ_EVENTS_SOCKET=$BATS_TEST_TMPDIR/ev.sock
	ev_start
	# the event routes need no storage: settings that reach none
	RPORT=$(free_port)
	env AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_REGION=us-east-1 \
		AWS_BUCKET_NAME=b AWS_ENDPOINT_URL=http://127.0.0.1:9 \
		imgq-prefork -l "127.0.0.1:$RPORT" -n 2 -- imgq-recv 2>"$BATS_TEST_TMPDIR/recv.err" &
	wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$RPORT/"
	id=$(imgq-push uploads/i.jpg)
	run -0 $EVC sse "$RPORT" "/jobs/$id/events" -t 1
	[ "$output" = "queued queued.0 queued
timeout" ]
	run -0 $EVC ws "$RPORT" "/events/ws?job=$id" -n 1
	[ "$output" = "event queued $id queued" ]
	grep -q "\"GET /events/ws\" 101 " "$BATS_TEST_TMPDIR/recv.err"
	# one imgq-recv per connection (inetd mode) hands over the same way
	IPORT=$(free_port)
	env AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_REGION=us-east-1 \
		AWS_BUCKET_NAME=b AWS_ENDPOINT_URL=http://127.0.0.1:9 IMGQ_RECV_LOG=stderr \
		tcpserver 127.0.0.1 "$IPORT" imgq-recv 2>"$BATS_TEST_TMPDIR/inetd.err" &
	wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$IPORT/"
	run -0 $EVC sse "$IPORT" "/jobs/$id/events" -t 1
	[ "$output" = "queued queued.0 queued
timeout" ]
	metric_is imgq_events_handoffs_total 3
	# the operator's /metrics on the one port has imgq-events' figures too
	# (asked for over a hand-off of its own: the fourth)
	run -0 curl -sS -H "$OP" "http://127.0.0.1:$RPORT/metrics"
	printf '%s\n' "$output" | grep -qx 'imgq_recv_requests_total{status="202"} 0'
	printf '%s\n' "$output" | grep -qx 'imgq_events_up 1'
	printf '%s\n' "$output" | grep -qx 'imgq_events_handoffs_total 4'
	printf '%s\n' "$output" | grep -qx 'imgq_events_connections{transport="sse"} 0'
	# imgq_events_up and the eleven of imgq-events(8)
	[ "$(printf '%s\n' "$output" | grep -c '^# TYPE imgq_events_')" = 12 ]
	# without the operator's credential: 401 from imgq-recv, nothing asked
	run -0 curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RPORT/metrics"
	[ "$output" = 401 ]
	metric_is imgq_events_handoffs_total 4
	# with the event server gone: a clean 503 from imgq-recv
	kill "$(pgrep -f "imgq-events -l 127.0.0.1:$EPORT")"
	wait_until 10 test ! -e "$IMGQ_EVENTS_SOCKET"
	run -0 curl -sS -w ' %{http_code}' "http://127.0.0.1:$RPORT/jobs/$id/events"
	[ "$output" = '{"error":"event server unreachable","status":503}
 503' ]
	# and /metrics says so, with imgq-recv's own figures still there
	run -0 curl -sS -H "$OP" "http://127.0.0.1:$RPORT/metrics"
	printf '%s\n' "$output" | grep -qx 'imgq_events_up 0'
	printf '%s\n' "$output" | grep -q '^imgq_recv_uploads_total 0$'
	[ "$(printf '%s\n' "$output" | grep -c '^imgq_events_')" = 1 ]
}
