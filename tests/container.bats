#!/usr/bin/env bats
# deploy/container/: the image built from a Debian 12 root file system
# (mmdebstrap) with buildah, then run with podman against this file's Redis
# and the test S3 service: a non-root user, every program with its
# libraries, the ingest answering /healthz, a worker finishing a job.
#
# The build fetches Debian from the mirror each time and takes a minute or
# two of the two cores the suite shares: it runs only with
# IMGQ_TEST_CONTAINER=1.

load helpers/common

setup_file() {
	imgq_setup_file
	if [ "${IMGQ_TEST_CONTAINER:-}" != 1 ]; then
		export CT_SKIP="the image build downloads Debian from the mirror and takes 1 to 2 minutes: IMGQ_TEST_CONTAINER=1 runs it"
		return 0
	fi
	local p
	for p in mmdebstrap buildah podman; do
		command -v "$p" >/dev/null || {
			export CT_SKIP="$p is not installed (apt-get install mmdebstrap buildah podman)"
			return 0
		}
	done
	if [ "$(id -u)" != 0 ] && ! grep -q "^$(id -un):" /etc/subuid 2>/dev/null; then
		export CT_SKIP="not root and no subordinate ids in /etc/subuid: no user namespace to build in"
		return 0
	fi
	export CT_TAG=localhost/imgq:test-$$
	# 69: the build cannot reach the Debian mirror (it says which).
	local rc=0
	"$IMGQ_TOP/deploy/container/build" -t "$CT_TAG" \
		>&2 2>"$BATS_FILE_TMPDIR/build.err" || rc=$?
	cat "$BATS_FILE_TMPDIR/build.err" >&2
	if [ "$rc" = 69 ]; then
		CT_SKIP=$(tail -n 1 "$BATS_FILE_TMPDIR/build.err")
		export CT_SKIP=${CT_SKIP#build: fatal: }
		return 0
	fi
	[ "$rc" = 0 ] || return 1
	# podman's defaults first; else what a container of a machine (cgroup
	# v1 with v2 beside it, no CAP_SYS_RESOURCE) needs: runc (crun refuses
	# that hybrid) and limits it may set without raising any.
	local r=(run --rm)
	if ! podman "${r[@]}" "$CT_TAG" true 2>/dev/null; then
		r=(--runtime runc --cgroup-manager=cgroupfs run --rm
			--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
		if ! podman "${r[@]}" "$CT_TAG" true 2>"$BATS_FILE_TMPDIR/podman.err"; then
			CT_RUN_SKIP=$(head -n 1 "$BATS_FILE_TMPDIR/podman.err")
			export CT_RUN_SKIP="podman cannot run a container here: $CT_RUN_SKIP"
		fi
	fi
	# (An array is not exported: the words, for ctr to split.)
	export CT_RUN="${r[*]}"
	redis_start
	s3_start
}

teardown_file() {
	[ -z "${CT_TAG:-}" ] || podman rmi -f "$CT_TAG" >/dev/null 2>&1 || true
	imgq_teardown_file
}

setup() {
	[ -z "${CT_SKIP:-}" ] || skip "$CT_SKIP"
	export IMGQ_QUEUE=ct$BATS_TEST_NUMBER
}

teardown() {
	[ -z "${CT_NAME:-}" ] || podman rm -f "$CT_NAME" >/dev/null 2>&1 || true
	stop_children
}

# For the tests that run the image.
can_run() {
	[ -z "${CT_RUN_SKIP:-}" ] || skip "$CT_RUN_SKIP"
}

# ctr ARGS...: the image with the host's network and the test's settings
# (passed by name, so no secret is in an argument).
ctr() {
	# shellcheck disable=SC2086
	podman $CT_RUN --network=host \
		-e REDIS_URL -e AWS_ENDPOINT_URL -e AWS_ACCESS_KEY_ID \
		-e AWS_SECRET_ACCESS_KEY -e AWS_REGION -e AWS_BUCKET_NAME \
		-e AWS_EC2_METADATA_DISABLED -e IMGQ_QUEUE "$@"
}

@test "the image is made to run as the unprivileged user imgq" {
	run -0 podman image inspect --format '{{.Config.User}} {{.Config.Entrypoint}}' "$CT_TAG"
	[ "$output" = "10001:10001 [/usr/bin/tini --]" ]
}

@test "the image runs as the unprivileged user imgq" {
	can_run
	run -0 ctr "$CT_TAG" id
	[ "$output" = "uid=10001(imgq) gid=10001(imgq) groups=10001(imgq)" ]
}

@test "the image holds every program and the libraries they load" {
	can_run
	run -0 ctr "$CT_TAG" ls /usr/local/bin
	[ "$output" = "$( (ls "$IMGQ_BIN"; cd "$IMGQ_TOP/scripts" && ls imgq-*) | sort -u)" ]
	# grep's 1: no line "... => not found".
	run -1 ctr "$CT_TAG" sh -c 'for f in /usr/local/bin/*; do ldd "$f" 2>/dev/null; done | grep "not found"'
	[ "$output" = "" ]
	run -0 ctr "$CT_TAG" ls /usr/local/share/imgq
	[ "$output" = "presets
www" ]
}

@test "the ingest in the image answers /healthz with the test's Redis and S3" {
	can_run
	local port
	port=$(free_port)
	CT_NAME=imgq-ct-recv-$$
	ctr -d --name "$CT_NAME" "$CT_TAG" \
		imgq-prefork -l "127.0.0.1:$port" -n 1 -- imgq-recv >/dev/null
	wait_until 30 curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/healthz"
	run -0 curl -sS --max-time 5 "http://127.0.0.1:$port/healthz"
	[ "$output" = '{"ok":true}' ]
	podman stop -t 10 "$CT_NAME" >/dev/null
}

@test "a worker in the image finishes a job pushed on the host" {
	can_run
	s3put uploads/c1.jpg "$FIXTURES/img/scans4.jpg"
	id=$(imgq-push uploads/c1.jpg)
	run -0 ctr "$CT_TAG" imgq-pop -w 10s -- imgq-work
	[ "$(field "$id" state)" = "done" ]
	[ "$(field "$id" outputs)" = "processed/c1/large.jpg
processed/c1/thumb.webp" ]
}
