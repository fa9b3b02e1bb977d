#!/usr/bin/env bats
# The deployment files: each shipped configuration that Debian can run here
# serves an upload.  Every server runs on a free loopback port with a
# configuration generated from the shipped file by sed (paths and ports
# substituted, nothing else rewritten); an upload with curl must end as an
# object in the local S3 service, byte-identical, and a queued job in Redis.

load helpers/common

setup_file() {
	imgq_setup_file
	[ -x "$IMGQ_BIN/imgq-recv" ] || return 0
	redis_start
	s3_start
	# Short (unix sockets) and readable by the web servers' users.
	DD=$(mktemp -d /tmp/imgq-deploy.XXXXXX)
	chmod 755 "$DD"
	export DD
	{
		printf 'REDIS_URL=%s\n' "$REDIS_URL"
		printf 'AWS_ENDPOINT_URL=%s\n' "$AWS_ENDPOINT_URL"
		printf 'AWS_ACCESS_KEY_ID=%s\n' "$AWS_ACCESS_KEY_ID"
		printf 'AWS_SECRET_ACCESS_KEY=%s\n' "$AWS_SECRET_ACCESS_KEY"
		printf 'AWS_REGION=%s\n' "$AWS_REGION"
		printf 'AWS_BUCKET_NAME=%s\n' "$AWS_BUCKET_NAME"
		printf 'AWS_EC2_METADATA_DISABLED=true\n'
		printf 'IMGQ_RECV_WWW=%s\n' "$IMGQ_TOP/share/www"
		printf 'IMGQ_PRESETS=%s\n' "$IMGQ_TOP/etc/presets"
		printf 'IMGQ_ADMIN_TOKEN=deploy-operator-token-0123\n'
	} >"$DD/imgq.env"
	chmod 644 "$DD/imgq.env"
	gen etc/imgq-recv.cgi >"$DD/imgq-recv.cgi"
	chmod 755 "$DD/imgq-recv.cgi"
}

teardown_file() {
	[ -n "${DD:-}" ] && rm -rf "$DD"
	imgq_teardown_file
}

setup() {
	[ -x "$IMGQ_BIN/imgq-recv" ] ||
		skip "imgq-recv is not built here yet"
	IMG=$CORPUS/opencv_baboon.jpg
	PORT=$(free_port)
	: >"$BATS_TEST_TMPDIR/pids"
}

# Stops every server this test started (each in its own process group,
# with whatever it forked).
teardown() {
	local p
	[ -f "$BATS_TEST_TMPDIR/pids" ] || return 0
	while read -r p; do
		kill -TERM -- "-$p" 2>/dev/null
	done <"$BATS_TEST_TMPDIR/pids"
	while read -r p; do
		wait_until 10 gone "$p" || kill -KILL -- "-$p" 2>/dev/null
	done <"$BATS_TEST_TMPDIR/pids"
	# A child that left its process group (inetd's children call
	# setsid) and still holds this test's port.
	for p in $(port_pids "$PORT") $(our_pids); do
		kill -TERM "$p" 2>/dev/null
		wait_until 10 not_running "$p" || kill -KILL "$p" 2>/dev/null
	done
	return 0
}

port_pids() { # port: the processes listening on it
	ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' |
		cut -d= -f2 | sort -u
}

