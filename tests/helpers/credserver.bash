# credserver.bash: the double of the container credentials endpoint and of
# instance metadata (credserver.py), serving the local S3 service's keys.
#
# cred_start: starts it (after s3_start); exports CRED_URL and CRED_LOG
#   (its request log); writes the object cred/k holding "x".
# cred_stop: stops it.

cred_start() {
	local d=$BATS_FILE_TMPDIR/cred
	mkdir -p "$d"
	CRED_KEY=$AWS_ACCESS_KEY_ID CRED_SECRET=$AWS_SECRET_ACCESS_KEY CRED_AUTH="Bearer sesame" \
		"$PY" "$IMGQ_TOP/tests/helpers/credserver.py" "$d/port" "$d/log" </dev/null >/dev/null 2>&1 &
	echo $! >"$d/pid"
	wait_until 10 test -s "$d/port"
	export CRED_URL=http://127.0.0.1:$(cat "$d/port") CRED_LOG=$d/log
	echo x | s3put cred/k
}

cred_stop() {
	kill "$(cat "$BATS_FILE_TMPDIR/cred/pid")" 2>/dev/null || true
}
