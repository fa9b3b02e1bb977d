#!/usr/bin/env bats
# imgq-stat: summary, job records, dead letters, requeue, purge, depth,
# reap, Prometheus text; warnings about the server's settings.

load helpers/common
load helpers/queue

setup() {
	queue_setup stat
}

# A queue with 2 queued, 1 done, 1 delayed, 2 dead (the ids in $T/ids, in
# that order: done, delayed, dead, dead, queued, queued).
fill() {
	imgq-push a.png b.png c.png d.png e.png f.png >"$T/ids"
	imgq-pop true
	imgq-pop -b 1h sh -c 'exit 75'
	imgq-pop sh -c 'echo "bad image" >&2; exit 65'
	imgq-pop sh -c 'exit 66'
}

@test "summary: tab-separated for programs, aligned text with -o text, JSON with -j" {
	fill
	run -0 imgq-stat
	[ "$output" = "queue	$IMGQ_QUEUE
queued	2
active	0
delayed	1
dead	2
done	1
per_minute	1
consumers	0" ]
	run -0 imgq-stat -o text summary
	[ "${lines[1]}" = "queued      2" ]
	[ "${lines[5]}" = "done        1 (retention window)" ]
	run -0 imgq-stat -j
	[ "$output" = '{"queue":"'"$IMGQ_QUEUE"'","queued":2,"active":0,"delayed":1,"dead":2,"done":1,"per_minute":1,"consumers":[]}' ]
}

@test "summary lists consumers with their heartbeat age while one runs" {
	imgq-push a.png >/dev/null
	imgq-pop -c worker-1 sh -c "touch $T/s; while [ ! -e $T/go ]; do sleep 0.02; done" &
	p=$!
	wait_until 5 test -e "$T/s"
	run -0 imgq-stat
	[[ "$output" == *"active	1"* ]]
	re=$'consumer\tworker-1\t[0-9]+\t[0-9]+\t1'
	[[ "$output" =~ $re ]]
	run -0 imgq-stat -o prom
	[[ "$output" == *'imgq_jobs{queue="'"$IMGQ_QUEUE"'",state="active"} 1'* ]]
	[[ "$output" =~ imgq_consumer_heartbeat_age_seconds\{queue=\"$IMGQ_QUEUE\",consumer=\"worker-1\"\}\ [0-9]+\.[0-9]{3} ]]
	touch "$T/go"
	wait $p
}

@test "-o prom: Prometheus text format" {
	fill
	run -0 imgq-stat -o prom
	[ "${lines[0]}" = "# HELP imgq_jobs Jobs of the queue by state." ]
	[ "${lines[1]}" = "# TYPE imgq_jobs gauge" ]
	[ "${lines[2]}" = "imgq_jobs{queue=\"$IMGQ_QUEUE\",state=\"queued\"} 2" ]
	[ "${lines[5]}" = "imgq_jobs{queue=\"$IMGQ_QUEUE\",state=\"dead\"} 2" ]
	[[ "$output" == *"imgq_consumers{queue=\"$IMGQ_QUEUE\"} 0"* ]]
	run -64 imgq-stat -o prom depth
	run -64 imgq-stat -o yaml
}

@test "depth: one number" {
	fill
	run -0 imgq-stat depth
	[ "$output" = 2 ]
}

@test "job ID: every field, text escaped, JSON, one raw field" {
	id=$(imgq-push -f note=$'two\nlines' a.png)
	run -0 imgq-stat -o text job "$id"
	[[ "$output" == *"note       two\\nlines"* ]]
	[[ "$output" == *"state      queued"* ]]
	run -0 imgq-stat job "$id"
	[[ "$output" == *"src	a.png"* ]]
	run -0 imgq-stat -j job "$id"
	[[ "$output" == '{"id":"'"$id"'",'* ]]
	[[ "$output" == *'"note":"two\nlines"'* ]]
	[[ "$output" == *'"attempts":0'* ]]
	run -0 imgq-stat job -f note "$id"
	[ "$output" = $'two\nlines' ]
	run -66 imgq-stat job 0000000000aaaaaaaaaaaaaaaa
	[ "$output" = "imgq-stat: fatal: no such job: 0000000000aaaaaaaaaaaaaaaa" ]
	run -65 imgq-stat job nope
	[ "$output" = "imgq-stat: fatal: not a job id: 'nope'" ]
	run -64 imgq-stat job
}

@test "dead: list with reasons, filtered by reason and time" {
	fill
	run -0 imgq-stat dead
	[ "${#lines[@]}" = 2 ]
	re=$'^[0-9a-z]{26}\t[0-9T:-]+Z\t1\texit 65 \\(EX_DATAERR\\): bad image$'
	[[ "${lines[0]}" =~ $re ]]
	[[ "${lines[1]}" == *"	1	exit 66 (EX_NOINPUT)" ]]
	run -0 imgq-stat dead -e EX_NOINPUT
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *"exit 66 (EX_NOINPUT)" ]]
	run -0 imgq-stat dead -e 'bad image'
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *"exit 65 (EX_DATAERR): bad image" ]]
	# Fields in place of the reason, for scripts; an absent one is empty.
	run -0 imgq-stat dead -f src -f nope -f exit
	re=$'^[0-9a-z]{26}\t[0-9T:-]+Z\t1\tc.png\t\t65$'
	[[ "${lines[0]}" =~ $re ]]
	re=$'^[0-9a-z]{26}\t[0-9T:-]+Z\t1\td.png\t\t66$'
	[[ "${lines[1]}" =~ $re ]]
	run -0 imgq-stat -o text dead -f src -e EX_NOINPUT
	[[ "$output" =~ ^[0-9a-z]{26}\ \ [0-9T:-]+Z\ \ attempts\ 1\ \ d\.png$ ]]
	run -64 imgq-stat dead -f 1 -f 2 -f 3 -f 4 -f 5 -f 6 -f 7 -f 8 -f 9
	[ "${lines[0]}" = "imgq-stat: fatal: dead takes at most 8 -f" ]
	run -0 imgq-stat dead -s 1h
	[ "${#lines[@]}" = 2 ]
	# Make one old: it falls out of the last hour.
	old=$(imgq-stat dead | head -n 1 | cut -f 1)
	rcli zadd "$(qkey dead)" 1000 "$old" >/dev/null
	run -0 imgq-stat dead -s 1h
	[ "${#lines[@]}" = 1 ]
	run -0 imgq-stat -j dead -e EX_DATAERR
	[[ "$output" == '[{"id":"'"$old"'",'*'"stderr":"bad image"'*']' ]]
}

