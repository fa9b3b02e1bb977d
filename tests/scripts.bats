#!/usr/bin/env bats
# The local services' scripts never adopt or stop a server they did not
# start; redis-local runs a Redis that needs a password; scripts/deps runs
# apt-get only for what is missing.

load helpers/common

setup_file() {
	imgq_setup_file
}

teardown() {
	local d
	for d in "$BATS_TEST_TMPDIR"/r*; do
		[ -d "$d" ] && "$IMGQ_TOP/scripts/redis-local" stop "$d" 2>/dev/null
	done
	for d in "$BATS_TEST_TMPDIR"/s3*; do
		[ -d "$d" ] && "$IMGQ_TOP/scripts/s3-local" stop "$d" 2>/dev/null
	done
	stop_children
}

# A stranger's server on a free port: a listening socket that answers
# whatever connects with an HTTP 200 and a PONG, so that neither script can
# tell it from its own by what it says.  Sets STRANGER (pid) and SPORT.
stranger_start() {
	SPORT=$(free_port)
	"$PY" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\n+PONG\r\n")
    c.close()
' "$SPORT" &
	STRANGER=$!
	wait_until 10 sh -c 'ss -Hltn "sport = :$1" | grep -q .' _ "$SPORT"
}

# SCRIPT start DIR on the stranger's port: 75, with the stranger named.
start_on_stranger() { # script dir
	stranger_start
	run -75 "$IMGQ_TOP/scripts/$1" start "$2" "$SPORT"
	[ "$output" = "$1: fatal: port $SPORT is in use by pid $STRANGER (python3): choose another port, or 0 for a free one" ]
}

@test "redis-local: a port held by another process is an error naming it; stop leaves it alone" {
	d=$BATS_TEST_TMPDIR/r1
	start_on_stranger redis-local "$d"
	[ ! -e "$d/redis.pid" ]
	run -0 "$IMGQ_TOP/scripts/redis-local" stop "$d"
	[ "$output" = "" ]
	kill -0 "$STRANGER"
	# A pid file naming the stranger (a pid reused, a file copied): stop
	# sees that its start time is not the one recorded, and stops nothing.
	echo "$STRANGER" >"$d/redis.pid"
	echo 1 >"$d/redis.pid.started"
	run -0 "$IMGQ_TOP/scripts/redis-local" stop "$d"
	[ "$output" = "redis-local: warning: $d: the server recorded there is gone; nothing stopped" ]
	[ ! -e "$d/redis.pid" ]
	kill -0 "$STRANGER"
}

@test "s3-local: a port held by another process is an error naming it; stop leaves it alone" {
	d=$BATS_TEST_TMPDIR/s3a
	start_on_stranger s3-local "$d"
	[ ! -e "$d/run/proxy.pid" ]
	run -1 "$IMGQ_TOP/scripts/s3-local" status "$d"
	# Its pid in every pid file, as an old s3-local left them.
	mkdir -p "$d/run"
	for n in proxy object container account memcached; do
		echo "$STRANGER" >"$d/run/$n.pid"
	done
	run -0 "$IMGQ_TOP/scripts/s3-local" stop "$d"
	[ "$output" = "" ]
	kill -0 "$STRANGER"
	[ "$(ls "$d/run")" = "" ]
}

@test "redis-local: a Redis that needs a password starts, answers with it only, and stops" {
	d=$BATS_TEST_TMPDIR/r2
	IMGQ_REDIS_PASSWORD='pa ss"w@rd' run -0 "$IMGQ_TOP/scripts/redis-local" start "$d" 0
	[ "$output" = "" ]
	p=$(cat "$d/port")
	[ "$(cat "$d/env")" = "REDIS_URL=redis://:pa%20ss%22w%40rd@127.0.0.1:$p/0" ]
	[ "$(stat -c %a "$d/env") $(stat -c %a "$d/redis.conf")" = "600 600" ]
	# Never in an argument of the server.
	run -1 grep -q 'pa ss' "/proc/$(cat "$d/redis.pid")/cmdline"
	run -0 env -u REDISCLI_AUTH redis-cli -p "$p" ping
	[ "$output" = "NOAUTH Authentication required." ]
	# The imgq tools get in with the URL of DIR/env.
	REDIS_URL=$(sed 's/^REDIS_URL=//' "$d/env") run -0 imgq-stat depth
	[ "$output" = 0 ]
	# A second start finds it running (checked with the password).
	IMGQ_REDIS_PASSWORD='pa ss"w@rd' run -0 "$IMGQ_TOP/scripts/redis-local" start "$d"
	[ "$(cat "$d/port")" = "$p" ]
	pid=$(cat "$d/redis.pid")
	run -0 "$IMGQ_TOP/scripts/redis-local" stop "$d"
	run -1 kill -0 "$pid"
	[ ! -e "$d/redis.pid" ]
}

