#!/usr/bin/env bats
# imgq-pop and imgq-push against a Redis that answers LOADING: they wait
# (IMGQ_REDIS_RETRY) and then succeed, or exit 75 after the bound.
#
# The Redis of these tests loads slowly on purpose: a dataset of 10,000
# keys and key-load-delay (a Redis test setting, in microseconds per key),
# with loading-process-events-interval-bytes small, so that it serves
# clients, with LOADING, for 2 s or more while it loads.

load helpers/common

KEYS=10000
DELAY_US=200

setup_file() {
	imgq_setup_file
	S=$BATS_FILE_TMPDIR/slow
	mkdir -p "$S"
	SLOW_PORT=$(free_port)
	export S SLOW_PORT
	slow_server
	redis-cli -p "$SLOW_PORT" eval "for i = 1, $KEYS do redis.call('SET', 'filler:' .. i, i) end return 1" 0 >/dev/null
	redis-cli -p "$SLOW_PORT" save >/dev/null
	slow_stop
}

teardown_file() {
	slow_stop
	imgq_teardown_file
}

setup() {
	export IMGQ_QUEUE=loading$BATS_TEST_NUMBER
	export REDIS_URL=redis://127.0.0.1:$SLOW_PORT/0
	T=$BATS_TEST_TMPDIR
}

teardown() {
	stop_children
	slow_stop
}

sping() { redis-cli -p "$SLOW_PORT" ping 2>&1; }

# Starts the server on the dataset; extra arguments are its settings.
slow_server() {
	redis-server --port "$SLOW_PORT" --bind 127.0.0.1 --dir "$S" \
	    --save '' --appendonly no --logfile "$S/log" "$@" </dev/null >/dev/null 2>&1 &
	echo $! >"$S/pid"
	wait_until 10 sh -c "redis-cli -p $SLOW_PORT ping 2>&1 | grep -q -e PONG -e LOADING"
}

# Starts it loading slowly; returns once it answers LOADING.
slow_loading() {
	slow_server --key-load-delay "$DELAY_US" \
	    --loading-process-events-interval-bytes 1024
	[ "$(sping)" = "LOADING Redis is loading the dataset in memory" ]
}

slow_stop() {
	[ -f "$S/pid" ] || return 0
	local p
	p=$(cat "$S/pid")
	kill -KILL "$p" 2>/dev/null || true
	wait_until 10 sh -c "! kill -0 $p 2>/dev/null"
	rm -f "$S/pid"
}

@test "while Redis is LOADING, imgq-push and imgq-pop wait, then succeed" {
	slow_loading
	IMGQ_REDIS_RETRY=60s imgq-push a.png >"$T/id" 2>"$T/push.err" &
	push=$!
	IMGQ_REDIS_RETRY=60s imgq-pop -w 60s sh -c 'echo ran' 2>"$T/pop.err" &
	pop=$!
	# Both started against a server that is still loading.
	[ "$(sping)" = "LOADING Redis is loading the dataset in memory" ]
	rc=0; wait $push || rc=$?
	[ "$rc" = 0 ]
	rc=0; wait $pop || rc=$?
	[ "$rc" = 0 ]
	[ "$(sping)" = PONG ]
	id=$(cat "$T/id")
	[ "$(imgq-stat job -f state "$id")" = done ]
	[ "$(imgq-stat job -f outputs "$id")" = ran ]
	[ "$(imgq-stat job -f attempts "$id")" = 1 ]
	[ ! -s "$T/push.err" ]
	[ ! -s "$T/pop.err" ]
	# And the dataset it loaded is all there.
	[ "$(redis-cli -p "$SLOW_PORT" get filler:$KEYS)" = $KEYS ]
}

@test "a consumer waiting for a job rides out a restart that answers LOADING" {
	slow_server
	IMGQ_REDIS_RETRY=60s imgq-pop -w 60s sh -c 'echo "$IMGQ_SRC"' 2>"$T/pop.err" &
	pop=$!
	wait_until 10 sh -c "redis-cli -p $SLOW_PORT zcard '$(qkey consumers)' | grep -qx 1"
	slow_stop
	slow_loading
	id=$(IMGQ_REDIS_RETRY=60s imgq-push b.png)
	rc=0; wait $pop || rc=$?
	[ "$rc" = 0 ]
	[ "$(imgq-stat job -f state "$id")" = done ]
	[ "$(imgq-stat job -f outputs "$id")" = b.png ]
	[ ! -s "$T/pop.err" ]
}

@test "LOADING past IMGQ_REDIS_RETRY: imgq-push and imgq-pop exit 75" {
	slow_loading
	IMGQ_REDIS_RETRY=300ms run -75 imgq-push a.png
	[ "$output" = "imgq-push: fatal: SCRIPT LOAD: Redis: LOADING Redis is loading the dataset in memory" ]
	IMGQ_REDIS_RETRY=300ms run -75 imgq-pop true
	[ "$output" = "imgq-pop: fatal: SCRIPT LOAD: Redis: LOADING Redis is loading the dataset in memory" ]
	IMGQ_REDIS_RETRY=300ms run -75 imgq-stat depth
	[ "$output" = "imgq-stat: fatal: SCRIPT LOAD: Redis: LOADING Redis is loading the dataset in memory" ]
	# The bound ended them, not the end of the loading.
	[ "$(sping)" = "LOADING Redis is loading the dataset in memory" ]
}

@test "LOADING after imgq-pop took a job: the job is settled once Redis is back, within the bound" {
	slow_server
	id=$(imgq-push c.png)
	IMGQ_REDIS_RETRY=60s imgq-pop sh -c "touch $T/started; while [ ! -e $T/go ]; do sleep 0.02; done; echo finished" 2>"$T/pop.err" &
	pop=$!
	wait_until 10 test -e "$T/started"
	# Redis restarts from its snapshot of this moment, slowly.
	redis-cli -p "$SLOW_PORT" save >/dev/null
	slow_stop
	slow_loading
	touch "$T/go"
	rc=0; wait $pop || rc=$?
	[ "$rc" = 0 ]
	[ "$(imgq-stat job -f state "$id")" = done ]
	[ "$(imgq-stat job -f outputs "$id")" = finished ]
}