@test "requeue: dead jobs go back with attempts reset; others are left alone (exit 1)" {
	fill
	dead=$(imgq-stat dead | head -n 1 | cut -f 1)
	run -0 imgq-stat requeue "$dead"
	[ "$output" = "$dead" ]
	[ "$(imgq-stat job -f state "$dead")" = queued ]
	[ "$(imgq-stat job -f attempts "$dead")" = 0 ]
	[ "$(imgq-stat depth)" = 3 ]
	queued=$(sed -n 5p "$T/ids")
	[ "$(imgq-stat job -f state "$queued")" = queued ]
	run -1 imgq-stat requeue "$queued"
	[ "$output" = "imgq-stat: error: job $queued is neither dead nor done; left alone" ]
	run -66 imgq-stat requeue 0000000000aaaaaaaaaaaaaaaa
	run -0 imgq-stat requeue -a
	[ "${#lines[@]}" = 1 ]
	[ "$(imgq-stat depth)" = 4 ]
	[ "$(summary dead)" = 0 ]
	run -64 imgq-stat requeue
}

@test "purge deletes dead jobs and their records" {
	fill
	run -0 imgq-stat purge
	[ "$output" = 2 ]
	[ "$(summary dead)" = 0 ]
	run -0 imgq-stat dead
	[ "$output" = "" ]
	[ "$(imgq-stat depth)" = 2 ]
}

