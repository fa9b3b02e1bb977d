#!/usr/bin/env bats
# imgq-pop: the scratch folder of each run (IMGQ_TMPDIR, TMPDIR), made
# before the command and removed after it whatever the outcome; folders
# left by a killed imgq-pop are removed by the next one, never one in use.

load helpers/common
load helpers/queue

setup() {
	queue_setup scratch
	# A base of each test's own, so that the folders can be counted.
	export TMPDIR=$T/tmp
	mkdir "$TMPDIR"
	TMPDIR=$(cd "$TMPDIR" && pwd -P)
}

# The folders in the base, one a line.
folders() { (cd "$TMPDIR" && ls -A); }

# A command that records its folder in $T/dir, fills it, and then runs $1.
record() {
	echo "echo \"\$IMGQ_TMPDIR\" >$T/dir; echo x >\"\$IMGQ_TMPDIR/file\"; mkdir -p \"\$IMGQ_TMPDIR/a/b\"; ln -s $T \"\$IMGQ_TMPDIR/up\"; $1"
}

@test "the command gets one empty private folder as IMGQ_TMPDIR and TMPDIR; it is gone after success" {
	id=$(imgq-push a.png)
	run -0 imgq-pop sh -c 'echo "$IMGQ_TMPDIR"; echo "$TMPDIR"; stat -c "%a %U %F" "$IMGQ_TMPDIR"; ls -A "$IMGQ_TMPDIR" | wc -l; t=$(mktemp); dirname "$t"; mkdir "$IMGQ_TMPDIR/sub"; echo x >"$IMGQ_TMPDIR/sub/f"'
	[ "$output" = "" ]
	[ "$(state "$id")" = done ]
	run -0 field "$id" outputs
	dir=${lines[0]}
	[[ "$dir" == "$TMPDIR"/imgq-pop.???????????? ]]
	[ "${lines[1]}" = "$dir" ]
	[ "${lines[2]}" = "700 $(id -un) directory" ]
	[ "${lines[3]}" = 0 ]
	# mktemp, like any tool that honours TMPDIR, worked in it.
	[ "${lines[4]}" = "$dir" ]
	[ ! -e "$dir" ]
	[ "$(folders)" = "" ]
}

@test "a job field cannot set IMGQ_TMPDIR, and a push of one is refused" {
	run -64 imgq-push -f tmpdir=/etc a.png
	[ "${lines[0]}" = "imgq-push: fatal: -f: bad or reserved field name" ]
	id=$(imgq-push a.png)
	# Only Redis itself can give a job the reserved field.
	rcli hset "$(qkey job "$id")" tmpdir /etc >/dev/null
	run -0 imgq-pop sh -c 'env | grep -c "^IMGQ_TMPDIR="; echo "$IMGQ_TMPDIR"'
	[ "$(field "$id" outputs | head -n 1)" = 1 ]
	[[ "$(field "$id" outputs | tail -n 1)" == "$TMPDIR"/imgq-pop.* ]]
}

@test "the folder is removed after a retry, a reject, a halt and a signal; links in it are not followed" {
	echo keep >"$T/keep"
	for how in 'exit 75' 'exit 65' 'exit 78' 'kill -9 $$'; do
		id=$(imgq-push a.png)
		rm -f "$T/dir"
		rc=0
		imgq-pop -b 10s sh -c "$(record "$how")" 2>/dev/null || rc=$?
		case $how in
		'exit 78') [ "$rc" = 78 ]; [ "$(state "$id")" = queued ]
			imgq-pop true 2>/dev/null ;;
		'exit 65') [ "$rc" = 0 ]; [ "$(state "$id")" = dead ] ;;
		*) [ "$rc" = 0 ]; [ "$(state "$id")" = retry ] ;;
		esac
		[[ "$(cat "$T/dir")" == "$TMPDIR"/imgq-pop.* ]]
		[ ! -e "$(cat "$T/dir")" ]
		[ "$(folders)" = "" ]
		[ "$(cat "$T/keep")" = keep ]
	done
}

