#!/usr/bin/env bats
# The harness itself: the servers are real and really check what they should.

load helpers/common

setup_file() {
	imgq_setup_file
	redis_start
	s3_start
}

teardown_file() {
	imgq_teardown_file
}

@test "an object stored with the AWS CLI reads back byte-identical" {
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	run -0 aws_cli s3 cp --quiet "$BATS_TEST_TMPDIR/in" "s3://$AWS_BUCKET_NAME/harness/a b+c.bin"
	run -0 aws_cli s3 cp --quiet "s3://$AWS_BUCKET_NAME/harness/a b+c.bin" "$BATS_TEST_TMPDIR/out"
	[ "$(sha256 "$BATS_TEST_TMPDIR/in")" = "$(sha256 "$BATS_TEST_TMPDIR/out")" ]
}

@test "a request signed with a wrong secret is refused" {
	AWS_SECRET_ACCESS_KEY=not-the-secret run -254 aws_cli s3api list-objects-v2 --bucket "$AWS_BUCKET_NAME"
	[[ "$output" == *"(SignatureDoesNotMatch)"* ]]
}

@test "a tampered presigned URL is refused, the real one works" {
	echo hello >"$BATS_TEST_TMPDIR/h"
	run -0 aws_cli s3 cp --quiet "$BATS_TEST_TMPDIR/h" "s3://$AWS_BUCKET_NAME/harness/h"
	url=$(aws_cli s3 presign "s3://$AWS_BUCKET_NAME/harness/h" --expires-in 60)
	run -0 curl -sS -f "$url"
	[ "$output" = hello ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "${url/harness\/h/harness\/x}"
	[ "$output" = 403 ]
}

@test "a command round-trips through the local Redis" {
	run -0 rcli set harness:key "a value with spaces"
	[ "$output" = OK ]
	run -0 rcli get harness:key
	[ "$output" = "a value with spaces" ]
	run -0 rcli config get appendonly
	[ "$output" = "appendonly
yes" ]
}

@test "wait_until gives up at its deadline" {
	start=$SECONDS
	run -1 wait_until 1 false
	[ "$output" = "wait_until: timed out: false" ]
	[ $((SECONDS - start)) -le 3 ]
}

@test "no assertion in the bats files is one that set -e ignores" {
	run -0 "$PY" "$IMGQ_TOP/tests/helpers/noop-check.py" \
		"$IMGQ_TOP"/tests/*.bats "$IMGQ_TOP"/tests/helpers/*.bash
	[ "$output" = "" ]
}

@test "the no-op check finds '! cmd' and '[ ] && [ ]' before a block's end, and only there" {
	f=$BATS_TEST_TMPDIR/sample.bats
	# (The test's opening line is printed apart: bats would take it for
	# one of this file's tests.)
	printf '@%s "sample" {\n' test >"$f"
	# Each line of the sample after its '|' (so that no line of this file
	# starts with what the check looks for).
	sed 's/^|//' >>"$f" <<'SAMPLE'
|	! false
|	run ! false
|	[ 1 = 2 ] && [ 1 = 1 ]
|	[ 1 = 2 ] && [ 1 = 1 ] || true
|	cat <<END
|! a here-document line
|END
|	for i in 1; do
|		! false
|	done
|	[ 1 = 1 ] &&
|		[ 2 = 2 ]
|	! false || echo handled
|	! true
|}
|helper() {
|	[ 1 = 1 ] && [ 2 = 2 ]
|}
SAMPLE
	run -1 "$PY" "$IMGQ_TOP/tests/helpers/noop-check.py" "$f"
	[ "$output" = "$f:2: '! cmd' is ignored by set -e: use 'run ! cmd' or 'run -N cmd'
$f:4: the tests before '&&' are ignored by set -e: one test a line
$f:10: '! cmd' is ignored by set -e: use 'run ! cmd' or 'run -N cmd'
$f:12: the tests before '&&' are ignored by set -e: one test a line" ]
	run -66 "$PY" "$IMGQ_TOP/tests/helpers/noop-check.py" "$BATS_TEST_TMPDIR/none.bats"
	[ "$output" = "noop-check: $BATS_TEST_TMPDIR/none.bats: No such file or directory" ]
}

@test "tests/run refuses a bats file it cannot find" {
	run -66 "$IMGQ_TOP/tests/run" "$BATS_TEST_TMPDIR/nonexistent.bats"
	[ "$output" = "tests/run: fatal: $BATS_TEST_TMPDIR/nonexistent.bats: no such file" ]
	# before running any of the others
	run -66 "$IMGQ_TOP/tests/run" "$IMGQ_TOP/tests/harness.bats" "$BATS_TEST_TMPDIR/nonexistent.bats"
	[ "$output" = "tests/run: fatal: $BATS_TEST_TMPDIR/nonexistent.bats: no such file" ]
}

@test "no test reads outside the repository: every image named in a test is in tests/fixtures" {
	# (each pattern written so that it does not match itself)
	run -1 grep -rn -e '[.][.]/shared' -e '/wor[k]/' \
		"$IMGQ_TOP"/tests/*.bats "$IMGQ_TOP"/tests/helpers
	[ "$output" = "" ]
	[ "$CORPUS" = "$IMGQ_TOP/tests/fixtures/photos" ]
	[ "$MALFORMED" = "$IMGQ_TOP/tests/fixtures/malformed" ]
	# every photo that a bats file or helper names under $CORPUS is there
	names=$(grep -rhoE '\$CORPUS/[A-Za-z0-9_.-]+' "$IMGQ_TOP"/tests/*.bats "$IMGQ_TOP"/tests/helpers | sort -u)
	[ -n "$names" ]
	for n in $names; do
		[ -f "$CORPUS/${n#\$CORPUS/}" ] || { echo "missing: $n"; false; }
	done
	# and every image there has its entry in the README
	for f in "$CORPUS"/*.jpg "$CORPUS"/*.png; do
		grep -q "^$(basename "$f")  " "$CORPUS/README" || { echo "not in README: $f"; false; }
	done
}

@test "scripts/corpus: -p names the benchmarks' corpus or says how to build it; it replaces no folder of another's" {
	d=$BATS_TEST_TMPDIR/corpus
	IMGQ_CORPUS=$d run -66 "$IMGQ_TOP/scripts/corpus" -p
	[ "$output" = "corpus: fatal: $d: no photo corpus (build it with scripts/corpus, or set IMGQ_CORPUS)" ]
	mkdir "$d"
	echo "# scripts/corpus" >"$d/SOURCES"
	IMGQ_CORPUS=$d run -0 "$IMGQ_TOP/scripts/corpus" -p
	[ "$output" = "$d" ]
	mkdir "$BATS_TEST_TMPDIR/mine"
	echo keep >"$BATS_TEST_TMPDIR/mine/notes"
	run -73 "$IMGQ_TOP/scripts/corpus" "$BATS_TEST_TMPDIR/mine"
	[ "$output" = "corpus: fatal: $BATS_TEST_TMPDIR/mine: exists and is not a corpus built by scripts/corpus" ]
	[ "$(cat "$BATS_TEST_TMPDIR/mine/notes")" = keep ]
	run -64 "$IMGQ_TOP/scripts/corpus" -x
	[ "$output" = "corpus: fatal: usage: corpus [-p | DIR]" ]
}

@test "the service scripts: die CODE MESSAGE, one line without the code" {
	run -64 "$IMGQ_TOP/scripts/redis-local"
	[ "$output" = "redis-local: fatal: usage: redis-local start|stop|env DIR [PORT]" ]
	run -64 "$IMGQ_TOP/scripts/s3-local" frob "$BATS_TEST_TMPDIR"
	[ "$output" = "s3-local: fatal: usage: s3-local start|stop|status|env|bucket DIR [PORT|NAME]" ]
	run -64 "$IMGQ_TOP/scripts/services" frob
	[ "$output" = "services: fatal: usage: services start|stop|env [STATE]" ]
	run -78 "$IMGQ_TOP/scripts/services" env "$BATS_TEST_TMPDIR/none"
	[ "$output" = "services: fatal: $BATS_TEST_TMPDIR/none: not started (scripts/services start)" ]
}

@test "redis-local: ready when redis-server says so; 75 when its port is taken" {
	d=$BATS_TEST_TMPDIR/r
	run -0 "$IMGQ_TOP/scripts/redis-local" start "$d" 0
	[ "$output" = "" ]
	run -0 redis-cli -p "$(cat "$d/port")" ping
	[ "$output" = PONG ]
	[ "$(cat "$d/env")" = "REDIS_URL=redis://127.0.0.1:$(cat "$d/port")/0" ]
	run -0 "$IMGQ_TOP/scripts/redis-local" stop "$d"
	[ ! -e "$d/redis.pid" ]
	# This file's own Redis holds the port: named, neither adopted nor
	# stopped.
	run -75 "$IMGQ_TOP/scripts/redis-local" start "$BATS_TEST_TMPDIR/r2" "$REDIS_PORT"
	[ "$output" = "redis-local: fatal: port $REDIS_PORT is in use by pid $(cat "$IMGQ_TEST_REDIS_DIR/redis.pid") (redis-server): choose another port, or 0 for a free one" ]
	[ ! -e "$BATS_TEST_TMPDIR/r2/redis.pid" ]
	run -0 "$IMGQ_TOP/scripts/redis-local" stop "$BATS_TEST_TMPDIR/r2"
	run -0 rcli ping
	[ "$output" = PONG ]
}
