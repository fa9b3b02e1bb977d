#!/usr/bin/env bats
# imgq-push: jobs for objects already in S3, against a real Redis.

load helpers/common
load helpers/queue

setup() {
	queue_setup push
	unset AWS_BUCKET_NAME
}

@test "keys as arguments: one id per line, time-ordered, queued in order with their fields" {
	run -0 imgq-push -b photos uploads/a.JPG "uploads/b c.webp" noext
	[ "${#lines[@]}" = 3 ]
	for id in "${lines[@]}"; do [[ "$id" =~ ^[0-9a-z]{26}$ ]]; done
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$output" ]
	a=${lines[0]} b=${lines[1]} c=${lines[2]}
	[ "$(field "$a" src)" = uploads/a.JPG ]
	[ "$(field "$a" bucket)" = photos ]
	[ "$(field "$a" name)" = a.JPG ]
	[ "$(field "$a" type)" = image/jpeg ]
	[ "$(field "$b" type)" = image/webp ]
	[ "$(field "$b" state)" = queued ]
	run -66 field "$c" type
	[ "$output" = "imgq-stat: fatal: job $c has no field type" ]
	[ "$(imgq-stat depth)" = 3 ]
	# FIFO: the first pushed is the first taken.
	run -0 imgq-pop true
	[ "$(field "$a" state)" = done ]
	[ "$(field "$b" state)" = queued ]
	[ "$(imgq-stat depth)" = 2 ]
}

@test "keys on standard input, pipelined: 1000 jobs, blank lines and CRLF ignored" {
	{ seq 1 1000 | sed 's/.*/k&.png\r/'; echo; } | imgq-push >"$T/ids"
	[ "$(wc -l <"$T/ids")" = 1000 ]
	[ "$(sort -u "$T/ids" | wc -l)" = 1000 ]
	[ "$(imgq-stat depth)" = 1000 ]
	[ "$(field "$(sed -n 500p "$T/ids")" src)" = k500.png ]
}

@test "AWS_BUCKET_NAME is the default bucket; -f adds and overrides fields" {
	AWS_BUCKET_NAME=envb run -0 imgq-push -f variant=small -f name=override.png x/y.png
	id=$output
	[ "$(field "$id" bucket)" = envb ]
	[ "$(field "$id" variant)" = small ]
	[ "$(field "$id" name)" = override.png ]
}

@test "-k: a repeated push returns the existing job, not a duplicate" {
	run -0 imgq-push -k upload-123 a.png
	first=$output
	run -0 imgq-push -k upload-123 a.png
	[ "$output" = "$first" ]
	[ "$(imgq-stat depth)" = 1 ]
	[ "$(field "$first" idem)" = upload-123 ]
	[ "$(rcli pttl "$(qkey idem upload-123)")" -gt 600000000 ]
	run -0 imgq-push -k other a.png
	[ "$output" != "$first" ]
}

@test "-K derives the key from bucket and source key" {
	run -0 imgq-push -K -b b1 a.png c.png
	first=$output
	run -0 imgq-push -K -b b1 a.png c.png
	[ "$output" = "$first" ]
	run -0 imgq-push -K -b b2 a.png
	[ "$output" != "${first%%$'\n'*}" ]
	[ "$(imgq-stat depth)" = 3 ]
}

@test "-k with a job that was purged makes a new job" {
	run -0 imgq-push -k once a.png
	first=$output
	imgq-pop sh -c 'exit 65'
	run -0 imgq-stat purge
	[ "$output" = 1 ]
	run -0 imgq-push -k once a.png
	[ "$output" != "$first" ]
}

@test "bad input: 64 for usage, 65 for a bad key, 66 for a missing -F file" {
	run -64 imgq-push -f 'Bad=x' a.png
	[ "${lines[0]}" = "imgq-push: fatal: -f: bad or reserved field name" ]
	run -64 imgq-push -f state=x a.png
	run -64 imgq-push -f novalue a.png
	run -64 imgq-push -k a x.png y.png
	[ "${lines[0]}" = "imgq-push: fatal: -k names one job: give exactly one key" ]
	run -64 imgq-push -k a -K x.png
	run -64 imgq-push -z
	run -65 imgq-push "$(head -c 1100 /dev/zero | tr '\0' a)"
	[[ "$output" == "imgq-push: fatal: key longer than 1024 bytes: aaaa"* ]]
	run -65 imgq-push ""
	[ "$output" = "imgq-push: fatal: empty key" ]
	run -66 imgq-push -F x="$T/nope" a.png
	[ "$output" = "imgq-push: fatal: $T/nope: No such file or directory" ]
	[ "$(imgq-stat depth)" = 0 ]
}

