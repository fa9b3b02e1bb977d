# tests/helpers/common.bash: shared helpers for the bats suites.
#
# In a .bats file:
#
#	load helpers/common
#	setup_file() { imgq_setup_file; redis_start; s3_start; }
#	teardown_file() { imgq_teardown_file; }
#
# redis_start: a redis-server of this file's own on a free loopback port
#   (REDIS_URL, REDIS_PORT exported); stopped by imgq_teardown_file.
# s3_start: the run's shared S3 service (tests/run starts it once), or one
#   of this file's own when the file is run alone; exports AWS_ENDPOINT_URL,
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and a fresh bucket
#   of this file's own in AWS_BUCKET_NAME.
# wait_until SECONDS CMD...: polls CMD until it succeeds, fails after the
#   deadline (no fixed sleeps anywhere in the tests).
# stop_children: for teardown: stops whatever the test left running in the
#   background (the processes below the test's shell, whatever process
#   group or session they are in): TERM, then KILL after 10 seconds.
# field ID NAME: one field of a job's record, as imgq-stat tells it (exit
#   66 when there is no such job or field).
# qkey PART...: the Redis key of the queue IMGQ_QUEUE (default imgq) named
#   by PART joined with ":" (qkey job ID is {imgq}:job:ID), for the few
#   tests that must look at Redis itself (a lease, an idempotency key, a
#   subscriber count); everything else asks the tools.
# json EXPR: evaluates the Python expression EXPR over d, the JSON
#   document on standard input, and prints the value.

bats_require_minimum_version 1.5.0

IMGQ_TOP=${IMGQ_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
IMGQ_BIN=${IMGQ_BIN:-$IMGQ_TOP/bin}
export IMGQ_TOP IMGQ_BIN
export PATH="$IMGQ_BIN:$IMGQ_TOP/scripts:/usr/bin:$PATH"
FIXTURES=$IMGQ_TOP/tests/fixtures
# Test images are the repository's own: real photos (CORPUS) and upstream
# test suites' broken files (MALFORMED), each folder with its sources and
# licences in its README.
CORPUS=$FIXTURES/photos
MALFORMED=$FIXTURES/malformed
# No test reaches a cloud metadata service: the credential chain stops
# before EC2 instance metadata unless a test points it at its own double.
export AWS_EC2_METADATA_DISABLED=true
# Debian's tools, not another python3/aws earlier on a developer's PATH.
PY=/usr/bin/python3
AWS_CLI=/usr/bin/aws

imgq_setup_file() {
	export IMGQ_FILE_TMP=$BATS_FILE_TMPDIR
}

imgq_teardown_file() {
	redis_stop
	s3_stop
}

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_until() { # seconds cmd...
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "wait_until: timed out: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

redis_start() {
	local d=$BATS_FILE_TMPDIR/redis
	"$IMGQ_TOP/scripts/redis-local" start "$d" 0 >&2 || return 1
	export IMGQ_TEST_REDIS_DIR=$d
	REDIS_PORT=$(cat "$d/port")
	export REDIS_PORT REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

redis_stop() {
	[ -n "${IMGQ_TEST_REDIS_DIR:-}" ] || return 0
	"$IMGQ_TOP/scripts/redis-local" stop "$IMGQ_TEST_REDIS_DIR" >&2 || true
}

rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

s3_start() {
	local d
	if [ -n "${IMGQ_TEST_S3_DIR:-}" ] && "$IMGQ_TOP/scripts/s3-local" status "$IMGQ_TEST_S3_DIR"; then
		d=$IMGQ_TEST_S3_DIR
	else
		d=$BATS_FILE_TMPDIR/s3
		"$IMGQ_TOP/scripts/s3-local" start "$d" 0 >&2 || return 1
		export IMGQ_TEST_S3_OWN=$d
	fi
	set -a
	# shellcheck disable=SC1091
	. "$d/env"
	set +a
	export AWS_DEFAULT_REGION=$AWS_REGION
	export AWS_EC2_METADATA_DISABLED=true
	export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	AWS_BUCKET_NAME=$(s3_new_bucket) || return 1
	export AWS_BUCKET_NAME
}

# Makes a bucket with a unique name and prints the name.
s3_new_bucket() {
	local b
	b=imgq-$(basename "${BATS_TEST_FILENAME:-t}" .bats | tr -c 'a-z0-9\n' '-' | cut -c1-30)-$RANDOM$RANDOM
	aws_cli s3api create-bucket --bucket "$b" >/dev/null || return 1
	echo "$b"
}

s3_stop() {
	[ -n "${IMGQ_TEST_S3_OWN:-}" ] || return 0
	"$IMGQ_TOP/scripts/s3-local" stop "$IMGQ_TEST_S3_OWN" >&2 || true
}

aws_cli() {
	"$AWS_CLI" --endpoint-url "$AWS_ENDPOINT_URL" --no-cli-pager "$@"
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# The processes below PID, one a line (read from /proc: a command
# substitution would be one of them).
descendants() { # pid
	local kids=() k
	# (The file has no newline at its end: read fails there, having read.)
	read -r -a kids <"/proc/$1/task/$1/children" 2>/dev/null || true
	for k in ${kids[@]+"${kids[@]}"}; do
		echo "$k"
		descendants "$k"
	done
}

all_gone() { # pid...
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}

stop_children() {
	local f=$BATS_TEST_TMPDIR/.children left
	descendants "$BASHPID" >"$f"
	mapfile -t left <"$f"
	[ ${#left[@]} -gt 0 ] || return 0
	kill -TERM "${left[@]}" 2>/dev/null
	kill -CONT "${left[@]}" 2>/dev/null
	wait_until 10 all_gone "${left[@]}" 2>/dev/null ||
		kill -KILL "${left[@]}" 2>/dev/null
	return 0
}

field() { imgq-stat job -f "$2" "$1"; }

# The key layout of imgq(7), known to the tests in this one place.
qkey() { # part...
	local IFS=:
	printf '{%s}:%s\n' "${IMGQ_QUEUE:-imgq}" "$*"
}

json() {
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# only_std_fds CMD...: runs CMD with every descriptor above 2 closed, as a
# service manager would start it, so a test can see what CMD itself opens
# and passes on.
only_std_fds() {
	"$PY" -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
