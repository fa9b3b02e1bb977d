#!/usr/bin/env bats
# deploy/kubernetes/: every object valid against the Kubernetes and KEDA
# schemas (kubernetes-models and @kubernetes-models/keda from npm, installed
# into tests/kubernetes/ from its lockfile), and the manifests consistent
# with what imgq does: the settings file parses with imgq's own parser, the
# ScaledObject watches the list that imgq-stat depth reads for the queue the
# settings name, KEDA reaches the Redis of REDIS_URL with TLS when it is
# rediss://, and the pods' grace periods outlast imgq-pop's hand-back.

load helpers/common

K8S=$IMGQ_TOP/deploy/kubernetes
VAL=$IMGQ_TOP/tests/kubernetes

setup_file() {
	imgq_setup_file
	local p
	for p in node npm; do
		command -v "$p" >/dev/null || {
			export K8S_SKIP="$p is not installed (scripts/deps)"
			return 0
		}
	done
	if [ ! -d "$VAL/node_modules/kubernetes-models" ] ||
		[ ! -d "$VAL/node_modules/@kubernetes-models/keda" ]; then
		(cd "$VAL" && npm ci --no-audit --no-fund >&2) || return 1
	fi
	redis_start
}

teardown_file() { imgq_teardown_file; }

setup() {
	[ -z "${K8S_SKIP:-}" ] || skip "$K8S_SKIP"
	T=$BATS_TEST_TMPDIR
	unset IMGQ_QUEUE IMGQ_GRACE IMGQ_KILL_AFTER
}

teardown() { stop_children; }

manifests() { node "$VAL/validate.mjs" "$@"; }

get() { # KIND/NAME POINTER
	node "$VAL/validate.mjs" -g "$1" "$2" "$K8S"/*.yaml
}

# The settings file of the imgq-env Secret, as mounted in the pods.
settings() {
	get Secret/imgq-env /stringData/imgq.env >"$T/imgq.env"
}

# One setting as the pods' programs see it (imgq's own parser, imgq-env(1);
# -o: the file's value, not the test's own REDIS_URL).
setting() { # NAME
	imgq-env -o "$T/imgq.env" /usr/bin/env | sed -n "s/^$1=//p"
}

# A duration of the settings or an argument (s, m, h or none) in seconds.
seconds() { # duration
	case $1 in
	*ms) echo $(((${1%ms} + 999) / 1000)) ;;
	*h) echo $((${1%h} * 3600)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}

# The value after OPTION in a container's args, before the "--".
arg() { # KIND/NAME OPTION
	get "$1" /spec/template/spec/containers/0/args | "$PY" -c '
import json, sys
a = json.load(sys.stdin)
a = a[:a.index("--")]
print(a[a.index(sys.argv[1]) + 1])' "$2"
}

@test "every object of deploy/kubernetes/ is valid against the Kubernetes and KEDA schemas" {
	run -0 manifests "$K8S"/*.yaml
	[ "$output" = "Deployment/imgq-recv ok
Service/imgq-recv ok
PodDisruptionBudget/imgq-recv ok
Secret/imgq-env ok
Secret/imgq-redis ok
Deployment/imgq-work ok
PodDisruptionBudget/imgq-work ok
TriggerAuthentication/imgq-redis ok
ScaledObject/imgq-work ok" ]
}

@test "the validator refuses a wrong type and a missing required field" {
	sed 's/^  replicas: 1$/  replicas: two/' "$K8S/workers.yaml" >"$T/a.yaml"
	run -1 manifests "$T/a.yaml"
	[ "$output" = "validate: $T/a.yaml: Deployment/imgq-work: data/spec/replicas must be integer" ]
	sed 's/^  scaleTargetRef:$/  scaleTarget:/' "$K8S/workers.yaml" >"$T/b.yaml"
	run -1 manifests "$T/b.yaml"
	[ "${lines[3]}" = "validate: $T/b.yaml: ScaledObject/imgq-work: data/spec must have required property scaleTargetRef" ]
}

@test "the settings Secret parses with imgq's parser and names every required setting" {
	settings
	run -0 imgq-env "$T/imgq.env" /bin/true
	[ "$output" = "" ]
	local v
	for v in REDIS_URL AWS_BUCKET_NAME AWS_ACCESS_KEY_ID \
		AWS_SECRET_ACCESS_KEY IMGQ_QUEUE IMGQ_ADMIN_TOKEN; do
		[ -n "$(setting "$v")" ]
	done
	# The pods mount it where imgq-prefork -e reads it.
	run -0 arg Deployment/imgq-recv -e
	[ "$output" = /etc/imgq/imgq.env ]
	run -0 arg Deployment/imgq-work -e
	[ "$output" = /etc/imgq/imgq.env ]
}

@test "the ScaledObject watches the list imgq-stat depth reads for the settings' queue" {
	settings
	rcli monitor >"$T/monitor" &
	wait_until 10 grep -qx OK "$T/monitor"
	# The test's Redis (REDIS_URL exported) wins over the file's; the queue
	# name comes from the file.
	run -0 imgq-env "$T/imgq.env" imgq-stat depth
	[ "$output" = 0 ]
	wait_until 10 grep -q '"LLEN"' "$T/monitor"
	kill %1
	local used
	used=$(sed -n 's/^.* "LLEN" "\(.*\)"$/\1/p' "$T/monitor")
	[ -n "$used" ]
	run -0 get ScaledObject/imgq-work /spec/triggers/0/metadata/listName
	[ "$output" = "$used" ]
	run -0 get ScaledObject/imgq-work /spec/triggers/0/type
	[ "$output" = redis ]
}

@test "KEDA reaches the Redis of REDIS_URL, with TLS and the password from a Secret" {
	settings
	local url hostport
	url=$(setting REDIS_URL)
	# rediss://[user[:password]@]host:port/db
	hostport=${url#*://}
	hostport=${hostport#*@}
	hostport=${hostport%%/*}
	run -0 get ScaledObject/imgq-work /spec/triggers/0/metadata/address
	[ "$output" = "$hostport" ]
	run -0 get ScaledObject/imgq-work /spec/triggers/0/metadata/databaseIndex
	[ "$output" = "${url##*/}" ]
	[ "${url%%://*}" = rediss ]
	run -0 get Secret/imgq-redis /stringData/tls
	[ "$output" = enable ]
	run -0 get ScaledObject/imgq-work /spec/triggers/0/authenticationRef/name
	[ "$output" = imgq-redis ]
	run -0 get TriggerAuthentication/imgq-redis /spec/secretTargetRef
	[ "$output" = '[{"parameter":"password","name":"imgq-redis","key":"password"},{"parameter":"tls","name":"imgq-redis","key":"tls"},{"parameter":"ca","name":"imgq-redis","key":"ca.crt"}]' ]
	# The same password as REDIS_URL's.
	local pw
	pw=${url#*://}
	pw=${pw%%@*}
	run -0 get Secret/imgq-redis /stringData/password
	[ "$output" = "${pw#*:}" ]
	run -0 get ScaledObject/imgq-work /spec/scaleTargetRef/name
	[ "$output" = imgq-work ]
}

