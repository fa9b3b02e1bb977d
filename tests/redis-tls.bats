#!/usr/bin/env bats
# rediss://: every program that speaks Redis, against a TLS-only
# redis-server with a throwaway CA; what a wrong certificate, a wrong CA,
# a missing client certificate and a plain port give.

load helpers/common
load helpers/queue
load helpers/recv
load helpers/redis-topo

setup_file() {
	imgq_setup_file
	TLS_PORT=$(redis_tls_start tls) || return 1
	s3_start
	export TLS_PORT REDIS_URL=rediss://127.0.0.1:$TLS_PORT/0
	export IMGQ_REDIS_TLS_CA_FILE=$TLS/ca.pem
}

setup() { topo_setup tls; }

# helpers/queue's subscribers and qkey users reach this file's server.
rcli() { rcli_tls "$TLS_PORT" "$@"; }

@test "push, stat and pop with a command, over TLS" {
	run -0 imgq-push -b photos uploads/a.png uploads/b.png
	a=${lines[0]} b=${lines[1]}
	[ "$(imgq-stat depth)" = 2 ]
	[ "$(field "$a" src)" = uploads/a.png ]
	run -0 imgq-pop -n 2 sh -c 'echo "$IMGQ_BUCKET/$IMGQ_SRC" >>"$0"' "$T/ran"
	[ "$(cat "$T/ran")" = "photos/uploads/a.png
photos/uploads/b.png" ]
	[ "$(state "$a")" = done ]
	[ "$(state "$b")" = done ]
	[ "$(summary done)" = 2 ]
	[ "$(summary queued)" = 0 ]
}

@test "1000 jobs pipelined, drained by 2 consumers, over TLS" {
	seq 1 1000 | sed 's/$/.png/' | imgq-push >"$T/ids"
	[ "$(imgq-stat depth)" = 1000 ]
	imgq-pop -n 500 true &
	p1=$!
	imgq-pop -n 500 true &
	p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(imgq-stat depth)" = 0 ]
	[ "$(summary done)" = 1000 ]
}

@test "a waiting consumer takes a job pushed later (BLMOVE over TLS)" {
	imgq-pop -n 1 -w 20s sh -c 'echo "$IMGQ_SRC" >"$0"' "$T/ran" &
	p=$!
	wait_until 10 consumers_are 1
	a=$(imgq-push later.png)
	wait "$p"
	[ "$(cat "$T/ran")" = later.png ]
	[ "$(state "$a")" = done ]
}

@test "imgq-watch follows events (pub/sub over TLS)" {
	imgq-watch -f -t 20s >"$T/out" &
	w=$!
	wait_until 5 subscribers 1
	a=$(imgq-push a.png)
	imgq-pop true
	wait_until 5 grep -qx "$a done" "$T/out"
	kill "$w"
	run -0 sed 's/ on .*//' "$T/out"
	[ "$output" = "$a queued
$a active attempt 1
$a done" ]
	a=$(imgq-push b.png)
	imgq-watch "$a" >"$T/one" &
	w=$!
	wait_until 5 subscribers 1
	imgq-pop true
	wait "$w"
	[ "$(tail -n 1 "$T/one")" = "$a done" ]
}

@test "imgq-recv as CGI: an upload stored in S3 and queued over TLS; its events" {
	topo_upload
	id=$ID
	[ "$(state "$id")" = queued ]
	[ "$(field "$id" src)" = "uploads/$id.jpg" ]
	cgi GET "/jobs/$id/events" </dev/null >"$T/sse" &
	c=$!
	wait_until 5 subscribers 1
	imgq-pop true
	wait "$c"
	run -0 grep '^event: ' "$T/sse"
	[ "$output" = "event: queued
event: active
event: done" ]
}

@test "a certificate for another name: 78, with or without a server name" {
	run -78 env IMGQ_REDIS_TLS_SERVER_NAME=redis.example imgq-stat depth
	[ "$output" = "imgq-stat: fatal: unable to connect to 127.0.0.1:$TLS_PORT: TLS certificate does not match redis.example" ]
	p=$(redis_tls_start other --tls-cert-file "$TLS/other.pem" --tls-key-file "$TLS/other.key")
	run -78 env REDIS_URL="rediss://127.0.0.1:$p" imgq-push a.png
	[ "$output" = "imgq-push: fatal: unable to connect to 127.0.0.1:$p: TLS certificate does not match 127.0.0.1" ]
	# The name the certificate has: accepted.
	run -0 env REDIS_URL="rediss://127.0.0.1:$p" IMGQ_REDIS_TLS_SERVER_NAME=redis.invalid imgq-stat depth
	[ "$output" = 0 ]
	topo_stop other
}

@test "a wrong CA, or the system's store, refuse the test CA's server: 78" {
	# (redis-server sends its CA with its certificate.)
	run -78 env IMGQ_REDIS_TLS_CA_FILE="$TLS/wrong-ca.pem" imgq-stat depth
	[ "$output" = "imgq-stat: fatal: unable to connect to 127.0.0.1:$TLS_PORT: TLS certificate not trusted: self-signed certificate in certificate chain" ]
	run -78 env -u IMGQ_REDIS_TLS_CA_FILE imgq-pop true
	[ "$output" = "imgq-pop: fatal: unable to connect to 127.0.0.1:$TLS_PORT: TLS certificate not trusted: self-signed certificate in certificate chain" ]
	# The system's store is its hashed folder: with the test CA in it, 0.
	mkdir "$T/certs"
	cp "$TLS/ca.pem" "$T/certs/"
	openssl rehash "$T/certs"
	run -0 env -u IMGQ_REDIS_TLS_CA_FILE SSL_CERT_DIR="$T/certs" imgq-stat depth
	[ "$output" = 0 ]
	run -78 env IMGQ_REDIS_TLS_CA_FILE="$T/none.pem" imgq-watch -f
	[[ "$output" == "imgq-watch: fatal: TLS CA file $T/none.pem: "* ]]
	# Verification off (tests only): the wrong CA is not looked at.
	run -0 env IMGQ_REDIS_TLS_CA_FILE="$TLS/wrong-ca.pem" IMGQ_REDIS_TLS_INSECURE=yes imgq-stat depth
	[ "$output" = 0 ]
}

@test "client certificates: none when the server requires one is 77; with one, 0" {
	p=$(redis_tls_start auth --tls-auth-clients yes)
	export REDIS_URL=rediss://127.0.0.1:$p
	run -77 imgq-push a.png
	[[ "$output" == "imgq-push: fatal: "*"the server refused the client certificate: "* ]]
	export IMGQ_REDIS_TLS_CERT_FILE=$TLS/client.pem IMGQ_REDIS_TLS_KEY_FILE=$TLS/client.key
	run -0 imgq-push a.png
	run -0 imgq-pop true
	[ "$(imgq-stat depth)" = 0 ]
	# A certificate signed by another CA is refused as none is.
	IMGQ_REDIS_TLS_CERT_FILE=$TLS/wrong-ca.pem IMGQ_REDIS_TLS_KEY_FILE=$TLS/wrong-ca.key \
		run -77 imgq-stat depth
	topo_stop auth
}

@test "redis:// to a TLS port: 75 (the server drops what is not TLS)" {
	run -75 env REDIS_URL="redis://127.0.0.1:$TLS_PORT" IMGQ_REDIS_RETRY=0 imgq-stat depth
	# reset or closed, as the server's close happens to land
	[[ "$output" == "imgq-stat: fatal: SCRIPT LOAD: "* ]]
}
