#!/usr/bin/env bats
# redis+sentinel://: one master, two replicas and three sentinels on
# loopback; every queue program through the sentinels, and a failover
# (SENTINEL FAILOVER) in the middle of a run of 500 jobs with workers.

load helpers/common
load helpers/recv
load helpers/queue
load helpers/redis-topo

setup_file() {
	imgq_setup_file
	sentinel_topo || return 1
	s3_start
	export REDIS_URL=$SENTINEL_URL REDIS_PORT=$MASTER_PORT
}

setup() {
	topo_setup sent
	# helpers/queue's rcli follows the master wherever it is now
	REDIS_PORT=$(sentinel_field port)
}

@test "push, stat, pop, watch and an imgq-recv upload through the sentinels" {
	imgq-watch -f -t 20s >"$T/out" &
	w=$!
	wait_until 5 subscribers 1
	run -0 imgq-push -b photos uploads/a.png
	a=$output
	[ "$(imgq-stat depth)" = 1 ]
	run -0 imgq-pop sh -c 'echo "$IMGQ_BUCKET/$IMGQ_SRC" >"$0"' "$T/ran"
	[ "$(cat "$T/ran")" = photos/uploads/a.png ]
	[ "$(state "$a")" = done ]
	wait_until 5 grep -qx "$a done" "$T/out"
	kill "$w"
	topo_upload
	[ "$(state "$ID")" = queued ]
	# What the program wrote is on the master the sentinels name.
	[ "$(rcli hget "$(qkey job "$ID")" state)" = queued ]
}

@test "a dead sentinel is skipped; an unknown master name is 78; no sentinel up is 75" {
	p=$(free_port)
	run -0 env REDIS_URL="redis+sentinel://127.0.0.1:$p,${SENTINEL_URL#redis+sentinel://}" imgq-stat depth
	[ "$output" = 0 ]
	run -78 env REDIS_URL="${SENTINEL_URL%/mymaster}/nosuch" imgq-stat depth
	[ "$output" = "imgq-stat: fatal: no sentinel knows a master named nosuch" ]
	run -75 env REDIS_URL="redis+sentinel://127.0.0.1:$p/mymaster" IMGQ_REDIS_RETRY=0 imgq-stat depth
	[ "$output" = "imgq-stat: fatal: no sentinel answered: unable to connect to 127.0.0.1:$p: Connection refused" ]
}

@test "a replica named as the master (a failover under way) is refused, and retried" {
	# ROLE is checked on connect: straight to a replica, writes fail.
	r=$(cat "$BATS_FILE_TMPDIR/r1/port")
	run -75 env REDIS_URL="redis://127.0.0.1:$r" IMGQ_REDIS_RETRY=0 imgq-push a.png
	[[ "$output" == "imgq-push: fatal: "*"READONLY"* ]]
}

# Jobs done by the workers, one id a line.
ran() { sort -u "$T/ran" | wc -l; }
done_count() { [ "$(summary done)" -ge "$1" ]; }

@test "SENTINEL FAILOVER in the middle of 500 jobs with 2 workers: none lost" {
	export IMGQ_LEASE=2s IMGQ_REDIS_RETRY=60s
	seq 1 500 | sed 's/$/.png/' | imgq-push >"$T/ids"
	[ "$(sort -u "$T/ids" | wc -l)" = 500 ]
	# Acknowledged by both replicas before the failover begins.
	[ "$(rcli wait 2 5000)" = 2 ]
	old=$(sentinel_field port)
	for i in 1 2; do
		imgq-pop -l sh -c 'echo "$IMGQ_JOB_ID" >>"$0"; sleep 0.01' "$T/ran" 2>>"$T/pop.err" &
	done
	wait_until 60 done_count 100
	run -0 redis-cli -h 127.0.0.1 -p "${SENTINEL_PORTS%% *}" sentinel failover mymaster
	[ "$output" = OK ]
	wait_until 30 eval '[ "$(sentinel_field port)" != "$old" ]'
	wait_until 120 done_count 500 || {
		imgq-stat -o tsv; echo "ran $(ran)"; jobs -l; tail -n 20 "$T/pop.err"
		false
	}
	[ "$(summary done)" = 500 ]
	[ "$(summary queued)" = 0 ]
	[ "$(summary dead)" = 0 ]
	[ "$(imgq-stat depth)" = 0 ]
	# Every job pushed ran (some twice: at least once), and no other.
	[ "$(ran)" = 500 ]
	[ "$(sort -u "$T/ran")" = "$(sort "$T/ids")" ]
	# The workers lived through it.
	[ "$(jobs -p | wc -l)" = 2 ]
}

@test "IMGQ_REDIS_WAIT: pushes and settles wait for replicas; too few in time is 75" {
	# (After the failover above, the old master may still be syncing.)
	MASTER_PORT=$REDIS_PORT wait_until 30 _replicas_online
	export IMGQ_REDIS_WAIT=2 IMGQ_REDIS_WAIT_TIMEOUT=5s
	run -0 imgq-push a.png
	a=$output
	run -0 imgq-pop true
	[ "$(state "$a")" = done ]
	# Three replicas asked of two: the push is made, but not confirmed.
	export IMGQ_REDIS_WAIT=3 IMGQ_REDIS_WAIT_TIMEOUT=200ms
	run -75 imgq-push b.png
	[ "$output" = "imgq-push: fatal: WAIT: 2 of 3 replicas confirmed the write in 200 ms" ]
	# The pushed job ran; its settle was made on the master, unconfirmed.
	run -75 imgq-pop true
	[[ "$output" =~ ^"imgq-pop: error: job "([0-9a-z]{26})": cannot settle: WAIT: 2 of 3 replicas confirmed the write in 200 ms"$ ]]
	b=${BASH_REMATCH[1]}
	[ "$(field "$b" src)" = b.png ]
	[ "$(state "$b")" = done ]
}
