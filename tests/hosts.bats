#!/usr/bin/env bats
# imgq on several hosts (tests/hosts/sim): Redis, the S3 service, an ingest
# host and three worker hosts, each in a network namespace of its own, with
# 20 ms +- 5 ms round trips to S3 and 1 ms to Redis; then a worker host
# lost, Redis unplugged for 10 s and an S3 link that resets and stalls.
# The tests run in order on one simulation (a lost host is replaced before
# the next test).  Needs root (ip netns).

load helpers/common

SIM=$IMGQ_TOP/tests/hosts/sim

setup_file() {
	imgq_setup_file
	[ "$(id -u)" = 0 ] || skip "needs root (ip netns)"
	local probe=imgq-probe-$$
	if ! ip netns add "$probe" 2>/dev/null; then
		skip "ip netns add does not work here"
	fi
	ip netns del "$probe"
	local c
	for c in gm jq redis-server curl; do
		command -v "$c" >/dev/null || skip "$c is not installed"
	done
	$PY -c 'import swift' 2>/dev/null || skip "python3-swift is not installed"
	export H=$BATS_FILE_TMPDIR/sim
	# A short lease, so that a lost host's jobs come back within the
	# test; a short S3 stall limit, so that a stalled transfer is retried
	# within it.
	printf 'IMGQ_LEASE=3s\nIMGQ_S3_TIMEOUT=2s\n' >"$BATS_FILE_TMPDIR/extra.env"
	"$SIM" up "$H" -e "$BATS_FILE_TMPDIR/extra.env" 3>&-
}

teardown_file() {
	[ -z "${H:-}" ] || "$SIM" down "$H"
}

teardown() {
	stop_children
}

rc() { "$SIM" exec "$H" redis redis-cli -p "$(cat "$H/redis/port")" "$@" </dev/null; }

# The consumers (imgq-pop processes) of worker host HOST that Redis knows:
# the host's name starts theirs (each worker host has its own hostname).
consumers_of() { # host
	rc ZRANGE "{imgq}:consumers" 0 -1 | grep "^$1\."
}

holds_a_job() { # host
	local c
	for c in $(consumers_of "$1"); do
		[ "$(rc LLEN "{imgq}:c:$c")" -gt 0 ] && return 0
	done
	return 1
}