@test "a worker pod outlasts imgq-pop's grace and hand-back, an ingest pod its preStop and requests" {
	settings
	local grace killafter pf tgp
	grace=$(seconds "$(setting IMGQ_GRACE)")
	killafter=$(seconds "$(setting IMGQ_KILL_AFTER)")
	[ "$grace" = 30 ]
	[ "$killafter" = 5 ]
	pf=$(seconds "$(arg Deployment/imgq-work -g)")
	tgp=$(get Deployment/imgq-work /spec/template/spec/terminationGracePeriodSeconds)
	# imgq-prefork must not KILL imgq-pop while it may still hand the job
	# back, and Kubernetes must not KILL imgq-prefork before its -g.
	[ "$pf" -gt $((grace + killafter)) ]
	[ "$tgp" -gt "$pf" ]
	pf=$(seconds "$(arg Deployment/imgq-recv -g)")
	tgp=$(get Deployment/imgq-recv /spec/template/spec/terminationGracePeriodSeconds)
	run -0 get Deployment/imgq-recv /spec/template/spec/containers/0/lifecycle/preStop/sleep/seconds
	[ "$tgp" -gt $((output + pf)) ]
}

@test "the ingest is probed on /healthz and served by its Service; both kinds of pod have a disruption budget" {
	local p
	for p in readinessProbe livenessProbe; do
		run -0 get Deployment/imgq-recv "/spec/template/spec/containers/0/$p/httpGet/path"
		[ "$output" = /healthz ]
	done
	run -0 get Deployment/imgq-recv /spec/template/spec/containers/0/ports/0/containerPort
	[ "$output" = 3000 ]
	run -0 arg Deployment/imgq-recv -l
	[ "$output" = :3000 ]
	run -0 get Service/imgq-recv /spec/selector
	[ "$output" = '{"app.kubernetes.io/name":"imgq","app.kubernetes.io/component":"ingest"}' ]
	run -0 get PodDisruptionBudget/imgq-recv /spec/selector/matchLabels
	[ "$output" = '{"app.kubernetes.io/name":"imgq","app.kubernetes.io/component":"ingest"}' ]
	run -0 get PodDisruptionBudget/imgq-work /spec/selector/matchLabels
	[ "$output" = '{"app.kubernetes.io/name":"imgq","app.kubernetes.io/component":"worker"}' ]
	run -0 get Deployment/imgq-work /spec/template/metadata/labels
	[ "$output" = '{"app.kubernetes.io/name":"imgq","app.kubernetes.io/component":"worker"}' ]
}
