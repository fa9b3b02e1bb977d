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
# topo_stop NAME: stops that one.

TLS=$BATS_FILE_TMPDIR/tls

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
	redis-server --daemonize yes --dir "$d" --pidfile "$d/pid" \
		--logfile "$d/log" --save '' --appendonly no --bind 127.0.0.1 \
		"$@" || return 1
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
	_topo_start "$n" "$p" _tls_ping --port 0 --tls-port "$p" \
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
