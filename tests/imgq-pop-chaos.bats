#!/usr/bin/env bats
# The promises of the queue under failure: kill -9 of workers and their
# commands, a worker stopped past its lease, a poison pill, a Redis restart.

load helpers/common
load helpers/queue

setup() {
	queue_setup chaos
}

# One field of every job in a file, one redis-cli for all (not hundreds
# of imgq-stat runs).
hget_all() { # file field
	sed "s/.*/HGET $(qkey job "")& $2/" "$1" | rcli
}

# States of all the ids in a file, counted: "N done".
states() { # file
	hget_all "$1" state | sort | uniq -c | sed 's/^ *//'
}

done_count() { summary done; }

# For wait_until (arguments are expanded once, so these re-read).
done_is() { [ "$(done_count)" = "$1" ]; }
done_at_least() { [ "$(done_count)" -ge "$1" ]; }
reaps() { [ "$(imgq-stat reap)" = "$1" ]; }
no_live_consumer() {
	[ "$(rcli zcount "$(qkey consumers)" "($(date +%s%3N)" +inf)" = 0 ]
}

@test "chaos: 200 jobs, two consumers, kill -9 of a consumer or its command: every job done, none lost" {
	seq 1 200 | sed 's/$/.png/' | imgq-push >"$T/ids"
	[ "$(sort -u "$T/ids" | wc -l)" = 200 ]
	start() { # slot
		imgq-pop -l -L 1s -a 100 -b 10ms -K 100ms \
		    sh -c 'sleep 0.01; echo "$IMGQ_JOB_ID"' 2>>"$T/err" &
		pids[$1]=$!
	}
	start 0
	start 1
	kills=0
	for i in $(seq 1 30); do
		# Pacing of the chaos (not a wait for anything).
		sleep "0.$((1 + RANDOM % 3))"
		[ "$(done_count)" -lt 200 ] || break
		k=$((RANDOM % 2))
		if [ $((RANDOM % 2)) = 0 ]; then
			kill -9 "${pids[$k]}" 2>/dev/null || true
			wait "${pids[$k]}" 2>/dev/null || true
			start "$k"
		else
			c=$(pgrep -P "${pids[$k]}" | head -n 1) || true
			[ -z "$c" ] || kill -9 "$c" 2>/dev/null || true
		fi
		kills=$((kills + 1))
	done
	[ "$kills" -ge 3 ]
	echo "# chaos loop over at $SECONDS s, done $(done_count)" >&3
	wait_until 120 done_is 200
	echo "# all done at $SECONDS s" >&3
	[ "$(states "$T/ids")" = "200 done" ]
	# The kills did hit jobs: some ran more than once.
	[ "$(hget_all "$T/ids" attempts | grep -cvx 1)" -ge 1 ]
	[ "$(imgq-stat depth)" = 0 ]
	run -0 imgq-stat -o tsv
	[[ "$output" == *"dead	0"* ]]
	[[ "$output" == *"delayed	0"* ]]
	# Stop the consumers; reap the ones killed: no consumer list is left.
	for p in "${pids[@]}"; do kill -TERM "$p"; done
	for p in "${pids[@]}"; do wait "$p" || true; done
	pids=()
	wait_until 5 no_live_consumer
	run -0 imgq-stat reap
	[ "$output" = 0 ]
	[ "$(rcli --scan --pattern "$(qkey c '*')")" = "" ]
	consumers_are 0
}

@test "a poison pill that kills its worker ends dead after the attempt limit, not in a crash loop" {
	id=$(imgq-push poison.png)
	for i in $(seq 1 8); do
		imgq-pop -L 1s -a 3 -w 3s sh -c 'kill -9 $PPID; sleep 5' 2>/dev/null || true
		[ "$(field "$id" state)" = dead ] && break
	done
	[ "$(field "$id" state)" = dead ]
	[ "$(field "$id" attempts)" = 3 ]
	[[ "$(field "$id" error)" == "worker lost: lease of "*" expired (attempt limit 3 reached)" ]]
}

@test "SIGSTOP past the lease, then SIGCONT: exactly one final record, the late worker cannot overwrite it" {
	imgq-watch -f >"$T/events" &
	pids=($!)
	wait_until 5 subscribers 1
	id=$(imgq-push a.png)
	imgq-pop -L 1s -c late sh -c "touch $T/a-started; while [ ! -e $T/go ]; do sleep 0.02; done; echo from-late" 2>"$T/late.err" &
	late=$!
	pids+=("$late")
	wait_until 5 test -e "$T/a-started"
	kill -STOP "$late"
	# Its lease runs out; the reaper hands the job out again.
	wait_until 10 reaps 1
	run -0 imgq-pop -c second -w 2s sh -c 'echo from-second'
	[ "$(field "$id" state)" = done ]
	touch "$T/go"
	kill -CONT "$late"
	rc=0
	wait "$late" || rc=$?
	pids=("${pids[0]}")
	[ "$rc" = 0 ]
	grep -q "imgq-pop: warning: job $id: lease lost: the job was handed to another consumer; this run's result (exit 0) is discarded" "$T/late.err"
	[ "$(field "$id" state)" = done ]
	[ "$(field "$id" outputs)" = from-second ]
	[ "$(field "$id" run)" = 2 ]
	[ "$(field "$id" attempts)" = 2 ]
	[ "$(rcli zscore "$(qkey done)" "$id")" != "" ]
	[ "$(imgq-stat depth)" = 0 ]
	wait_until 5 grep -q "^$id done" "$T/events"
	[ "$(grep -c "^$id done" "$T/events")" = 1 ]
	[ "$(grep -c "^$id queued worker lost: lease of late expired" "$T/events")" = 1 ]
}

@test "Redis killed and restarted mid-run with AOF on: consumers reconnect, no acknowledged job is lost" {
	export IMGQ_REDIS_RETRY=30s
	seq 1 60 | sed 's/$/.png/' | imgq-push >"$T/ids"
	[ "$(wc -l <"$T/ids")" = 60 ]
	for k in 0 1; do
		imgq-pop -l -L 2s -b 10ms sh -c 'sleep 0.03; echo ok' 2>>"$T/err" &
		pids[$k]=$!
	done
	wait_until 20 done_at_least 10
	# kill -9: only what the AOF got by write(2) survives (everysec).
	kill -9 "$(cat "$IMGQ_TEST_REDIS_DIR/redis.pid")"
	rm -f "$IMGQ_TEST_REDIS_DIR/redis.pid"
	"$IMGQ_TOP/scripts/redis-local" start "$IMGQ_TEST_REDIS_DIR" >/dev/null
	[ "$(cat "$IMGQ_TEST_REDIS_DIR/port")" = "$REDIS_PORT" ]
	wait_until 60 done_is 60
	[ "$(states "$T/ids")" = "60 done" ]
	kill -0 "${pids[0]}"
	kill -0 "${pids[1]}"
}