# Asserts a report of "sim report": the hosts' counts (each > 0 unless
# named in SKIP) add up to N, done-twice, and the variants of N jobs.
check_report() { # n skip-host
	local n=$1 skip=${2:-} sum=0 l h k
	for l in "${lines[@]:0:3}"; do
		read -r h k <<<"$l"
		[[ "$h" == w[123] ]]
		[ "$h" = "$skip" ] || [ "$k" -gt 0 ]
		sum=$((sum + k))
	done
	[ "${lines[3]%% *}" = done-twice ]
	[ "${lines[4]%% *}" = rerun ]
	[ "${lines[5]}" = "variants $((2 * n))" ]
	[ "${#lines[@]}" = 6 ]
	# A job done on two hosts is counted by both.
	[ "$sum" = $((n + ${lines[3]#* })) ]
}

@test "hosts: 300 uploads through the ingest host: every variant stored, work done on each of the three worker hosts" {
	run -0 "$SIM" upload "$H" 300 8
	[ "$output" = "300 of 300 uploads accepted" ]
	run -0 "$SIM" wait "$H" 180
	[ "$output" = "300 done, 0 dead of 300" ]
	run -0 "$SIM" report "$H"
	echo "$output" | tr '\n' ' ' | sed 's/^/# /; s/ $/\n/' >&3
	check_report 300
	[ "${lines[3]}" = "done-twice 0" ]
	[ "${lines[4]}" = "rerun 0" ]
}

@test "hosts: a worker host lost mid-run (kill -9 of all, cable cut): its leased jobs come back after the lease and finish elsewhere" {
	"$SIM" upload "$H" 120 8 >"$BATS_TEST_TMPDIR/up" 3>&- &
	up=$!
	wait_until 60 holds_a_job w3
	"$SIM" link "$H" w3 down
	"$SIM" crash "$H" w3
	# What w3 held when it died (its lists stay until they are reaped).
	for c in $(consumers_of w3); do
		rc LRANGE "{imgq}:c:$c" 0 -1
	done >"$BATS_TEST_TMPDIR/lost"
	lost=$(wc -l <"$BATS_TEST_TMPDIR/lost")
	[ "$lost" -ge 1 ]
	wait "$up"
	[ "$(cat "$BATS_TEST_TMPDIR/up")" = "120 of 120 uploads accepted" ]
	run -0 "$SIM" wait "$H" 120
	[ "$output" = "120 done, 0 dead of 120" ]
	# The host comes back (a replacement machine) for the next tests.
	"$SIM" link "$H" w3 up
	"$SIM" workers "$H" w3
	# Each lost job ran again (its attempt counted) and was settled done
	# by w1 or w2, never by w3.
	while read -r id; do
		[ "$(rc HGET "{imgq}:job:$id" attempts)" -ge 2 ]
		[ "$(rc HGET "{imgq}:job:$id" state)" = "done" ]
		grep -q "^imgq-pop: info: job $id: done$" "$H/log/w1.log" "$H/log/w2.log"
		run -1 grep -q "^imgq-pop: info: job $id: done$" "$H/log/w3.log"
	done <"$BATS_TEST_TMPDIR/lost"
	run -0 "$SIM" report "$H"
	echo "# lost with w3: $lost job(s); $(echo "$output" | tr '\n' ' ')" >&3
	check_report 120 w3
	# The lost runs are counted again (rerun); none was settled twice.
	[ "${lines[3]}" = "done-twice 0" ]
	[ "${lines[4]#* }" -ge "$lost" ]
}

@test "hosts: Redis unplugged for 10 s: the ingest and the workers ride it out within the retry window" {
	for h in ingest w1 w2 w3; do
		wc -l <"$H/log/$h.log" >"$BATS_TEST_TMPDIR/$h.lines"
	done
	"$SIM" upload "$H" 60 4 >"$BATS_TEST_TMPDIR/up" 3>&- &
	up=$!
	wait_until 60 test -s "$H/up/5.json"
	t0=$SECONDS
	"$SIM" link "$H" redis down
	# The outage's length (not a wait for something).
	sleep 10
	"$SIM" link "$H" redis up
	wait "$up"
	[ "$(cat "$BATS_TEST_TMPDIR/up")" = "60 of 60 uploads accepted" ]
	run -0 "$SIM" wait "$H" 60
	[ "$output" = "60 done, 0 dead of 60" ]
	echo "# all done $((SECONDS - t0)) s after the cut began" >&3
	# The ingest felt it: it answered 503 (Retry-After), and the client's
	# retry got each upload in.
	tail -n +"$(($(cat "$BATS_TEST_TMPDIR/ingest.lines") + 1))" "$H/log/ingest.log" >"$BATS_TEST_TMPDIR/ingest.new"
	grep -q '"POST /upload" 503 ' "$BATS_TEST_TMPDIR/ingest.new"
	# No imgq-pop gave up (75) or was restarted: each rode out the cut
	# within IMGQ_REDIS_RETRY (30 s).
	for h in w1 w2 w3; do
		tail -n +"$(($(cat "$BATS_TEST_TMPDIR/$h.lines") + 1))" "$H/log/$h.log" >"$BATS_TEST_TMPDIR/$h.new"
		run -1 grep -E 'imgq-prefork: .*child [0-9]+ exited|imgq-pop: fatal' "$BATS_TEST_TMPDIR/$h.new"
	done
	run -0 "$SIM" report "$H"
	echo "# $(echo "$output" | tr '\n' ' ')" >&3
	[ "${lines[5]}" = "variants 120" ]
}

@test "hosts: an S3 link that resets 5% of connections and stalls some mid-body: uploads and jobs succeed through retries" {
	"$SIM" proxy "$H" s3 --reset 0.05 --stall 0.03 --fault-after 16384
	run -0 "$SIM" upload "$H" 100 8
	[ "$output" = "100 of 100 uploads accepted" ]
	run -0 "$SIM" wait "$H" 120
	[ "$output" = "100 done, 0 dead of 100" ]
	run -0 "$SIM" report "$H"
	[ "${lines[5]}" = "variants 200" ]
	# The faults happened.
	resets=$(grep -c '^CONN reset$' "$H/log/s3-proxy.conn")
	stalls=$(grep -c '^CONN stall$' "$H/log/s3-proxy.conn")
	echo "# S3 connections reset: $resets, stalled: $stalls; $(echo "$output" | tr '\n' ' ')" >&3
	[ "$resets" -ge 1 ]
	[ "$stalls" -ge 1 ]
	"$SIM" proxy "$H" s3
}
