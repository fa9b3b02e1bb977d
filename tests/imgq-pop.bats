#!/usr/bin/env bats
# imgq-pop: reserve, run, settle by exit class, against a real Redis.

load helpers/common
load helpers/queue

setup() {
	queue_setup pop
}

@test "exit 0: done, stdout lines are the outputs, the job is in the environment" {
	id=$(imgq-push -b bkt uploads/a.jpg)
	run -0 imgq-pop sh -c 'echo "$IMGQ_JOB_ID $IMGQ_SRC $IMGQ_BUCKET $IMGQ_NAME $IMGQ_TYPE $IMGQ_ATTEMPT $IMGQ_QUEUE"; echo processed/x/small.jpg'
	[ "$output" = "" ]
	[ "$(state "$id")" = done ]
	[ "$(field "$id" outputs)" = "$id uploads/a.jpg bkt a.jpg image/jpeg 1 $IMGQ_QUEUE
processed/x/small.jpg" ]
	run -0 imgq-stat -o json job "$id"
	[[ "$output" == *'"outputs":["'"$id"' uploads/a.jpg bkt a.jpg image/jpeg 1 '"$IMGQ_QUEUE"'","processed/x/small.jpg"]'* ]]
	[ "$(rcli ttl "$(qkey job "$id")")" -gt 600000 ]
	[ "$(imgq-stat depth)" = 0 ]
}

@test "exit 65, 66, 70 and 76: dead at once with the reason and the stderr tail" {
	for code in 65 66 70 76; do
		id=$(imgq-push "k$code.png")
		run -0 imgq-pop sh -c "seq 1 30 >&2; echo last words >&2; exit $code"
		[ "$(state "$id")" = dead ]
		[ "$(field "$id" exit)" = "$code" ]
		[ "$(field "$id" attempts)" = 1 ]
		# The reason ends with the first line of stderr.
		[[ "$(field "$id" error)" == "exit $code (EX_"*"): 1" ]]
		# The last 10 lines of stderr, not all of it.
		[ "$(field "$id" stderr)" = "$(seq 22 30; echo last words)" ]
	done
	run -0 imgq-stat dead
	[ "${#lines[@]}" = 4 ]
	[[ "${lines[0]}" == *"	1	exit 65 (EX_DATAERR): 1" ]]
}

@test "the reason takes stderr's first line: control characters as ?, cut at 160 bytes" {
	id=$(imgq-push a.png)
	run -0 imgq-pop sh -c 'printf "\n\nimgq-resize: not\tan\033[1m image\r\nmore\n" >&2; exit 65'
	[ "$(field "$id" error)" = "exit 65 (EX_DATAERR): imgq-resize: not?an?[1m image" ]
	[ "$(field "$id" stderr)" = $'\n\nimgq-resize: not\tan\033[1m image\r\nmore' ]
	run -0 imgq-stat dead
	[[ "$output" == *"	1	exit 65 (EX_DATAERR): imgq-resize: not?an?[1m image" ]]
	id=$(imgq-push b.png)
	run -0 imgq-pop sh -c 'printf "%0200d\n" 0 >&2; exit 66'
	[ "$(field "$id" error)" = "exit 66 (EX_NOINPUT): $(printf '%0160d' 0)..." ]
}

@test "exit 75: retry later with backoff, dead after the attempt limit with the stderr tail" {
	id=$(imgq-push a.png)
	run -0 imgq-pop -a 3 -b 10s sh -c 'echo temporary >&2; exit 75'
	[ "$(state "$id")" = retry ]
	[ "$(field "$id" attempts)" = 1 ]
	d=$(field "$id" delay)
	[ "$d" -ge 5000 ]
	[ "$d" -le 10000 ]
	[ "$(( $(field "$id" due) - $(field "$id" finished) ))" = "$d" ]
	[ "$(rcli zscore "$(qkey delayed)" "$id")" = "$(field "$id" due)" ]
	# Not due yet: nothing to take.
	run -1 imgq-pop -w 200ms true
	# Make it due now, then run out the attempts.
	rcli zadd "$(qkey delayed)" 0 "$id" >/dev/null
	run -0 imgq-pop -a 3 -b 1ms -n 2 -w 5s sh -c 'echo "try $IMGQ_ATTEMPT" >&2; exit 75'
	[ "$(state "$id")" = dead ]
	[ "$(field "$id" attempts)" = 3 ]
	[ "$(field "$id" error)" = "exit 75 (EX_TEMPFAIL): try 3 (attempt limit 3 reached)" ]
	[ "$(field "$id" stderr)" = "try 3" ]
}

@test "exit 71 is a retry too" {
	id=$(imgq-push a.png)
	run -0 imgq-pop -b 10s sh -c 'exit 71'
	[ "$(state "$id")" = retry ]
	[ "$(field "$id" error)" = "exit 71 (EX_OSERR)" ]
}

@test "backoff doubles per attempt and has jitter" {
	imgq-watch -f >"$T/events" &
	w=$!
	wait_until 5 subscribers 1
	id=$(imgq-push a.png)
	run -0 imgq-pop -a 4 -b 200ms -n 4 -w 10s sh -c 'exit 75'
	kill $w
	[ "$(state "$id")" = dead ]
	mapfile -t d < <(sed -n 's/.* retry attempt [0-9]*, next in \([0-9]*\) ms.*/\1/p' "$T/events")
	[ "${#d[@]}" = 3 ]
	[ "${d[0]}" -ge 100 ]
	[ "${d[0]}" -le 200 ]
	[ "${d[1]}" -ge 200 ]
	[ "${d[1]}" -le 400 ]
	[ "${d[2]}" -ge 400 ]
	[ "${d[2]}" -le 800 ]
	# Jitter: ten first failures do not all wait the same.
	for i in $(seq 1 10); do imgq-push "j$i.png"; done >"$T/ids"
	run -0 imgq-pop -b 100s -n 10 -w 2s sh -c 'exit 75'
	n=$(while read -r k; do field "$k" delay; echo; done <"$T/ids" | sort -u | wc -l)
	[ "$n" -ge 5 ]
}

@test "exit 77 and 78: halt, the job stays queued untouched and imgq-pop exits with the code" {
	for code in 77 78 64; do
		id=$(imgq-push a.png)
		run -$code imgq-pop sh -c "exit $code"
		[ "${lines[0]}" = "imgq-pop: fatal: command exit $code ($(case $code in 77) echo EX_NOPERM;; 78) echo EX_CONFIG;; 64) echo EX_USAGE;; esac)): halting; job $id is back in the queue" ]
		[ "$(state "$id")" = queued ]
		[ "$(field "$id" attempts)" = 0 ]
		[ "$(rcli lrange "$(qkey queue)" 0 -1)" = "$id" ]
		# Drain it for the next round.
		run -0 imgq-pop true
	done
}

@test "a command killed by a signal is retried; a poison pill ends dead" {
	id=$(imgq-push a.png)
	run -0 imgq-pop -b 10s sh -c 'kill -9 $$'
	[ "$(state "$id")" = retry ]
	[ "$(field "$id" signal)" = 9 ]
	[ "$(field "$id" error)" = "signal 9 (Killed)" ]
	rcli zadd "$(qkey delayed)" 0 "$id" >/dev/null
	run -0 imgq-pop -a 2 -b 1ms -w 5s sh -c 'kill -SEGV $$'
	[ "$(state "$id")" = dead ]
	[[ "$(field "$id" error)" == "signal 11 (Segmentation fault)"*"(attempt limit 2 reached)" ]]
}

@test "the time limit terminates a hung command (TERM, then KILL) and the job retries" {
	id=$(imgq-push a.png)
	run -0 imgq-pop -t 300ms -b 10s sh -c 'sleep 30'
	[ "$(state "$id")" = retry ]
	[ "$(field "$id" error)" = "time limit of 300 ms exceeded (signal 15 (Terminated))" ]
	[[ "$output" == *"imgq-pop: warning: job $id: time limit of 300 ms reached; terminating the command"* ]]
	rcli zadd "$(qkey delayed)" 0 "$id" >/dev/null
	# A command that ignores TERM gets KILL after -K.
	run -0 imgq-pop -t 300ms -K 200ms -b 10s sh -c 'trap "" TERM; sleep 30 & wait; sleep 30'
	[ "$(state "$id")" = retry ]
	[ "$(field "$id" error)" = "time limit of 300 ms exceeded (signal 9 (Killed))" ]
	[ "$(field "$id" attempts)" = 2 ]
}

@test "no job within -w: exit 1, nothing printed" {
	run -1 imgq-pop -w 300ms true
	[ "$output" = "" ]
}

@test "-n runs that many jobs; -l with -w stops when idle" {
	for i in 1 2 3 4; do imgq-push "$i.png"; done >/dev/null
	run -0 imgq-pop -n 3 true
	[ "$(imgq-stat depth)" = 1 ]
	run -0 imgq-pop -l -w 300ms true
	[ "$(imgq-stat depth)" = 0 ]
	run -0 imgq-stat -o tsv
	[[ "$output" == *"done	4"* ]]
}

@test "a command that cannot run: exit 78, the job goes back" {
	id=$(imgq-push a.png)
	run -78 imgq-pop /nonexistent/worker
	[ "$output" = "imgq-pop: fatal: cannot run /nonexistent/worker: No such file or directory; job $id is back in the queue" ]
	[ "$(state "$id")" = queued ]
	[ "$(field "$id" attempts)" = 0 ]
}

@test "SIGTERM lets the running job finish, then exits 0" {
	id=$(imgq-push a.png)
	imgq-pop sh -c "touch $T/started; while [ ! -e $T/go ]; do sleep 0.02; done; echo finished" &
	p=$!
	wait_until 5 test -e "$T/started"
	kill -TERM $p
	touch "$T/go"
	rc=0; wait $p || rc=$?
	[ "$rc" = 0 ]
	[ "$(state "$id")" = done ]
	[ "$(field "$id" outputs)" = finished ]
	consumers_are 0
}

@test "SIGTERM past the grace period hands the job back untouched, exit 0" {
	id=$(imgq-push a.png)
	imgq-pop -g 300ms -K 100ms sh -c "touch $T/started; exec sleep 30" 2>"$T/err" &
	p=$!
	wait_until 5 test -e "$T/started"
	kill -TERM $p
	rc=0; wait $p || rc=$?
	[ "$rc" = 0 ]
	[ "$(state "$id")" = queued ]
	[ "$(field "$id" attempts)" = 0 ]
	grep -qx "imgq-pop: warning: job $id: grace period over; terminating the command and handing the job back" "$T/err"
}

@test "SIGTERM while idle exits 0 at once" {
	imgq-pop true &
	p=$!
	wait_until 5 consumers_are 1
	kill -TERM $p
	rc=0; wait $p || rc=$?
	[ "$rc" = 0 ]
	consumers_are 0
}

@test "fields with spaces, newlines, %s, CRLF, RESP fragments and 1 MiB values round-trip byte-equal" {
	printf 'a b\nc %%s %%n\r\n*3\r\n$3\r\nSET\r\n:1\r\n' >"$T/odd"
	head -c 1048576 /dev/urandom >"$T/big"
	id=$(imgq-push -F odd="$T/odd" -F big="$T/big" -f "spaced=x  y" "dir with space/ü %s.jpg")
	imgq-stat job -f odd "$id" >"$T/odd.out"
	imgq-stat job -f big "$id" >"$T/big.out"
	cmp "$T/odd" "$T/odd.out"
	cmp "$T/big" "$T/big.out"
	[ "$(field "$id" src)" = "dir with space/ü %s.jpg" ]
	# The command sees them in its environment (the 1 MiB one is too
	# large for an environment and is left out, with a warning).
	run -0 imgq-pop sh -c "printf %s \"\$IMGQ_ODD\" >$T/odd.env; printf %s \"\$IMGQ_SPACED|\$IMGQ_SRC|\${IMGQ_BIG-unset}\" >$T/rest"
	cmp "$T/odd" "$T/odd.env"
	[ "$(cat "$T/rest")" = "x  y|dir with space/ü %s.jpg|unset" ]
	[ "$output" = "imgq-pop: warning: job $id: field big not exported (too large or holds NUL bytes)" ]
}

@test "bad usage is 64, missing REDIS_URL 78, refused credentials 77, Redis down 75" {
	run -64 imgq-pop
	[ "${lines[0]}" = "imgq-pop: fatal: no command given" ]
	run -64 imgq-pop -t forever true
	run -64 imgq-pop -q 'bad name' true
	REDIS_URL= run -78 imgq-pop true
	[ "$output" = "imgq-pop: fatal: REDIS_URL is not set" ]
	REDIS_URL=http://x run -78 imgq-pop true
	[ "$output" = "imgq-pop: fatal: REDIS_URL: must begin with redis://, rediss://, redis+sentinel://, rediss+sentinel:// or unix://" ]
	rcli acl setuser popper on '>right' '~*' '&*' '+@all' >/dev/null
	REDIS_URL="redis://popper:wrong@127.0.0.1:$REDIS_PORT/0" run -77 imgq-pop true
	[[ "$output" == "imgq-pop: fatal: Redis refused the credentials: WRONGPASS"*"127.0.0.1:$REDIS_PORT: AUTH" ]] || [[ "$output" == *"WRONGPASS"* ]]
	REDIS_URL="redis://popper:right@127.0.0.1:$REDIS_PORT/0" run -1 imgq-pop -w 100ms true
	port=$(free_port)
	IMGQ_REDIS_RETRY=300ms REDIS_URL="redis://127.0.0.1:$port/0" run -75 imgq-pop true
	[ "$output" = "imgq-pop: fatal: unable to connect to 127.0.0.1:$port: Connection refused" ]
}

@test "the command's environment keeps ours (IMGQ_ variables too) and the job's win" {
	id=$(imgq-push -f queue_note=x a.png)
	run -0 env -i IMGQ_FIRST=1 IMGQ_SRC=stale PATH="$PATH" REDIS_URL="$REDIS_URL" \
	    ASAN_OPTIONS="${ASAN_OPTIONS-}" UBSAN_OPTIONS="${UBSAN_OPTIONS-}" \
	    IMGQ_QUEUE="$IMGQ_QUEUE" imgq-pop sh -c 'echo "$IMGQ_FIRST $IMGQ_SRC $IMGQ_QUEUE_NOTE"'
	[ "$output" = "" ]
	[ "$(field "$id" outputs)" = "1 a.png x" ]
}

@test "the run's variables win over a field that gives the same name, which the command sees once" {
	id=$(imgq-push -f queue=other a.png)
	run -0 imgq-pop sh -c 'echo "$IMGQ_QUEUE $(env | grep -c "^IMGQ_QUEUE=")"'
	[ "$output" = "" ]
	[ "$(field "$id" outputs)" = "$IMGQ_QUEUE 1" ]
	[ "$(field "$id" queue)" = other ]
}

@test "the lease is extended while the command runs: a job longer than its lease is not handed out twice" {
	id=$(imgq-push a.png)
	imgq-pop -L 1s sh -c "touch $T/s; sleep 2.5; echo once" &
	p=$!
	wait_until 5 test -e "$T/s"
	# Past the lease: the heartbeat keeps it; nothing to reap, nothing to take.
	run -1 imgq-pop -L 1s -w 2s sh -c 'echo twice'
	run -0 imgq-stat reap
	[ "$output" = 0 ]
	rc=0; wait $p || rc=$?
	[ "$rc" = 0 ]
	[ "$(field "$id" outputs)" = once ]
	[ "$(field "$id" attempts)" = 1 ]
}

@test "a command that leaves a process writing to its output does not hold the worker" {
	id=$(imgq-push a.png)
	run -0 timeout 10 imgq-pop sh -c '(while :; do echo more; sleep 0.05; done) & echo main'
	[ "$(state "$id")" = done ]
	field "$id" outputs | grep -qx main
}

@test "no descriptors left for the command's pipes: 71, the job goes back" {
	id=$(imgq-push a.png)
	# Room for the scratch base, /dev/null, the self-pipe, the Redis
	# socket and the scratch folder, not for more.
	run -71 sh -c 'free=0 l=0
	    while [ $free -lt 6 ]; do
		[ -e /proc/$$/fd/$l ] || free=$((free + 1)); l=$((l + 1))
	    done
	    ulimit -n $l; exec imgq-pop true'
	[[ "$output" == "imgq-pop: fatal: job $id: pipe: Too many open files" ]]
	[ "$(state "$id")" = queued ]
	[ "$(field "$id" attempts)" = 0 ]
}

@test "a command not found in PATH: 78 at once, no job taken" {
	id=$(imgq-push a.png)
	run -78 imgq-pop no-such-worker-command
	[ "$output" = "imgq-pop: fatal: cannot run no-such-worker-command: No such file or directory" ]
	[ "$(state "$id")" = queued ]
	consumers_are 0
}

@test "a consumer with more jobs to take settles one and reserves the next in one call" {
	for i in 1 2 3 4 5; do imgq-push "$i.png"; done >/dev/null
	rcli config resetstat >/dev/null
	run -0 imgq-pop -n 5 sh -c 'echo "$IMGQ_SRC"'
	[ "$output" = "" ]
	# 1 start, 4 settle-and-start, 1 settle, 1 consumer stop.
	[ "$(rcli info commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p')" = 7 ]
	[ "$(summary done)" = 5 ]
	[ "$(imgq-stat depth)" = 0 ]
}

@test "TERM while Redis is away: an idle imgq-pop exits 0 at once, not after the retry window" {
	local d=$BATS_TEST_TMPDIR/r pid rc=0
	"$IMGQ_TOP/scripts/redis-local" start "$d" 0 >/dev/null
	REDIS_URL=redis://127.0.0.1:$(cat "$d/port")/0 IMGQ_REDIS_RETRY=60s \
		imgq-pop -l -vv true 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_until 10 sh -c '[ "$(REDISCLI_AUTH= redis-cli -p "$1" client list | grep -c "cmd=blmove")" = 1 ]' _ "$(cat "$d/port")" || true
	"$IMGQ_TOP/scripts/redis-local" stop "$d" >/dev/null
	wait_until 20 grep -q 'retrying$' "$BATS_TEST_TMPDIR/err"
	kill -TERM "$pid"
	local t0=$SECONDS
	wait "$pid" || rc=$?
	[ "$rc" = 0 ]
	[ $((SECONDS - t0)) -lt 10 ]
}

@test "the job's command gets descriptors 0 to 2 and nothing else: not the Redis connection" {
	id=$(imgq-push a.png)
	# ls's own directory is the 3
	run -0 --separate-stderr only_std_fds imgq-pop sh -c 'ls /proc/self/fd | sort -n | tr "\n" " " >&2'
	[ "$stderr" = "0 1 2 3" ]
	[ "$(state "$id")" = done ]
}

@test "what the command leaves running in the background ends with the job" {
	id=$(imgq-push a.png)
	run -0 imgq-pop sh -c 'sleep 987654 & echo $! >"$1"; exit 0' _ "$BATS_TEST_TMPDIR/bg"
	[ "$(state "$id")" = done ]
	bg=$(cat "$BATS_TEST_TMPDIR/bg")
	# TERM first: gone at once, long before the kill-after time
	wait_until 3 sh -c '! kill -0 "$1" 2>/dev/null' _ "$bg"
}

@test "the ingest's operator token never reaches a job, not even through a field" {
	id=$(imgq-push -f admin_token=from-a-field a.png)
	IMGQ_ADMIN_TOKEN=operator-secret-0123456789 run -0 --separate-stderr imgq-pop sh -c 'echo "[${IMGQ_ADMIN_TOKEN-unset}]" >&2'
	[ "$stderr" = "[unset]" ]
	[ "$(state "$id")" = done ]
}

# env_names CMD...: imgq-pop in an environment of these variables and
# nothing else, its command printing the names of its own, sorted, on one
# line of stderr.
env_of_job() {
	env -i PATH="$PATH" HOME=/home/w USER=w LOGNAME=w SHELL=/bin/sh \
	    LANG=C.UTF-8 LC_ALL=C LC_TIME=C TZ=UTC \
	    ASAN_OPTIONS="${ASAN_OPTIONS-}" UBSAN_OPTIONS="${UBSAN_OPTIONS-}" \
	    REDIS_URL="$REDIS_URL" IMGQ_QUEUE="$IMGQ_QUEUE" IMGQ_PRESETS=/p \
	    IMGQ_S3_TIMEOUT=9s AWS_ENDPOINT_URL=http://127.0.0.1:1 \
	    AWS_REGION=eu-west-1 AWS_BUCKET_NAME=b AWS_EC2_METADATA_DISABLED=true \
	    https_proxy=http://proxy:3128 no_proxy=localhost \
	    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	    IMGQ_ADMIN_TOKEN=operator-secret-0123456789 SSH_AUTH_SOCK=/s OTHER=1 \
	    "$@"
}

@test "the command gets the job, the run and the settings it needs: no credential, no REDIS_URL, nothing else" {
	id=$(imgq-push -f note=x a.png)
	run -0 --separate-stderr env_of_job AWS_ACCESS_KEY_ID=AKIDJOBTEST \
	    AWS_SECRET_ACCESS_KEY=secret-of-the-test AWS_SESSION_TOKEN=token-of-the-test \
	    imgq-pop sh -c 'env | cut -d= -f1 | sort | tr "\n" " " >&2; env | grep -c -e AKIDJOBTEST -e secret-of -e token-of -e "$1" -e operator-secret >&2' _ "$REDIS_URL"
	[ "$stderr" = "ASAN_OPTIONS AWS_BUCKET_NAME AWS_EC2_METADATA_DISABLED AWS_ENDPOINT_URL AWS_REGION HOME IMGQ_ATTEMPT IMGQ_CREATED IMGQ_JOB_ID IMGQ_NAME IMGQ_NOTE IMGQ_PRESETS IMGQ_QUEUE IMGQ_S3_CREDENTIALS_FILE IMGQ_S3_TIMEOUT IMGQ_SRC IMGQ_TMPDIR IMGQ_TYPE LANG LC_ALL LC_TIME LOGNAME PATH PWD SHELL TMPDIR TZ UBSAN_OPTIONS USER https_proxy no_proxy 0" ]
	[ "$(state "$id")" = dead ]	# grep -c found nothing: exit 1
}

@test "-E and IMGQ_POP_PASS_ENV pass more; IMGQ_ADMIN_TOKEN never; bad names are 64 and 78" {
	id=$(imgq-push -f s3_credentials_file=/etc/passwd a.png)
	run -0 --separate-stderr env_of_job IMGQ_POP_PASS_ENV='SSH_AUTH_SOCK, REDIS_URL' \
	    imgq-pop -E OTHER -E NOT_SET sh -c 'echo "$OTHER $SSH_AUTH_SOCK ${REDIS_URL%%:*} ${NOT_SET-unset} ${IMGQ_S3_CREDENTIALS_FILE-unset} ${IMGQ_ADMIN_TOKEN-unset}" >&2'
	[ "$stderr" = "1 /s redis unset unset unset" ]
	[ "$(state "$id")" = done ]
	run -64 imgq-pop -E IMGQ_ADMIN_TOKEN true
	[ "${lines[0]}" = "imgq-pop: fatal: IMGQ_ADMIN_TOKEN is never passed to a job" ]
	run -64 imgq-pop -E A=B true
	[ "${lines[0]}" = "imgq-pop: fatal: not a variable name: A=B" ]
	IMGQ_POP_PASS_ENV="OTHER,IMGQ_ADMIN_TOKEN" run -78 imgq-pop true
	[ "$output" = "imgq-pop: fatal: IMGQ_POP_PASS_ENV: IMGQ_ADMIN_TOKEN is never passed to a job" ]
	IMGQ_POP_PASS_ENV="1X" run -78 imgq-pop true
	[ "$output" = "imgq-pop: fatal: IMGQ_POP_PASS_ENV: not a variable name: 1X" ]
	[ "$(imgq-stat depth)" = 0 ]
}

@test "S3 credentials reach the command only as a 0600 file in its scratch folder, removed with it" {
	id=$(imgq-push a.png)
	AWS_ACCESS_KEY_ID=AKIDJOBTEST AWS_SECRET_ACCESS_KEY=secret-of-the-test \
	    AWS_SESSION_TOKEN=token-of-the-test AWS_REGION=eu-west-1 \
	    run -0 --separate-stderr imgq-pop sh -c '
		f=$IMGQ_S3_CREDENTIALS_FILE
		echo "$f" >"$1"
		[ "$f" = "$IMGQ_TMPDIR/.s3-credentials" ] || exit 9
		stat -c %a "$f" >&2
		cat "$f" >&2
		# (the patterns split, so that this text is no match itself)
		{ env; tr "\0" "\n" </proc/$$/cmdline; } |
			grep -c -e AKIDJOB""TEST -e secret-""of -e token-""of >&2
		exit 0' _ "$BATS_TEST_TMPDIR/f"
	[ "$stderr" = '600
{"AccessKeyId":"AKIDJOBTEST","SecretAccessKey":"secret-of-the-test","Token":"token-of-the-test"}
0' ]
	[ "$(state "$id")" = done ]
	[ -s "$BATS_TEST_TMPDIR/f" ]
	[ ! -e "$(cat "$BATS_TEST_TMPDIR/f")" ]
}
