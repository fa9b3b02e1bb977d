# tests/helpers/up.bash: scripts/up for a bats file (load after common).
#
# up_start STATE PORT [ARG...]: starts scripts/up -s STATE -p PORT in a
#   session of its own, as from a terminal (SIGINT not ignored, as a shell
#   would have it for a command in the background; no descriptor of bats'
#   own), its output in STATE.log, its pid in STATE.pid; sets UP_PID.
# up_wait_ready STATE PORT: waits until up says the stack is up.
# up_teardown STATE: for teardown_file: whatever happened, nothing of
#   up's keeps running.  up stays in its session with everything it
#   starts but the S3 service (s3-local gives it sessions of its own, and
#   stops it).  The pid is kept in a file: teardown_file runs in another
#   process than the tests.

up_start() { # state port [arg...]
	local state=$1 port=$2
	shift 2
	setsid env --default-signal=INT "$IMGQ_TOP/scripts/up" -s "$state" -p "$port" "$@" \
		>"$state.log" 2>&1 3>&- &
	UP_PID=$!
	echo "$UP_PID" >"$state.pid"
}

up_wait_ready() { # state port
	wait_until 180 grep -q "imgq is up: http://localhost:$2/" "$1.log"
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

up_teardown() { # state
	local up p
	up=$(cat "$1.pid" 2>/dev/null) || up=
	if [ -n "$up" ] && kill -0 "$up" 2>/dev/null; then
		# up stops its pools and services itself, if it has got that far.
		kill -TERM "$up"
		wait_until 60 not_running "$up" || kill -KILL "$up" 2>/dev/null
	fi
	if [ -d "$1" ]; then
		"$IMGQ_TOP/scripts/s3-local" stop "$1/s3"
		"$IMGQ_TOP/scripts/redis-local" stop "$1/redis" 2>/dev/null
	fi
	# What is left of up's session (pools, their children, log readers).
	if [ -n "$up" ]; then
		for p in $(pgrep -s "$up"); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	true
}
