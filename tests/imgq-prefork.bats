#!/usr/bin/env bats
# imgq-prefork: the supervisor keeps N children, restarts with backoff,
# halts, shares a listening socket through reloads, stops gracefully and
# scales on a probe.  No fixed sleeps: everything is polled with wait_until.

load helpers/common

setup_file() {
	imgq_setup_file
	cc -O2 -o "$BATS_FILE_TMPDIR/http-responder" \
	    "$IMGQ_TOP/tests/helpers/http-responder.c"
	export RESP=$BATS_FILE_TMPDIR/http-responder
}

teardown_file() {
	imgq_teardown_file
}

setup() {
	D=$BATS_TEST_TMPDIR
	LOG=$D/pf.log
	PF=
}

teardown() {
	stop_children
}

# Starts imgq-prefork in the background (without bats' fd 3); PF is its pid.
start_pf() { start_raw imgq-prefork "$@"; }
start_raw() {
	"$@" >"$D/pf.out" 2>"$LOG" 3>&- &
	PF=$!
}

# Sends a signal and waits for imgq-prefork to exit; STATUS is its status.
stop_pf() { # [signal]
	kill "-${1:-TERM}" "$PF"
	wait_until 20 not_running "$PF"
	STATUS=0
	wait "$PF" || STATUS=$?
}

not_running() { ! kill -0 "$1" 2>/dev/null; }
not_group() { ! pgrep -g "$1" >/dev/null; }

# The children of imgq-prefork named NAME (the probe is another name).
kids() { pgrep -P "$PF" -x "${1:-sleep}" | sort -n; }
nkids() { [ "$(kids "${2:-sleep}" | wc -l)" = "$1" ]; }
log_has() { grep -qF -- "$1" "$LOG"; }
log_count() { [ "$(grep -cF -- "$1" "$LOG")" -ge "$2" ]; }

@test "no command: usage, exit 64" {
	run -64 --separate-stderr imgq-prefork -n 2
	[ "$output" = "" ]
	[[ "$stderr" == "usage: imgq-prefork [-s] [-b backlog] [-c cooldown] "* ]]
	run -64 --separate-stderr imgq-prefork -n many -- true
	[ "${stderr_lines[0]}" = "imgq-prefork: fatal: -n: not a number: 'many'" ]
	run -64 --separate-stderr imgq-prefork -m 1 -- true
	[ "${stderr_lines[0]}" = "imgq-prefork: fatal: -m and -M need a probe (-p)" ]
	run -64 --separate-stderr imgq-prefork -l nonsense -- true
	[ "${stderr_lines[0]}" = "imgq-prefork: fatal: -l nonsense: expected ADDRESS:PORT or unix:PATH" ]
}

@test "N children run, each in its own process group; TERM stops them, exit 0" {
	start_pf -n 3 -- sleep 1000
	wait_until 10 nkids 3
	for p in $(kids); do
		[ "$(ps -o pgid= -p "$p" | tr -d ' ')" = "$p" ]
	done
	kids >"$D/before"
	stop_pf TERM
	[ "$STATUS" = 0 ]
	[ ! -s "$D/pf.out" ]
	for p in $(cat "$D/before"); do not_running "$p"; done
	[ "$(grep -c 'ended after' "$LOG")" = 3 ]
	[ "$(tail -n 1 "$LOG")" = "imgq-prefork: info: stopped" ]
}

