# tests/helpers/redis-topo.bash: Redis topologies of a bats file's own on
# loopback, beyond helpers/common's single server (load it after
# helpers/common).  Each server lives in a folder under BATS_FILE_TMPDIR
# named by the caller, with its pid, log and port; topo_stop_all (for
# teardown_file) stops every one this file started.
#
# tls_certs: a throwaway CA made with openssl in $TLS (BATS_FILE_TMPDIR/tls):
#   ca.pem; server.pem/.key for 127.0.0.1 and localhost, signed by it;
#   other.pem/.key for redis.invalid only, signed by it; client.pem/.key,
#   signed by it; wrong-ca.pem, a CA that signed nothing here.
# redis_tls_start NAME [redis-server args...]: a TLS-only redis-server
#   (--port 0) with server.pem unless the args say otherwise, client
#   certificates not required unless they say so; prints its port.
# rcli_tls PORT ARGS...: redis-cli over TLS with the test CA and the
#   client certificate.
# sentinel_topo: one master (folder m), two replicas (r1, r2) and three
#   sentinels (s1, s2, s3) on loopback watching it as mymaster (down after
#   1 s); waits until the sentinels see both replicas and each other.
#   Exports MASTER_PORT, SENTINEL_PORTS (three, space-separated) and
#   SENTINEL_URL (redis+sentinel://127.0.0.1:S1,...,127.0.0.1:S3/mymaster).
# sentinel_field NAME: a field of SENTINEL MASTER mymaster as the first
#   sentinel that answers tells it (ip, port, num-slaves, ...).
# topo_stop NAME: stops that one.
# topo_setup NAME: for setup(): queue_setup NAME (helpers/queue) and
#   imgq-recv's log and pages (helpers/recv's cgi).
# topo_upload: imgq-recv as CGI (helpers/recv's cgi) takes a PUT of
#   tests/fixtures/img/scans4.jpg; true when it answers 202, with the
#   job's id in ID.
#
# Loading it gives the file its teardown_file: every server stopped, then
# helpers/common's.

TLS=$BATS_FILE_TMPDIR/tls

teardown_file() {
	topo_stop_all
	imgq_teardown_file
}

topo_setup() { # name
	queue_setup "$1"
	export IMGQ_RECV_LOG=stderr IMGQ_RECV_WWW=$IMGQ_TOP/share/www
}

topo_upload() {
	local img=$IMGQ_TOP/tests/fixtures/img/scans4.jpg out
	out=$(cgi PUT /upload CONTENT_TYPE=image/jpeg \
		CONTENT_LENGTH="$(stat -c %s "$img")" HTTP_ACCEPT=application/json <"$img") || return 1
	[ "$(head -n 1 <<<"$out")" = "Status: 202 Accepted" ] || return 1
	ID=$(tail -n 1 <<<"$out" | json 'd["id"]')
}

# openssl req/x509 with a config of its own: no ~/.rnd, no system config.
_tls_cert() { # name subject-alt-names signer-name
	local n=$1 san=$2 ca=$3
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$n" \
		-keyout "$TLS/$n.key" -out "$TLS/$n.csr" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$TLS/$n.ext"
	openssl x509 -req -in "$TLS/$n.csr" -CA "$TLS/$ca.pem" -CAkey "$TLS/$ca.key" \
		-CAcreateserial -days 2 -extfile "$TLS/$n.ext" -out "$TLS/$n.pem" 2>/dev/null
}

tls_certs() {
	[ -f "$TLS/client.pem" ] && return 0
	mkdir -p "$TLS"
	local c
	for c in ca wrong-ca; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=imgq test $c" \
			-keyout "$TLS/$c.key" -out "$TLS/$c.pem" 2>/dev/null || return 1
	done
	_tls_cert server "IP:127.0.0.1,DNS:localhost" ca &&
		_tls_cert other "DNS:redis.invalid" ca &&
		_tls_cert client "DNS:imgq-client" ca
}