# scripts/deps with shims first on PATH: apt-get and sudo record their
# calls; dpkg-query answers "installed" for every package but those in
# $BATS_TEST_TMPDIR/absent.
deps_shims() {
	local bin=$BATS_TEST_TMPDIR/shims
	mkdir -p "$bin"
	printf '#!/bin/sh\necho "apt-get $*" >>"%s/calls"\n' "$BATS_TEST_TMPDIR" >"$bin/apt-get"
	printf '#!/bin/sh\necho "sudo $*" >>"%s/calls"\nexec "$@"\n' "$BATS_TEST_TMPDIR" >"$bin/sudo"
	cat >"$bin/dpkg-query" <<EOF
#!/bin/sh
case "\$*" in *source:Version*) exec /usr/bin/dpkg-query "\$@" ;; esac
for p; do :; done
grep -qx "\$p" "$BATS_TEST_TMPDIR/absent" 2>/dev/null && exit 1
echo 'install ok installed'
EOF
	chmod 755 "$bin"/*
	touch "$BATS_TEST_TMPDIR/absent" "$BATS_TEST_TMPDIR/calls"
	# curl's source as scripts/deps-curl leaves it, for the installed
	# version: present, so nothing is fetched
	export IMGQ_DEPS=$BATS_TEST_TMPDIR/deps
	mkdir -p "$IMGQ_DEPS/curl/src"
	: >"$IMGQ_DEPS/curl/src/configure"
	dpkg-query -W -f='${source:Version}' libcurl4-openssl-dev >"$IMGQ_DEPS/curl/VERSION"
}

@test "scripts/deps: nothing at all when nothing is missing; then only what is" {
	deps_shims
	PATH=$BATS_TEST_TMPDIR/shims:$PATH run -0 "$IMGQ_TOP/scripts/deps" build run
	[ "$output" = "" ]
	[ "$(cat "$BATS_TEST_TMPDIR/calls")" = "" ]
	echo redis-tools >"$BATS_TEST_TMPDIR/absent"
	PATH=$BATS_TEST_TMPDIR/shims:$PATH run -0 "$IMGQ_TOP/scripts/deps" build run
	[ "$output" = "deps: installing: redis-tools" ]
	run -0 grep -v '^sudo' "$BATS_TEST_TMPDIR/calls"
	[ "$output" = "apt-get update -q
apt-get install -y -q redis-tools" ]
	PATH=$BATS_TEST_TMPDIR/shims:$PATH run -1 "$IMGQ_TOP/scripts/deps" --check run
	[ "$output" = "deps: missing: redis-tools" ]
	run -64 "$IMGQ_TOP/scripts/deps" nosuchlist
	[ "$output" = "deps: fatal: no list nosuchlist in $IMGQ_TOP/scripts/deps.d" ]
}

@test "scripts/up: a bad ENVFILE line stops it before anything starts; -E without a running stack is 75" {
	printf 'A=1\nnot a line\n' >"$BATS_TEST_TMPDIR/bad.env"
	run -78 "$IMGQ_TOP/scripts/up" -s "$BATS_TEST_TMPDIR/st" -e "$BATS_TEST_TMPDIR/bad.env"
	[ "${lines[-1]}" = "imgq-env: fatal: $BATS_TEST_TMPDIR/bad.env: line 2: expected KEY=value" ]
	[ "$(ls -A "$BATS_TEST_TMPDIR/st")" = "" ]
	run -75 "$IMGQ_TOP/scripts/up" -E -s "$BATS_TEST_TMPDIR/st"
	[ "$output" = "up: fatal: $BATS_TEST_TMPDIR/st: not running (start it: scripts/up)" ]
}