# Programs of this run started (through any server) by this test: their
# environment names this test's folder.
our_pids() {
	local d p exe
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		exe=$(readlink "$d/exe" 2>/dev/null) || continue
		case $exe in
		"$IMGQ_BIN"/*) ;;
		*) continue ;;
		esac
		grep -qzx "BATS_TEST_TMPDIR=$BATS_TEST_TMPDIR" "$d/environ" \
			2>/dev/null && echo "$p"
	done
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

gone() { ! kill -0 -- "-$1" 2>/dev/null; }

# The shipped file with this run's paths.
gen() { # file [sed args...]
	local f=$1
	shift
	sed -e "s#/usr/local/bin/#$IMGQ_BIN/#g" \
		-e "s#/usr/local/lib/imgq/imgq-recv.cgi#$DD/imgq-recv.cgi#g" \
		-e "s#/usr/local/lib/imgq\\b#$DD#g" \
		-e "s#/etc/imgq/imgq.env#$DD/imgq.env#g" \
		"$@" "$IMGQ_TOP/$f"
}

# Starts a server in its own session, its output in LOG.
start() { # log cmd...
	local log=$1
	shift
	setsid "$@" >"$log" 2>&1 3>&- </dev/null &
	echo $! >>"$BATS_TEST_TMPDIR/pids"
}

listening() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need() { # command package
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 is not installed (package $2, scripts/deps)"
}

me() { id -un; }

# The page and an upload through the server at BASE: the object is stored
# byte for byte, the job recorded and queued.
upload_ok() { # base
	local base=$1 id src
	run -0 curl -sS --max-time 60 -o "$BATS_TEST_TMPDIR/page" \
		-w '%{http_code}' "$base/"
	[ "$output" = 200 ]
	grep -q '<title>imgq: upload images</title>' "$BATS_TEST_TMPDIR/page"
	run -0 curl -sS --max-time 60 -w '\n%{http_code}' \
		-H 'Accept: application/json' \
		-F "file=@$IMG;filename=deploy.jpg" "$base/upload"
	[ "${lines[-1]}" = 202 ]
	id=$(printf '%s\n' "${lines[0]}" | jq -r '.files[0].id')
	[[ $id =~ ^[0-9a-z]+$ ]]
	run -0 field "$id" src
	[[ $output =~ ^uploads/$id\.jpe?g$ ]]
	src=$output
	run -0 field "$id" name
	[ "$output" = deploy.jpg ]
	run -0 field "$id" state
	[ "$output" = queued ]
	run -0 rcli lpos "$(qkey queue)" "$id"
	[[ $output =~ ^[0-9]+$ ]]
	run -0 aws_cli s3 cp --quiet "s3://$AWS_BUCKET_NAME/$src" \
		"$BATS_TEST_TMPDIR/stored"
	cmp "$IMG" "$BATS_TEST_TMPDIR/stored"
	# The job's status through the same server.
	run -0 curl -sS --max-time 30 "$base/jobs/$id"
	[ "$(printf '%s' "$output" | jq -r .id)" = "$id" ]
	# The access model holds behind this server too (imgq-recv(8)).
	run -0 curl -sS --max-time 30 -o /dev/null -w '%{http_code}' "$base/api/stats"
	[ "$output" = 401 ]
	run -0 curl -sS --max-time 30 -o /dev/null -w '%{http_code}' -d '' "$base/api/dead/$id/requeue"
	[ "$output" = 401 ]
	run -0 curl -sS --max-time 30 -o /dev/null -w '%{http_code}' \
		-H 'Authorization: Bearer deploy-operator-token-0123' "$base/api/stats"
	[ "$output" = 200 ]
}

@test "lighttpd (mod_cgi): etc/lighttpd-imgq.conf serves an upload" {
	need lighttpd lighttpd
	gen etc/lighttpd-imgq.conf \
		-e "s#\":8080\"#\"127.0.0.1:$PORT\"#" \
		>"$DD/lighttpd-imgq.conf"
	grep -q "127.0.0.1:$PORT" "$DD/lighttpd-imgq.conf"
	cat >"$DD/lighttpd.conf" <<EOF
server.document-root = "$DD"
server.bind = "127.0.0.1"
server.port = $(free_port)
server.pid-file = "$DD/lighttpd.pid"
server.errorlog = "$DD/lighttpd-error.log"
include "$DD/lighttpd-imgq.conf"
EOF
	run -0 lighttpd -tt -f "$DD/lighttpd.conf"
	start "$DD/lighttpd.log" lighttpd -D -f "$DD/lighttpd.conf"
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
}

# nginx and fcgiwrap from etc/nginx-imgq.conf on $PORT (the event paths
# to imgq-events on $EPORT when set).
nginx_up() {
	need nginx nginx-light
	need fcgiwrap fcgiwrap
	local sock=$DD/fcgiwrap.sock
	rm -f "$sock"
	gen etc/nginx-imgq.conf -e "s#listen 8080;#listen 127.0.0.1:$PORT;#" \
		-e "s#unix:/run/fcgiwrap.socket#unix:$sock#" \
		-e "s#127.0.0.1:3001#127.0.0.1:${EPORT:-3001}#" >"$DD/nginx-imgq.conf"
	grep -q "listen 127.0.0.1:$PORT;" "$DD/nginx-imgq.conf"
	mkdir -p "$DD/nginx"
	{
		# nginx's workers must reach fcgiwrap's socket.
		[ "$(id -u)" = 0 ] && echo "user root root;"
		cat <<EOF
daemon off;
pid $DD/nginx/nginx.pid;
error_log $DD/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $DD/nginx/body;
	proxy_temp_path $DD/nginx/proxy;
	fastcgi_temp_path $DD/nginx/fastcgi;
	uwsgi_temp_path $DD/nginx/uwsgi;
	scgi_temp_path $DD/nginx/scgi;
	include $DD/nginx-imgq.conf;
}
EOF
	} >"$DD/nginx.conf"
	run -0 nginx -t -q -c "$DD/nginx.conf" -p "$DD/nginx/"
	start "$DD/fcgiwrap.log" fcgiwrap -c 2 -s "unix:$sock"
	wait_until 20 test -S "$sock"
	start "$DD/nginx.log" nginx -c "$DD/nginx.conf" -p "$DD/nginx/"
	wait_until 20 listening "$PORT"
}

@test "nginx + fcgiwrap: etc/nginx-imgq.conf serves an upload" {
	nginx_up
	upload_ok "http://127.0.0.1:$PORT"
}

@test "nginx: the event paths reach imgq-events as started by etc/systemd/imgq-events.service" {
	[ -x "$IMGQ_BIN/imgq-events" ] || skip "imgq-events is not built here"
	local exe id
	EPORT=$(free_port)
	exe=$(unit etc/systemd/imgq-events.service ExecStart |
		sed "s#-l 127.0.0.1:3001#-l 127.0.0.1:$EPORT#")
	[ "$exe" = "$IMGQ_BIN/imgq-env $DD/imgq.env $IMGQ_BIN/imgq-events -l 127.0.0.1:$EPORT" ]
	# shellcheck disable=SC2086
	start "$DD/events.log" $exe
	wait_until 20 listening "$EPORT"
	nginx_up
	id=$(imgq-push uploads/deploy-events.jpg)
	# the stream stays open: curl ends it (28)
	run -28 curl -sN --max-time 2 "http://127.0.0.1:$PORT/jobs/$id/events"
	[ "${lines[0]}" = "id: queued.0" ]
	[ "${lines[1]}" = "event: queued" ]
	run -0 "$PY" "$IMGQ_TOP/tests/helpers/evclient.py" ws "$PORT" "/events/ws?job=$id" \
		-H "Origin: http://127.0.0.1:$PORT" -n 1
	[ "$output" = "event queued $id queued" ]
}

@test "Apache (mod_cgid): etc/apache-imgq.conf serves an upload" {
	need apache2 apache2
	local m=/usr/lib/apache2/modules user group
	[ -f "$m/mod_cgid.so" ] || skip "no mod_cgid"
	gen etc/apache-imgq.conf -e "s#^Listen 8080\$#Listen 127.0.0.1:$PORT#" \
		-e "s#<VirtualHost \\*:8080>#<VirtualHost *:$PORT>#" \
		>"$DD/apache-imgq.conf"
	grep -q "^Listen 127.0.0.1:$PORT\$" "$DD/apache-imgq.conf"
	grep -q "^<VirtualHost \\*:$PORT>\$" "$DD/apache-imgq.conf"
	# Apache refuses to run CGI programs as root.
	user=$(me) group=$(id -gn)
	[ "$(id -u)" = 0 ] && user=www-data group=www-data
	mkdir -p "$DD/apache"
	cat >"$DD/apache.conf" <<EOF
ServerRoot $DD/apache
ServerName localhost
PidFile $DD/apache/httpd.pid
ErrorLog $DD/apache/error.log
LogLevel warn
User $user
Group $group
Mutex file:$DD/apache
DefaultRuntimeDir $DD/apache
ScriptSock $DD/apache/cgid.sock
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule alias_module $m/mod_alias.so
LoadModule cgid_module $m/mod_cgid.so
LoadModule setenvif_module $m/mod_setenvif.so
Include $DD/apache-imgq.conf
EOF
	run -0 apache2 -t -f "$DD/apache.conf"
	start "$DD/apache.log" apache2 -X -f "$DD/apache.conf"
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
}

@test "xinetd: inetd/xinetd-imgq serves an upload (one imgq-recv per connection)" {
	need xinetd xinetd
	gen inetd/xinetd-imgq -e "s#= 3000\$#= $PORT#" \
		-e "s#= 0.0.0.0\$#= 127.0.0.1#" -e "s#= imgq\$#= $(me)#" \
		>"$DD/xinetd-imgq"
	grep -q "port[[:blank:]]*= $PORT\$" "$DD/xinetd-imgq"
	printf 'defaults\n{\n}\n' >"$DD/xinetd.conf"
	cat "$DD/xinetd-imgq" >>"$DD/xinetd.conf"
	start "$DD/xinetd.log" xinetd -dontfork -f "$DD/xinetd.conf" \
		-pidfile "$DD/xinetd.pid"
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
}

# An inetd that reads inetd.conf: an installed openbsd-inetd or
# inetutils-inetd, else Debian's openbsd-inetd unpacked under build/ (it
# cannot be installed beside xinetd).
inetd_bin() {
	local deb dir=$IMGQ_TOP/build/deb/openbsd-inetd
	if dpkg-query -W -f='${Status}' openbsd-inetd 2>/dev/null |
		grep -q 'ok installed'; then
		echo /usr/sbin/inetd
		return 0
	fi
	if [ -x /usr/sbin/inetutils-inetd ]; then
		echo /usr/sbin/inetutils-inetd
		return 0
	fi
	if [ ! -x "$dir/usr/sbin/inetd" ]; then
		mkdir -p "$dir"
		(cd "$dir" && apt-get download -q openbsd-inetd >/dev/null 2>&1) ||
			return 1
		deb=$(ls "$dir"/openbsd-inetd_*.deb 2>/dev/null | head -1)
		[ -n "$deb" ] && dpkg-deb -x "$deb" "$dir" || return 1
	fi
	echo "$dir/usr/sbin/inetd"
}

inetd_line() { # nowait|wait: that line of inetd/inetd.conf, generated
	gen inetd/inetd.conf |
		sed -n -e "s/^#\\{0,1\\}3000\\(\\t[^\\t]*\\t[^\\t]*\\t$1\\t\\)imgq\\t/127.0.0.1:$PORT\\1$(me)\\t/p"
}

@test "inetd: the nowait line of inetd/inetd.conf serves an upload" {
	local inetd
	inetd=$(inetd_bin) || skip "no inetd (openbsd-inetd could not be fetched)"
	inetd_line nowait >"$DD/inetd.conf"
	[ "$(wc -l <"$DD/inetd.conf")" = 1 ]
	grep -q "^127.0.0.1:$PORT	stream	tcp	nowait	" "$DD/inetd.conf"
	start "$DD/inetd.log" "$inetd" -d "$DD/inetd.conf"
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
}

@test "inetd: the wait line of inetd/inetd.conf serves an upload (imgq-recv accepts)" {
	local inetd
	inetd=$(inetd_bin) || skip "no inetd (openbsd-inetd could not be fetched)"
	inetd_line wait >"$DD/inetd-wait.conf"
	[ "$(wc -l <"$DD/inetd-wait.conf")" = 1 ]
	grep -q "^127.0.0.1:$PORT	stream	tcp	wait	" "$DD/inetd-wait.conf"
	start "$DD/inetd-wait.log" "$inetd" -d "$DD/inetd-wait.conf"
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
	# The same imgq-recv answered both requests: one child only.
	run -0 grep -c 'execv' "$DD/inetd-wait.log"
	[ "$output" = 1 ]
}

@test "tcpserver: inetd/tcpserver/run serves an upload" {
	need tcpserver ucspi-tcp
	gen inetd/tcpserver/run -e "s#^user=imgq\$#user=$(me)#" \
		-e "s#^\\([[:blank:]]*\\)0 3000 #\\1127.0.0.1 $PORT #" \
		>"$DD/run"
	chmod 755 "$DD/run"
	grep -q "127.0.0.1 $PORT $IMGQ_BIN/imgq-recv\$" "$DD/run"
	start "$DD/tcpserver.log" "$DD/run"
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
	grep -q "^tcpserver: ok " "$DD/tcpserver.log"
}

# A setting of a unit file (the last one wins, as in systemd).
unit() { # file key
	gen "$1" | sed -n "s/^$2=//p" | tail -1
}

@test "systemd Accept=yes: imgq-recv.socket + imgq-recv@.service serve an upload" {
	need systemd-socket-activate systemd
	[ "$(unit inetd/imgq-recv.socket Accept)" = yes ]
	[ "$(unit inetd/imgq-recv.socket ListenStream)" = 3000 ]
	[ "$(unit inetd/imgq-recv@.service StandardInput)" = socket ]
	[ "$(unit inetd/imgq-recv@.service StandardOutput)" = socket ]
	local exe envf
	exe=$(unit inetd/imgq-recv@.service ExecStart)
	envf=$(unit inetd/imgq-recv@.service EnvironmentFile)
	[ "$exe" = "$IMGQ_BIN/imgq-recv" ]
	# --inetd -a: the connection on standard input and output, as
	# StandardInput=socket does with Accept=yes.
	# shellcheck disable=SC2086
	start "$DD/sa-yes.log" systemd-socket-activate -l "127.0.0.1:$PORT" \
		-a --inetd "$IMGQ_BIN/imgq-env" "$envf" $exe
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
}

@test "systemd Accept=no: imgq-recv-loop.socket + .service serve an upload (socket on fd 0)" {
	need systemd-socket-activate systemd
	[ "$(unit inetd/imgq-recv-loop.socket Accept)" = no ]
	[ "$(unit inetd/imgq-recv-loop.socket ListenStream)" = 3000 ]
	[ "$(unit inetd/imgq-recv-loop.service StandardInput)" = socket ]
	local exe envf
	exe=$(unit inetd/imgq-recv-loop.service ExecStart)
	envf=$(unit inetd/imgq-recv-loop.service EnvironmentFile)
	[ "$exe" = "$IMGQ_BIN/imgq-recv" ]
	# --inetd without -a: the listening socket on standard input, as
	# StandardInput=socket does with Accept=no.
	# shellcheck disable=SC2086
	start "$DD/sa-no.log" systemd-socket-activate -l "127.0.0.1:$PORT" \
		--inetd "$IMGQ_BIN/imgq-env" "$envf" $exe
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
	# One imgq-recv accepted both requests.
	run -0 grep -c '^Execing ' "$DD/sa-no.log"
	[ "$output" = 1 ]
}

@test "systemd web pool: the ExecStart of etc/systemd/imgq-web.service serves an upload" {
	[ -x "$IMGQ_BIN/imgq-prefork" ] || skip "imgq-prefork is not built here"
	local exe
	exe=$(unit etc/systemd/imgq-web.service ExecStart |
		sed "s#-l 0.0.0.0:3000 #-l 127.0.0.1:$PORT #")
	[[ $exe == "$IMGQ_BIN/imgq-prefork "*"-l 127.0.0.1:$PORT "*"-e $DD/imgq.env -- $IMGQ_BIN/imgq-recv" ]]
	# shellcheck disable=SC2086
	start "$DD/web.log" $exe
	wait_until 20 listening "$PORT"
	upload_ok "http://127.0.0.1:$PORT"
}

@test "systemd worker pool: the ExecStart of etc/systemd/imgq-workers.service processes the queued jobs" {
	local p
	for p in imgq-prefork imgq-pop imgq-work imgq-stat imgq-resize; do
		[ -x "$IMGQ_BIN/$p" ] || skip "$p is not built here"
	done
	# The jobs the upload tests queued: none may stay queued.
	run -0 imgq-stat depth
	[ "$output" -gt 0 ] || skip "no upload test queued a job"
	local exe ids id
	exe=$(unit etc/systemd/imgq-workers.service ExecStart)
	[[ $exe == "$IMGQ_BIN/imgq-prefork "*"-e $DD/imgq.env -- $IMGQ_BIN/imgq-pop -l -- $IMGQ_BIN/imgq-work" ]]
	ids=$(rcli lrange "$(qkey queue)" 0 -1)
	# The line has a quoted probe ("imgq-stat depth"), as systemd reads it.
	eval "start \"\$DD/workers.log\" $exe"
	for id in $ids; do
		wait_until 300 job_done "$id" || { tail -5 "$DD/workers.log"; false; }
	done
	run -0 field "$id" outputs
	[ "${lines[0]}" = "processed/$id/large.jpg" ]
	[ "${lines[1]}" = "processed/$id/thumb.webp" ]
	run -0 aws_cli s3api head-object --bucket "$AWS_BUCKET_NAME" \
		--key "processed/$id/thumb.webp" --query ContentType
}

job_done() { [ "$(field "$1" state)" = done ]; }

@test "systemd-analyze verify accepts every unit file" {
	need systemd-analyze systemd
	local u dir=$DD/units n=0
	mkdir -p "$dir"
	# ExecStart= must name programs that exist: this run's.
	for u in inetd/*.socket inetd/*.service etc/systemd/*.service; do
		gen "$u" >"$dir/$(basename "$u")"
		n=$((n + 1))
	done
	[ "$n" = 7 ]
	cd "$dir"
	run -0 --separate-stderr env SYSTEMD_LOG_LEVEL=warning \
		systemd-analyze verify --man=no ./*.socket ./*.service
	[ "$output" = "" ]
	[ "$stderr" = "" ] || { echo "$stderr"; false; }
}
