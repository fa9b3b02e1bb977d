#!/usr/bin/env bats
# imgq-recv serves the pages' files (share/www): the upload page's script
# and style, the dashboard and its script; nothing outside the folder.

load helpers/common

setup_file() {
	imgq_setup_file
}

# One CGI request (no Redis or S3 needed for the pages); prints the answer.
cgi() { # method path
	env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$1" \
		PATH_INFO="$2" SCRIPT_NAME= IMGQ_RECV_WWW="${WWW:-$IMGQ_TOP/share/www}" \
		IMGQ_RECV_LOG=stderr imgq-recv </dev/null 2>/dev/null
}

header() { # name: its value in $output
	printf '%s\n' "$output" | tr -d '\r' | sed -n "s/^$1: //p" | head -1
}

@test "the page files are served with their types" {
	local f p t
	for f in "/app.js app.js text/javascript" "/style.css style.css text/css" \
		"/dashboard dashboard.html text/html" \
		"/dashboard.js dashboard.js text/javascript"; do
		read -r p f t <<<"$f"
		run -0 cgi GET "$p"
		[ "${lines[0]}" = $'Status: 200 OK\r' ]
		[ "$(header Content-Type)" = "$t; charset=utf-8" ]
		[ "$(header Content-Length)" = "$(stat -c %s "$IMGQ_TOP/share/www/$f")" ]
		# The body is the file.
		cmp <(printf '%s\n' "$output" | sed '1,/^\r$/d') \
			"$IMGQ_TOP/share/www/$f"
	done
}

@test "HEAD answers the headers only; POST is 405" {
	run -0 cgi HEAD /app.js
	[ "${lines[0]}" = $'Status: 200 OK\r' ]
	[ "$(header Content-Length)" = "$(stat -c %s "$IMGQ_TOP/share/www/app.js")" ]
	[ "${lines[-1]}" = $'\r' ] || [ -z "$(printf '%s' "$output" | sed '1,/^\r$/d')" ]
	run -65 cgi POST /style.css
	[ "${lines[0]}" = $'Status: 405 Method Not Allowed\r' ]
	[ "$(header Allow)" = "GET, HEAD" ]
}

@test "no missing file, and no path outside the folder, is served" {
	local p
	for p in /index.html.bak /app.js/ /../www/app.js \
		/style.css/../../etc/passwd /www/app.js; do
		run -66 cgi GET "$p"
		[ "${lines[0]}" = $'Status: 404 Not Found\r' ]
	done
}

@test "without the pages installed the answer is 404, not a crash" {
	WWW=$BATS_TEST_TMPDIR run -66 cgi GET /app.js
	[ "${lines[0]}" = $'Status: 404 Not Found\r' ]
}