@test "-n Nx: N children for each CPU online; a count above 1024 or not a number is refused" {
	local cpus
	cpus=$(getconf _NPROCESSORS_ONLN)
	start_pf -n 2x -- sleep 1000
	wait_until 10 nkids $((2 * cpus))
	sleep 0.3
	[ "$(kids | wc -l)" = $((2 * cpus)) ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
	run -64 --separate-stderr imgq-prefork -n 1025x -- true
	[ "${stderr_lines[0]}" = "imgq-prefork: fatal: -n: 1025 is out of range 0..1024" ]
	run -64 --separate-stderr imgq-prefork -m 1 -M 2y -p true -- true
	[ "${stderr_lines[0]}" = "imgq-prefork: fatal: -M: not a number: '2y'" ]
}

@test "kill -9 of a child: it is replaced" {
	# -u 1h: every run is short, so the delay is the first step, 100ms.
	start_pf -n 2 -u 1h -- sleep 1000
	wait_until 10 nkids 2
	victim=$(kids | head -n 1)
	kill -9 "$victim"
	wait_until 10 log_has "pid $victim, signal 9 (Killed), retry; restart in 100ms"
	wait_until 10 nkids 2
	kids >"$D/now"
	run -1 grep -qx "$victim" "$D/now"
	stop_pf INT
	[ "$STATUS" = 0 ]
	log_has "imgq-prefork: info: stopping: SIGINT, grace period 10.0s"
}

@test "a command that dies at once backs off; a good run resets the delay" {
	start_pf -n 1 -- false
	t0=$(date +%s%N)
	wait_until 20 log_has "restart in 800ms"
	t1=$(date +%s%N)
	# 100 + 200 + 400 ms of waiting before the fourth exit, at least.
	[ $(((t1 - t0) / 1000000)) -ge 700 ]
	run -0 sh -c "grep -o 'restart in .*' '$LOG' | head -n 4"
	[ "$output" = "restart in 100ms
restart in 200ms
restart in 400ms
restart in 800ms" ]
	# Not spinning: the fifth start is 800ms away (allow for a slow poll).
	[ "$(grep -c 'started: pid' "$LOG")" -le 5 ]
	stop_pf TERM
	[ "$STATUS" = 0 ]

	: >"$LOG"
	start_pf -n 1 -u 100ms -- sh -c 'sleep 0.3; exit 75'
	wait_until 20 log_count "exit 75, retry; restart now" 2
	run -1 log_has "restart in"
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "exit 78 is not restarted and imgq-prefork exits 78" {
	run -78 --separate-stderr imgq-prefork -n 2 -- sh -c 'exit 78'
	[ "$output" = "" ]
	[ "$(printf '%s\n' "${stderr_lines[@]}" | grep -c 'halted after .*, exit 78, halt; not restarted')" = 2 ]
	[ "$(printf '%s\n' "${stderr_lines[@]}" | grep -c 'started: pid')" = 2 ]
	[ "${stderr_lines[-1]}" = "imgq-prefork: fatal: every child halted: last exit 78 (EX_CONFIG)" ]
}

@test "a missing command halts with 78; other halts keep the rest running" {
	run -78 --separate-stderr imgq-prefork -- /nonexistent/cmd
	# The child's line can come before or after the one of its start.
	[ "$(printf '%s\n' "${stderr_lines[@]:0:2}" | sed 's/pid [0-9]*$/pid N/' | sort)" = "imgq-prefork: fatal: unable to run /nonexistent/cmd: No such file or directory
imgq-prefork: info: child 1 started: pid N" ]
	[ "${stderr_lines[-1]}" = "imgq-prefork: fatal: every child halted: last exit 78 (EX_CONFIG)" ]

	start_pf -n 2 -- sh -c '[ "$IMGQ_PREFORK_SLOT" = 1 ] && exit 77; exec sleep 1000'
	wait_until 10 log_has "exit 77, halt; not restarted"
	wait_until 10 nkids 1
	kill -USR1 "$PF"
	wait_until 10 log_has "child 1: halted, restarts 0, last exit 77, halt"
	log_has "imgq-prefork: info: pool: 2 wanted, 2 entries, generation 1"
	grep -q "imgq-prefork: info: child 2: pid [0-9]*, ready, up [0-9.]*m*s, restarts 0$" "$LOG"
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "-l: 2,000 requests through two reloads and a killed child, zero failures" {
	port=$(free_port)
	start_pf -l "127.0.0.1:$port" -n 4 -d 3 -- "$RESP"
	wait_until 10 log_count "ready: pid" 4
	log_has "imgq-prefork: info: listening on 127.0.0.1:$port"
	"$PY" "$IMGQ_TOP/tests/helpers/http-loop.py" 127.0.0.1 "$port" 2000 \
	    "$D/stop" "$D/progress" >"$D/client.out" 2>"$D/client.err" 3>&- &
	client=$!
	progress_ge() { [ "$(cat "$D/progress" 2>/dev/null || echo 0)" -ge "$1" ]; }
	wait_until 60 progress_ge 200
	kill -HUP "$PF"
	wait_until 60 log_has "reload: generation 2 running"
	p=$(cat "$D/progress")
	wait_until 60 progress_ge $((p + 200))
	kill -HUP "$PF"
	wait_until 60 log_has "reload: generation 3 running"
	p=$(cat "$D/progress")
	wait_until 60 progress_ge $((p + 200))
	victim=$(kids http-responder | head -n 1)
	kill -TERM "$victim"
	wait_until 30 log_has "pid $victim, exit 0, success; restart"
	p=$(cat "$D/progress")
	wait_until 60 progress_ge $((p + 200))
	touch "$D/stop"
	wait "$client"
	cat "$D/client.err" >&2
	read -r w1 n w2 failed <"$D/client.out"
	[ "$w1 $w2" = "requests failed" ]
	[ "$n" -ge 2000 ]
	[ "$failed" = 0 ]
	[ "$(grep -c 'replaces pid' "$LOG")" = 8 ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "-l unix:PATH: children answer on the socket, removed at the end" {
	# A socket file left behind by a dead server is replaced.
	"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/s"
	[ -S "$D/s" ]
	start_pf -l "unix:$D/s" -n 2 -- "$RESP"
	wait_until 10 nkids 2 http-responder
	run -0 curl -sS --max-time 5 --unix-socket "$D/s" http://x/
	[[ "$output" == "ok "* ]]
	stop_pf TERM
	[ "$STATUS" = 0 ]
	[ ! -e "$D/s" ]
}

@test "-l on an address in use: exit 75" {
	port=$(free_port)
	start_pf -l "127.0.0.1:$port" -n 1 -- sleep 1000
	wait_until 10 nkids 1
	run -75 --separate-stderr imgq-prefork -l "127.0.0.1:$port" -- true
	[ "$stderr" = "imgq-prefork: fatal: unable to listen on 127.0.0.1:$port: Address already in use" ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "TERM with jobs in flight: children finish within the grace period, exit 0" {
	cat >"$D/job" <<'EOF'
#!/bin/sh
trap 'stop=1' TERM
stop=
while [ -z "$stop" ]; do
	touch "$1/busy.$$"
	while [ ! -e "$1/release" ]; do sleep 0.05; done
	rm -f "$1/busy.$$"
	echo "$$" >>"$1/done"
done
exit 0
EOF
	chmod +x "$D/job"
	busy() { [ "$(find "$D" -name 'busy.*' | wc -l)" = "$1" ]; }
	start_pf -n 2 -g 20s -- "$D/job" "$D"
	wait_until 10 busy 2
	kill -TERM "$PF"
	wait_until 10 log_has "stopping: SIGTERM, grace period 20.0s"
	# Both jobs are still in flight, and imgq-prefork waits for them.
	busy 2
	kill -0 "$PF"
	touch "$D/release"
	wait_until 20 not_running "$PF"
	STATUS=0
	wait "$PF" || STATUS=$?
	[ "$STATUS" = 0 ]
	[ "$(wc -l <"$D/done")" = 2 ]
	[ "$(grep -c 'ended after .*, exit 0, success$' "$LOG")" = 2 ]
	run -1 log_has "killed"
}

@test "a child that ignores TERM is killed at the end of the grace period: exit 75" {
	start_pf -n 1 -g 500ms -- sh -c 'trap "" TERM; while :; do sleep 0.05; done'
	wait_until 10 nkids 1 sh
	child=$(kids sh)
	stop_pf TERM
	[ "$STATUS" = 75 ]
	log_has "imgq-prefork: warning: child 1 killed: pid $child still running 500ms after SIGTERM"
	log_has "pid $child, signal 9 (Killed), retry"
	[ "$(tail -n 1 "$LOG")" = "imgq-prefork: info: stopped, not every child ended within the grace period" ]
	# The whole process group went, not only the shell.
	wait_until 10 not_group "$child"
}

@test "autoscaling follows the probe: up to MAX at once, down to MIN after the cooldown" {
	echo 0 >"$D/depth"
	start_pf -m 1 -M 4 -t 10 -i 100ms -c 1s -p "cat $D/depth" -- sleep 1000
	wait_until 10 nkids 1
	echo 35 >"$D/depth"
	wait_until 10 nkids 4
	log_has "imgq-prefork: info: scale 1 -> 4: queue depth 35, 10 per child"
	echo 1000 >"$D/depth"
	echo lots >"$D/depth"
	wait_until 10 log_has "imgq-prefork: warning: probe printed 'lots', not a queue depth; count stays at 4"
	t0=$(date +%s%N)
	echo 0 >"$D/depth"
	wait_until 10 nkids 1
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -ge 900 ]
	log_has "imgq-prefork: info: scale 4 -> 1: queue depth 0, 10 per child, after the cooldown"
	[ "$(grep -c 'ended after .*signal 15 (Terminated)' "$LOG")" = 3 ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "the probe is killed at its timeout and a failing probe changes nothing" {
	start_pf -m 2 -M 3 -i 100ms -p 'exec sleep 1000' -- tail -f /dev/null
	wait_until 10 log_has "imgq-prefork: warning: probe killed: still running after 1.0s"
	wait_until 10 log_has "imgq-prefork: warning: probe failed: signal 9 (Killed); count stays at 2"
	nkids 2 tail
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "TTIN and TTOU change the count" {
	start_pf -n 2 -- sleep 1000
	wait_until 10 nkids 2
	kill -TTIN "$PF"
	wait_until 10 nkids 3
	kill -TTIN "$PF"
	wait_until 10 nkids 4
	kill -TTOU "$PF"
	wait_until 10 nkids 3
	run -0 grep -o 'scale .*' "$LOG"
	[ "$output" = "scale 2 -> 3: SIGTTIN
scale 3 -> 4: SIGTTIN
scale 4 -> 3: SIGTTOU" ]
	# One at a time: signals of one kind that arrive together merge.
	for n in 2 1 0; do
		kill -TTOU "$PF"
		wait_until 10 nkids $n
	done
	kill -TTOU "$PF"
	wait_until 10 log_has "imgq-prefork: warning: SIGTTOU: already at 0 children, the minimum"
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "-e: the environment file reaches the children, HUP re-reads it" {
	cat >"$D/env" <<'EOF'
# deployment settings
FOO=from-file
BAR='set in the file'
export BAZ="two\tparts" # comment
EOF
	BAR=from-env start_pf -n 1 -e "$D/env" -- sh -c \
	    'printf "%s|%s|%s|%s\n" "$FOO" "$BAR" "$BAZ" "$IMGQ_PREFORK_SLOT" >"$0/env.$$"; exec sleep 1000' "$D"
	wait_until 10 nkids 1
	first=$(kids)
	wait_until 10 test -s "$D/env.$first"
	[ "$(cat "$D/env.$first")" = "from-file|from-env|two	parts|1" ]
	echo FOO=changed >"$D/env"
	kill -HUP "$PF"
	wait_until 10 log_has "reload: generation 2, environment file re-read"
	wait_until 10 log_has "reload: generation 2 running"
	second=$(kids)
	[ "$second" != "$first" ]
	wait_until 10 test -s "$D/env.$second"
	[ "$(cat "$D/env.$second")" = "changed|from-env||1" ]
	echo 'not a line' >"$D/env"
	kill -HUP "$PF"
	wait_until 10 log_has "imgq-prefork: error: reload: $D/env: line 1: expected KEY=value; nothing restarted"
	[ "$(kids)" = "$second" ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
	run -78 --separate-stderr imgq-prefork -e "$D/env" -- true
	[ "$stderr" = "imgq-prefork: fatal: $D/env: line 1: expected KEY=value" ]
	run -78 --separate-stderr imgq-prefork -e "$D/none" -- true
	[ "$stderr" = "imgq-prefork: fatal: $D/none: No such file or directory" ]
	# -s: the same line goes to syslog, nothing to stderr.
	run -78 --separate-stderr imgq-prefork -s -e "$D/none" -- true
	[ "$stderr" = "" ]
}

@test "the variables set for each child win over the file and the environment; inherited ones it does not set are dropped" {
	printf 'IMGQ_PREFORK_SLOT=9\nIMGQ_MAX_REQUESTS=5\n' >"$D/env"
	IMGQ_READY_FD=7 IMGQ_PREFORK_SLOT=8 start_pf -n 1 -e "$D/env" -- sh -c \
	    'printf "%s|%s|%s\n" "$IMGQ_PREFORK_SLOT" "${IMGQ_MAX_REQUESTS-unset}" "${IMGQ_READY_FD-unset}" >"$0/env.$$"; exec sleep 1000' "$D"
	wait_until 10 nkids 1
	first=$(kids)
	wait_until 10 test -s "$D/env.$first"
	[ "$(cat "$D/env.$first")" = "1|unset|unset" ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "a reload waits for the new child's readiness before stopping the old one" {
	touch "$D/go"
	start_pf -n 1 -d 4 -- sh -c 'while [ ! -e "$0/go" ]; do sleep 0.05; done; echo up >&4; exec sleep 1000' "$D"
	wait_until 10 log_count "ready: pid" 1
	old=$(kids)
	rm "$D/go"
	kill -HUP "$PF"
	wait_until 10 log_count "started: pid" 2
	new=$(grep 'started: pid' "$LOG" | tail -n 1 | sed 's/.* //')
	# Not ready yet: the old child keeps running.
	kill -0 "$old"
	run -1 log_has "replaces"
	touch "$D/go"
	wait_until 10 log_has "reload: child 1 pid $new replaces pid $old"
	wait_until 10 not_running "$old"
	log_has "imgq-prefork: info: child 1 ready: pid $new"
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "children inherit no internal descriptor: 0 is the socket, plus the readiness fd" {
	port=$(free_port)
	# imgq-prefork itself starts with 0, 1 and 2 only.
	start_raw "$PY" -c 'import os, sys; os.closerange(3, 65536); os.execvp("imgq-prefork", ["imgq-prefork"] + sys.argv[1:])' -l "127.0.0.1:$port" -n 1 -d 5 -- "$PY" -c '
import os, socket, stat, sys
fds = [fd for fd in range(3, 1024) if os.path.exists("/proc/self/fd/%d" % fd)]
sock = stat.S_ISSOCK(os.fstat(0).st_mode)
open(sys.argv[1], "w").write("%s %s\n" % (fds, sock))
os.execvp("sleep", ["sleep", "1000"])' "$D/fds"
	wait_until 10 test -s "$D/fds"
	[ "$(cat "$D/fds")" = "[5] True" ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "-r: IMGQ_MAX_REQUESTS with jitter; a child recycles after its requests" {
	start_pf -n 3 -r 100 -j 10 -- sh -c 'echo "$IMGQ_MAX_REQUESTS" >"$0/max.$$"; exec sleep 1000' "$D"
	wait_until 10 nkids 3
	for p in $(kids); do
		wait_until 10 test -s "$D/max.$p"
		v=$(cat "$D/max.$p")
		[ "$v" -ge 100 ]
		[ "$v" -le 110 ]
	done
	stop_pf TERM
	[ "$STATUS" = 0 ]

	: >"$LOG"
	port=$(free_port)
	start_pf -l "127.0.0.1:$port" -n 1 -r 3 -j 0 -u 0 -- "$RESP"
	wait_until 10 nkids 1 http-responder
	for i in 1 2 3 4 5 6 7; do
		run -0 curl -sS --max-time 5 "http://127.0.0.1:$port/"
		[[ "$output" == "ok "* ]]
	done
	wait_until 10 log_count "exit 0, success; restart now" 2
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "a reload whose new child halts is abandoned; the old children keep running" {
	echo MODE=good >"$D/env"
	start_pf -n 2 -e "$D/env" -- sh -c '[ "$MODE" = bad ] && exit 78; exec sleep 1000'
	wait_until 10 nkids 2
	kids >"$D/old"
	echo MODE=bad >"$D/env"
	kill -HUP "$PF"
	wait_until 10 log_has "imgq-prefork: error: reload: abandoned, the children of the previous generation keep running, with its environment"
	log_has "exit 78, halt; not restarted"
	[ "$(kids)" = "$(cat "$D/old")" ]
	kill -0 "$PF"
	# An old child that dies now restarts with the old environment.
	victim=$(head -n 1 "$D/old")
	kill -9 "$victim"
	wait_until 10 log_has "pid $victim, signal 9 (Killed), retry"
	wait_until 10 nkids 2
	run -1 log_count "halt; not restarted" 2
	# Fixed: the next reload goes through.
	echo MODE=good >"$D/env"
	kill -HUP "$PF"
	wait_until 10 log_has "reload: generation 3 running"
	nkids 2
	kids >"$D/new"
	run -1 grep -Fxq -f "$D/old" "$D/new"
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "a halted child stays down until a reload starts it again" {
	touch "$D/halt-1"
	start_pf -n 2 -- sh -c '[ -e "$0/halt-$IMGQ_PREFORK_SLOT" ] && exit 77; exec sleep 1000' "$D"
	wait_until 10 log_has "exit 77, halt; not restarted"
	wait_until 10 nkids 1
	rm "$D/halt-1"
	kill -HUP "$PF"
	wait_until 10 nkids 2
	wait_until 10 log_has "reload: generation 2 running"
	[ "$(grep -c 'child 1 started' "$LOG")" = 2 ]
	stop_pf TERM
	[ "$STATUS" = 0 ]
}

@test "a missing command halts with 78 also when stderr is a pipe no one reads" {
	# the child's message then raises SIGPIPE: it must not read as a crash to retry
	run -0 "$PY" -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
print(subprocess.run(sys.argv[1:], stderr=w, timeout=30).returncode)' imgq-prefork -- /nonexistent/cmd
	[ "$output" = 78 ]
}

@test "children get 0 to 2 and the readiness descriptor; the probe 0 to 2" {
	local out=$BATS_TEST_TMPDIR/fds
	only_std_fds imgq-prefork -m 1 -M 1 -d 3 -p "ls /proc/self/fd | sort -n | tr '\n' ' ' >$out.probe; echo 1" -i 1 -- \
		sh -c "ls /proc/self/fd | sort -n | tr '\n' ' ' >$out.child; echo ready >&3; exec sleep 600" 2>/dev/null &
	# $! is the subshell that runs the helper; imgq-prefork is its child,
	# and the one to stop (a TERM to the subshell would leave it running)
	local sh=$!
	wait_until 20 pgrep -P "$sh" -x imgq-prefork
	PF=$(pgrep -P "$sh" -x imgq-prefork)
	wait_until 20 test -s "$out.child"
	wait_until 20 test -s "$out.probe"
	kill -TERM "$PF"
	wait_until 20 not_running "$PF"
	wait "$sh" || true
	# ls's own directory is the 4 for the child (3 is readiness), the 3 for the probe
	[ "$(cat "$out.child")" = "0 1 2 3 4 " ]
	[ "$(cat "$out.probe")" = "0 1 2 3 " ]
}

@test "kill -9 of imgq-prefork: its children end with it, so a restart never doubles the pool" {
	imgq-prefork -n 2 -- sleep 987655 2>/dev/null &
	local pid=$! kids
	wait_until 10 sh -c '[ "$(pgrep -P "$1" -x sleep | wc -l)" = 2 ]' _ "$pid"
	kids=$(pgrep -P "$pid" -x sleep | tr '\n' ' ')
	kill -9 "$pid"
	wait "$pid" || true
	local k
	for k in $kids; do
		wait_until 10 sh -c '! kill -0 "$1" 2>/dev/null' _ "$k"
	done
	run -1 pgrep -f "sleep 987655"
}