@test "configuration and server errors: 78, 77, 75" {
	REDIS_URL= run -78 imgq-push a.png
	[ "$output" = "imgq-push: fatal: REDIS_URL is not set" ]
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT/99999" run -78 imgq-push a.png
	[ "$output" = "imgq-push: fatal: REDIS_URL: bad database number" ]
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT/40" run -78 imgq-push a.png
	[[ "$output" == "imgq-push: fatal: 127.0.0.1:$REDIS_PORT: SELECT: Redis: ERR DB index is out of range" ]]
	REDIS_URL="redis://:nopass@127.0.0.1:$REDIS_PORT/0" run -77 imgq-push a.png
	[[ "$output" == "imgq-push: fatal: 127.0.0.1:$REDIS_PORT: AUTH: Redis refused the credentials: "* ]]
	port=$(free_port)
	IMGQ_REDIS_RETRY=200ms REDIS_URL="redis://127.0.0.1:$port" run -75 imgq-push a.png
	[ "$output" = "imgq-push: fatal: unable to connect to 127.0.0.1:$port: Connection refused" ]
}

@test "-r and IMGQ_RETENTION share one range: 64 for the flag, 78 for the variable" {
	run -64 imgq-push -r 999ms a.png
	[ "${lines[0]}" = "imgq-push: fatal: duration 999ms is out of range 1000..31536000000 ms" ]
	IMGQ_RETENTION=8761h run -78 imgq-push a.png
	[ "$output" = "imgq-push: fatal: IMGQ_RETENTION: duration 8761h is out of range 1000..31536000000 ms" ]
	[ "$(imgq-stat depth)" = 0 ]
	run -0 imgq-push -r 8760h a.png
	[ "${#output}" = 26 ]
}

@test "unix:// URLs work (with ?db=N)" {
	sock=$T/redis.sock
	redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no \
	    --dir "$T" </dev/null >/dev/null 2>&1 &
	srv=$!
	wait_until 10 test -S "$sock"
	REDIS_URL="unix://$sock?db=3" run -0 imgq-push a.png
	id=$output
	# In database 3, not 0.
	[ "$(redis-cli -s "$sock" -n 3 hget "$(qkey job "$id")" src)" = a.png ]
	REDIS_URL="unix://$sock" run -0 imgq-stat depth
	[ "$output" = 0 ]
	kill $srv
	wait $srv || true
}

readonly_errors() {
	rcli info errorstats | sed -n 's/^errorstat_READONLY:count=\([0-9]*\).*/\1/p' | tr -d '\r'
}
readonly_more_than() { [ "$(readonly_errors)" -gt "$1" ]; }

@test "READONLY (a replica, as in a failover) is retried: 75 after the bound, success when a master is back" {
	port=$(free_port)
	rcli replicaof 127.0.0.1 "$port" >/dev/null
	IMGQ_REDIS_RETRY=300ms run -75 imgq-push a.png
	[[ "$output" == "imgq-push: fatal: Redis: READONLY You can't write against a read only replica. script: "* ]]
	n=$(readonly_errors)
	IMGQ_REDIS_RETRY=30s imgq-push b.png >"$T/out" 2>"$T/err" &
	p=$!
	wait_until 10 readonly_more_than "$n"
	rcli replicaof no one >/dev/null
	rc=0; wait $p || rc=$?
	[ "$rc" = 0 ]
	[ "$(imgq-stat job -f src "$(cat "$T/out")")" = b.png ]
	[ "$(cat "$T/err")" = "" ]
}

@test "standard output that cannot be written: 71" {
	run -71 sh -c 'imgq-push a.png >/dev/full'
	[ "$output" = "imgq-push: fatal: standard output: No space left on device" ]
}

@test "keys from a slow input are queued as they come, not held for a batch" {
	mkfifo "$T/in"
	imgq-push <"$T/in" >"$T/out" 2>"$T/err" &
	local pid=$!
	exec 7>"$T/in"
	echo a.png >&7
	# queued and printed while the input is still open
	wait_until 10 test -s "$T/out"
	[ "$(imgq-stat depth)" = 1 ]
	echo b.png >&7
	wait_until 10 sh -c '[ "$(wc -l <"$1")" = 2 ]' _ "$T/out"
	exec 7>&-
	wait "$pid"
	[ "$(imgq-stat depth)" = 2 ]
	[ "$(field "$(head -n 1 "$T/out")" src)" = a.png ]
	[ "$(cat "$T/err")" = "" ]
}

@test "an overlong line is refused as soon as it passes the key limit, in bounded memory" {
	run -65 --separate-stderr sh -c "head -c 200000000 /dev/zero | tr '\\0' a | $PY '$IMGQ_TOP/tests/helpers/peakrss.py' imgq-push"
	[[ "$stderr" == "imgq-push: fatal: key longer than 1024 bytes: aaaa"* ]]
	local rss=${output##*rss }
	[ "$rss" -lt 20000 ]
	[ "$(imgq-stat depth)" = 0 ]
}

@test "a bad key stops the input, the keys before it are queued and printed" {
	long=$(head -c 1100 /dev/zero | tr '\0' k)
	run -65 --separate-stderr sh -c 'printf "a.png\nb.png\n%s\nc.png\n" "$1" | imgq-push' _ "$long"
	[ "${#lines[@]}" = 2 ]
	[ "$(field "${lines[0]}" src)" = a.png ]
	[ "$(field "${lines[1]}" src)" = b.png ]
	[[ "$stderr" == "imgq-push: fatal: key longer than 1024 bytes: kkkk"* ]]
	[ "$(imgq-stat depth)" = 2 ]
}
