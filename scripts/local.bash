# scripts/local.bash: sourced by redis-local and s3-local (not a program).
# What makes a local server "ours": a port that nobody else holds when it
# starts, and a pid recorded with the process's start time, so that a stop
# never reaches a process that merely reuses the pid or a server that
# someone else started on the same port.
#
#   free_port             print a free loopback TCP port
#   port_holder PORT      print what listens on TCP PORT ("pid N (cmd)",
#                         or "a process of another user"); 1 when nothing
#   port_free PORT        die 75 naming the holder when PORT stays taken
#   pid_record FILE PID   FILE gets PID, FILE.started its start time
#   pid_ours FILE         print the recorded pid when that very process
#                         still runs (same start time), else fail
#   pid_forget FILE       remove both files
# The caller defines prog and die.

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_holder() { # port
	local line who
	line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1)
	[ -n "$line" ] || return 1
	who=$(printf '%s\n' "$line" | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\),.*/pid \2 (\1)/p')
	echo "${who:-a process of another user}"
}

# A server stopped a moment ago may still hold its port: a second passes
# before the port counts as taken.
port_free() { # port
	local who n
	for n in $(seq 1 20); do
		who=$(port_holder "$1") || return 0
		sleep 0.05
	done
	die 75 "port $1 is in use by $who: choose another port, or 0 for a free one"
}

# Field 22 of /proc/PID/stat, counted after the command name (which may
# hold blanks and parentheses).
start_time() { # pid
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086 # the fields, split on blanks
	set -- $s
	echo "${20}"
}

pid_record() { # file pid
	local t
	t=$(start_time "$2") || return 1
	echo "$2" >"$1"
	echo "$t" >"$1.started"
}

pid_ours() { # file
	local pid t
	pid=$(cat "$1" 2>/dev/null) && t=$(cat "$1.started" 2>/dev/null) || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	[ "$(start_time "$pid")" = "$t" ] || return 1
	echo "$pid"
}

pid_forget() { # file
	rm -f "$1" "$1.started"
}