# Starts redis-server ARGS daemonized in BATS_FILE_TMPDIR/NAME; waits until
# CHECK (a command taking the port) answers.
_topo_start() { # name port check args...
	local d=$BATS_FILE_TMPDIR/$1 p=$2 check=$3
	shift 3
	mkdir -p "$d"
	echo "$p" >"$d/port"
	redis-server "$@" --daemonize yes --dir "$d" --pidfile "$d/pid" \
		--logfile "$d/log" --bind 127.0.0.1 || return 1
	echo "$d" >>"$BATS_FILE_TMPDIR/topo.list"
	wait_until 20 "$check" "$p" || { tail -n 5 "$d/log" >&2; return 1; }
}

rcli_tls() { # port args...
	local p=$1
	shift
	redis-cli --tls --cacert "$TLS/ca.pem" --cert "$TLS/client.pem" \
		--key "$TLS/client.key" -h 127.0.0.1 -p "$p" "$@"
}

_tls_ping() { [ "$(rcli_tls "$1" ping 2>/dev/null)" = PONG ]; }

redis_tls_start() { # name [args...]
	local n=$1 p
	shift
	tls_certs || return 1
	p=$(free_port)
	_topo_start "$n" "$p" _tls_ping --save '' --appendonly no --port 0 --tls-port "$p" \
		--tls-cert-file "$TLS/server.pem" --tls-key-file "$TLS/server.key" \
		--tls-ca-cert-file "$TLS/ca.pem" --tls-auth-clients no "$@" >&2 || return 1
	echo "$p"
}

topo_stop() { # name
	local d=$BATS_FILE_TMPDIR/$1 pid
	[ -f "$d/pid" ] || return 0
	pid=$(cat "$d/pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait_until 10 all_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
	rm -f "$d/pid"
}

topo_stop_all() {
	local d
	[ -f "$BATS_FILE_TMPDIR/topo.list" ] || return 0
	while read -r d; do
		topo_stop "${d#"$BATS_FILE_TMPDIR/"}"
	done <"$BATS_FILE_TMPDIR/topo.list"
}

_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }

sentinel_field() { # name
	local p
	for p in $SENTINEL_PORTS; do
		redis-cli -h 127.0.0.1 -p "$p" sentinel master mymaster 2>/dev/null |
			awk -v k="$1" 'NR % 2 == 1 && $0 == k { getline; print; f = 1; exit } END { exit !f }' &&
			return 0
	done
	return 1
}

_sentinels_ready() {
	local p
	for p in $SENTINEL_PORTS; do
		[ "$(redis-cli -h 127.0.0.1 -p "$p" sentinel master mymaster 2>/dev/null |
			awk 'NR % 2 == 1 { k = $0; next } k == "num-slaves" || k == "num-other-sentinels" { printf "%s ", $0 }')" = "2 2 " ] ||
			return 1
	done
}

_replicas_online() {
	[ "$(redis-cli -h 127.0.0.1 -p "$MASTER_PORT" info replication | grep -c 'state=online')" = 2 ]
}

sentinel_topo() {
	local n p d data=(--save '' --appendonly no)
	MASTER_PORT=$(free_port)
	_topo_start m "$MASTER_PORT" _ping "${data[@]}" --port "$MASTER_PORT" || return 1
	for n in r1 r2; do
		p=$(free_port)
		_topo_start "$n" "$p" _ping "${data[@]}" --port "$p" \
			--replicaof 127.0.0.1 "$MASTER_PORT" || return 1
	done
	SENTINEL_PORTS= SENTINEL_URL=
	for n in s1 s2 s3; do
		p=$(free_port)
		d=$BATS_FILE_TMPDIR/$n
		mkdir -p "$d"
		cat >"$d/sentinel.conf" <<-CONF
			sentinel monitor mymaster 127.0.0.1 $MASTER_PORT 2
			sentinel down-after-milliseconds mymaster 1000
			sentinel failover-timeout mymaster 5000
			sentinel parallel-syncs mymaster 2
		CONF
		_topo_start "$n" "$p" _ping "$d/sentinel.conf" --sentinel --port "$p" || return 1
		SENTINEL_PORTS="$SENTINEL_PORTS${SENTINEL_PORTS:+ }$p"
		SENTINEL_URL="$SENTINEL_URL${SENTINEL_URL:+,}127.0.0.1:$p"
	done
	SENTINEL_URL="redis+sentinel://$SENTINEL_URL/mymaster"
	export MASTER_PORT SENTINEL_PORTS SENTINEL_URL
	wait_until 30 _replicas_online && wait_until 30 _sentinels_ready
}