@test "reap: jobs of a consumer whose lease expired go back, attempt counted" {
	id=$(imgq-push a.png)
	imgq-pop -L 1s sh -c "touch $T/s; kill -9 \$PPID; sleep 5" || true
	run -0 imgq-stat reap
	[ "$output" = 0 ]
	wait_until 5 sh -c "[ \"\$(imgq-stat reap)\" = 1 ]"
	[ "$(imgq-stat job -f state "$id")" = queued ]
	[ "$(imgq-stat job -f attempts "$id")" = 1 ]
	[[ "$(imgq-stat job -f error "$id")" == "worker lost: lease of "*" expired" ]]
}

@test "warns when the server would evict or does not persist" {
	run -0 imgq-stat depth
	[ "$output" = 0 ]
	rcli config set maxmemory-policy allkeys-lru >/dev/null
	rcli config set appendonly no >/dev/null
	run -0 imgq-stat
	rcli config set maxmemory-policy noeviction >/dev/null
	rcli config set appendonly yes >/dev/null
	[ "${lines[0]}" = "imgq-stat: warning: server evicts keys under memory pressure (maxmemory-policy allkeys-lru): jobs can vanish; use noeviction" ]
	[ "${lines[1]}" = "imgq-stat: warning: server does not persist every write (appendonly no): a crash loses the jobs since the last snapshot; see etc/redis.conf" ]
	run -0 imgq-stat
	[ "${lines[0]}" = "queue	$IMGQ_QUEUE" ]
}

@test "usage 64, config 78" {
	run -64 imgq-stat frobnicate
	[ "${lines[0]}" = "imgq-stat: fatal: unknown subcommand" ]
	run -64 imgq-stat depth extra
	REDIS_URL= run -78 imgq-stat
	[ "$output" = "imgq-stat: fatal: REDIS_URL is not set" ]
	REDIS_URL=redis://a:b:c@ run -78 imgq-stat
}

@test "a bad queue variable is 78 naming it, a bad -q 64" {
	IMGQ_QUEUE='a b' run -78 imgq-stat depth
	[ "$output" = "imgq-stat: fatal: IMGQ_QUEUE: bad queue name (want 1 to 64 of [A-Za-z0-9_.-])" ]
	IMGQ_ATTEMPTS=0 run -78 imgq-stat depth
	[ "$output" = "imgq-stat: fatal: IMGQ_ATTEMPTS: 0 is out of range 1..1000" ]
	IMGQ_RETENTION=10ms run -78 imgq-stat depth
	[ "$output" = "imgq-stat: fatal: IMGQ_RETENTION: duration 10ms is out of range 1000..31536000000 ms" ]
	IMGQ_REDIS_RETRY=2d run -78 imgq-stat depth
	[ "$output" = "imgq-stat: fatal: IMGQ_REDIS_RETRY: not a duration: '2d'" ]
	run -64 imgq-stat -q 'a:b' depth
	[ "${lines[0]}" = "imgq-stat: fatal: -q: bad queue name (want 1 to 64 of [A-Za-z0-9_.-])" ]
	run -0 imgq-stat -q "$IMGQ_QUEUE.other" depth
	[ "$output" = 0 ]
}

@test "Redis down 75, refused credentials 77" {
	port=$(free_port)
	IMGQ_REDIS_RETRY=200ms REDIS_URL="redis://127.0.0.1:$port" run -75 imgq-stat depth
	[ "$output" = "imgq-stat: fatal: unable to connect to 127.0.0.1:$port: Connection refused" ]
	REDIS_URL="redis://nobody:x@127.0.0.1:$REDIS_PORT" run -77 imgq-stat depth
	[[ "$output" == "imgq-stat: fatal: 127.0.0.1:$REDIS_PORT: AUTH: Redis refused the credentials: WRONGPASS"* ]]
}
