#!/usr/bin/env bats
# The systemd units' least privilege (SECURITY in imgq(7)): each service
# runs as the user imgq with the sandboxing settings, scores "OK" (2.5 or
# lower) in systemd-analyze security, and writes only where it must.
# deploy.bats runs the units' commands and systemd-analyze verify.

load helpers/common

# every service unit shipped, so a new one cannot miss the check
UNITS=$(cd "$IMGQ_TOP" && echo etc/systemd/*.service inetd/*.service)

setup_file() {
	imgq_setup_file
}

teardown_file() {
	imgq_teardown_file
}

need_offline() {
	command -v systemd-analyze >/dev/null 2>&1 ||
		skip "systemd-analyze is not installed (package systemd, scripts/deps)"
	systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
		skip "this systemd-analyze has no security --offline (systemd 250 or later)"
}

# A setting of a unit file, each value on a line, in order.
settings() { # file key
	sed -n "s/^$2=//p" "$IMGQ_TOP/$1"
}

@test "every service scores 2.5 or lower (OK) in systemd-analyze security --offline" {
	need_offline
	local u score n=0
	cd "$IMGQ_TOP"
	for u in $UNITS; do
		run -0 systemd-analyze security --offline=true --no-pager "$u"
		score=$(echo "$output" | sed -n 's/^→ Overall exposure level for [^ ]*: \([0-9.]*\) .*/\1/p')
		[ -n "$score" ] || { echo "$u: no score in: $output"; false; }
		awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' ||
			{ echo "$u: exposure $score, above 2.5"; false; }
		[[ "${lines[-1]}" == *" OK "* ]]
		n=$((n + 1))
	done
	# the five shipped services, none skipped
	[ "$n" = 5 ]
}

@test "the score check fails for a unit without the sandboxing (it can fail)" {
	need_offline
	printf '[Service]\nExecStart=/bin/true\nUser=imgq\n' >"$BATS_TEST_TMPDIR/bare.service"
	run -0 systemd-analyze security --offline=true --no-pager "$BATS_TEST_TMPDIR/bare.service"
	score=$(echo "$output" | sed -n 's/^→ Overall exposure level for [^ ]*: \([0-9.]*\) .*/\1/p')
	awk -v s="$score" 'BEGIN { exit !(s > 2.5) }'
}

@test "every service runs as imgq with no privilege, a read-only system and its own /tmp" {
	local u k
	for u in $UNITS; do
		[ "$(settings "$u" User)" = imgq ]
		[ "$(settings "$u" Group)" = imgq ]
		[ -z "$(settings "$u" DynamicUser)" ]
		[ "$(settings "$u" CapabilityBoundingSet)" = "" ]
		[ "$(settings "$u" CapabilityBoundingSet | wc -l)" = 1 ]
		for k in NoNewPrivileges PrivateTmp PrivateDevices ProtectHome \
		    ProtectKernelTunables ProtectControlGroups RestrictSUIDSGID \
		    MemoryDenyWriteExecute; do
			[ "$(settings "$u" $k)" = yes ] || { echo "$u: $k"; false; }
		done
		[ "$(settings "$u" ProtectSystem)" = strict ]
		[ "$(settings "$u" RestrictAddressFamilies)" = "AF_INET AF_INET6 AF_UNIX" ]
		[ "$(settings "$u" SystemCallArchitectures)" = native ]
		run -0 settings "$u" SystemCallFilter
		[ "$output" = $'@system-service\n~@privileged' ]
	done
}

@test "only the workers and the event server write to the file system: a folder each in /run" {
	local u
	for u in $UNITS; do
		[ -z "$(settings "$u" ReadWritePaths)" ]
		[ -z "$(settings "$u" StateDirectory)" ]
		[ -z "$(settings "$u" CacheDirectory)" ]
		[ -z "$(settings "$u" LogsDirectory)" ]
		case $u in
		*/imgq-workers.service)
			[ "$(settings "$u" RuntimeDirectory)" = imgq-work ]
			[ "$(settings "$u" RuntimeDirectoryMode)" = 0700 ]
			[ "$(settings "$u" Environment)" = TMPDIR=/run/imgq-work ] ;;
		*/imgq-events.service)
			# the hand-off socket that imgq-web's processes connect to
			[ "$(settings "$u" RuntimeDirectory)" = imgq ]
			[ -z "$(settings "$u" RuntimeDirectoryMode)" ] ;;
		*)
			[ -z "$(settings "$u" RuntimeDirectory)" ] ;;
		esac
	done
}

@test "imgq.sysusers.conf makes the system user imgq, with no home and no login" {
	command -v systemd-sysusers >/dev/null 2>&1 ||
		skip "systemd-sysusers is not installed (package systemd, scripts/deps)"
	local root=$BATS_TEST_TMPDIR/root
	mkdir -p "$root/etc"
	run -0 systemd-sysusers --root="$root" "$IMGQ_TOP/etc/systemd/imgq.sysusers.conf"
	run -0 cat "$root/etc/passwd"
	[ "${#lines[@]}" = 1 ]
	[[ "$output" =~ ^imgq:x:([0-9]+):([0-9]+):imgq\ image\ pipeline:/:/usr/sbin/nologin$ ]]
	local uid=${BASH_REMATCH[1]} gid=${BASH_REMATCH[2]}
	# a system account (below 1000), in a group of its own
	[ "$uid" -lt 1000 ]
	run -0 cat "$root/etc/group"
	[ "$output" = "imgq:x:$gid:" ]
}