@test "the folder is removed after the time limit kills the command" {
	id=$(imgq-push a.png)
	run -0 imgq-pop -t 300ms -K 100ms -b 10s sh -c "$(record 'trap "" TERM; sleep 30 & wait; sleep 30')"
	[ "$(state "$id")" = retry ]
	[ "$(field "$id" error)" = "time limit of 300 ms exceeded (signal 9 (Killed))" ]
	[[ "$(cat "$T/dir")" == "$TMPDIR"/imgq-pop.* ]]
	[ "$(folders)" = "" ]
}

@test "the folder is removed when SIGTERM hands the job back" {
	id=$(imgq-push a.png)
	imgq-pop -g 200ms -K 100ms sh -c "$(record "touch $T/started; exec sleep 30")" 2>"$T/err" &
	p=$!
	wait_until 5 test -e "$T/started"
	[ -d "$(cat "$T/dir")" ]
	kill -TERM $p
	rc=0; wait $p || rc=$?
	[ "$rc" = 0 ]
	[ "$(state "$id")" = queued ]
	[ "$(folders)" = "" ]
}

@test "after kill -9 of imgq-pop, the next imgq-pop removes the folder it left" {
	id=$(imgq-push a.png)
	imgq-pop sh -c "$(record "touch $T/started; exec sleep 30")" 2>/dev/null &
	p=$!
	wait_until 5 test -e "$T/started"
	dir=$(cat "$T/dir")
	# Its folder, and the next job's, made while the command runs.
	wait_until 5 sh -c "[ \$(ls -A '$TMPDIR' | wc -l) = 2 ]"
	kill -9 $p
	wait $p || true
	[ -d "$dir/a/b" ]
	# Another user's folder and a link with the same kind of name stay.
	mkdir "$TMPDIR/imgq-pop.OtherUser123"
	chown nobody "$TMPDIR/imgq-pop.OtherUser123" 2>/dev/null || rmdir "$TMPDIR/imgq-pop.OtherUser123"
	ln -s "$T" "$TMPDIR/imgq-pop.LinkLinkLink"
	run -1 imgq-pop -v -w 100ms true
	[ "${lines[0]}" = "imgq-pop: info: removed 2 scratch folders left by imgq-pop runs that were killed" ]
	[ ! -e "$dir" ]
	[ -L "$TMPDIR/imgq-pop.LinkLinkLink" ]
	[ -e "$T/started" ]
	if [ -e "$TMPDIR/imgq-pop.OtherUser123" ]; then
		[ "$(folders)" = "imgq-pop.LinkLinkLink
imgq-pop.OtherUser123" ]
	fi
}

@test "a folder in use by a live imgq-pop is not removed by another one" {
	a=$(imgq-push a.png)
	imgq-pop sh -c "$(record "touch $T/started; while [ ! -e $T/go ]; do sleep 0.02; done; cat \"\$IMGQ_TMPDIR/file\"")" &
	p=$!
	wait_until 5 test -e "$T/started"
	dir=$(cat "$T/dir")
	b=$(imgq-push b.png)
	run -0 imgq-pop true
	[ "$(state "$b")" = done ]
	[ -e "$dir/file" ]
	touch "$T/go"
	rc=0; wait $p || rc=$?
	[ "$rc" = 0 ]
	[ "$(state "$a")" = done ]
	[ "$(field "$a" outputs)" = x ]
	[ "$(folders)" = "" ]
}

@test "a TMPDIR that is missing or not a folder: 78 before any job is taken" {
	id=$(imgq-push a.png)
	TMPDIR=$T/nope run -78 imgq-pop true
	[ "$output" = "imgq-pop: fatal: temporary folder $T/nope: No such file or directory" ]
	touch "$T/file"
	TMPDIR=$T/file run -78 imgq-pop true
	[ "$output" = "imgq-pop: fatal: temporary folder $T/file: Not a directory" ]
	[ "$(state "$id")" = queued ]
	[ "$(field "$id" attempts)" = 0 ]
	# An empty TMPDIR is /tmp, as for mktemp.
	TMPDIR= run -0 imgq-pop sh -c 'echo "$IMGQ_TMPDIR"'
	[[ "$(field "$id" outputs)" == /tmp/imgq-pop.* ]]
}
