#!/usr/bin/env bats
# The page a browser without JavaScript lands on after the upload form
# (303 to status?jobs=ID,...): imgq-recv renders each job's state and, once
# done, its variants' links, HTML-escaped, and asks the browser to reload
# while a job is not final.

load helpers/common
load helpers/recv

setup_file() {
	recv_setup_file
	gm convert -size 16x16 xc:red "$T/red.gif"
	recv_listen
}

teardown_file() {
	recv_listen_stop
	imgq_teardown_file
}

# Each test starts with an empty queue: imgq-pop takes its own job.
setup() {
	P=$BATS_TEST_TMPDIR/page
	while imgq-pop -w 100ms true >/dev/null 2>&1; do :; done
}

# GET /status?QUERY: the body in $P; prints the status and the type.
page() { # query
	curl -sS --max-time 30 -o "$P" -w '%{http_code} %{content_type}' \
		"$URL/status?$1"
}

# The page of QUERY answered 200 as HTML, in $P.
html_page() { # query
	run -0 page "$1"
	[ "$output" = "200 text/html; charset=utf-8" ]
}

has() { grep -qxF -- "$1" "$P"; }

REFRESH='<meta http-equiv="refresh" content="2">'

@test "the upload form without JavaScript lands on the page of its job, which shows it queued and reloads" {
	run -0 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' \
		-H 'Accept: text/html' -F "file=@$T/red.gif" "$URL/upload"
	[[ $output =~ ^303\ $URL/status\?jobs=([0-9a-z]{26})$ ]]
	id=${BASH_REMATCH[1]}
	html_page "jobs=$id"
	has '<title>imgq: your uploads</title>'
	has "$REFRESH"
	has '  <li class="file" data-state="queued">'
	has "    <div class=\"file-head\"><span class=\"file-name\">red.gif</span> <span class=\"file-size muted\">$(stat -c %s "$T/red.gif") bytes</span></div>"
	has '    <p class="file-status" role="status">Queued</p>'
	has "    <p class=\"muted\">Job <a href=\"jobs/$id\">$id</a></p>"
	run -0 curl -sS -D - -o /dev/null "$URL/status?jobs=$id"
	[[ $output == *$'Cache-Control: no-store\r'* ]]
}

@test "a done job: its variants' links, which lead to the results, and no reload" {
	id=$(imgq-push -f name=a.png uploads/a.png)
	run -0 imgq-pop sh -c 'printf "processed/%s/large.jpg\nprocessed/%s/thumb.webp\n" "$IMGQ_JOB_ID" "$IMGQ_JOB_ID"'
	html_page "jobs=$id"
	run -1 grep -c 'http-equiv="refresh"' "$P"
	[ "$output" = 0 ]
	has '  <li class="file" data-state="done">'
	has '    <p class="file-status" role="status">Done</p>'
	has "      <figure class=\"variant\"><a href=\"jobs/$id/result/large\"><img src=\"jobs/$id/result/large\" alt=\"large\"></a><figcaption>large.jpg</figcaption></figure>"
	has "      <figure class=\"variant\"><a href=\"jobs/$id/result/thumb\"><img src=\"jobs/$id/result/thumb\" alt=\"thumb\"></a><figcaption>thumb.webp</figcaption></figure>"
	run -0 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' \
		"$URL/jobs/$id/result/thumb"
	[[ $output == "302 http"*"/processed/$id/thumb.webp?"* ]]
}

@test "a dead job shows its exit status, not the worker's words; a job to retry reloads" {
	id=$(imgq-push -f name=bad.png uploads/bad.png)
	run -0 imgq-pop sh -c 'echo "secret worker words" >&2; exit 65'
	html_page "jobs=$id"
	has '  <li class="file" data-state="dead">'
	has '    <p class="file-status" role="status">Failed: exit status 65</p>'
	run -1 grep -c -e 'secret' -e 'EX_DATAERR' -e 'refresh' "$P"
	[ "$output" = 0 ]
	id=$(imgq-push -f name=later.png uploads/later.png)
	run -0 imgq-pop -b 1h sh -c 'exit 75'
	html_page "jobs=$id"
	has '  <li class="file" data-state="retry">'
	has '    <p class="file-status" role="status">Will retry: attempt 1</p>'
	has "$REFRESH"
}

@test "every value from the record is HTML-escaped" {
	id=$(imgq-push -f 'name=<img src=x onerror=alert(1)>&"'"'" uploads/x.png)
	run -0 imgq-pop sh -c 'echo "processed/$IMGQ_JOB_ID/<b>\"q\".jpg"'
	html_page "jobs=$id"
	has '    <div class="file-head"><span class="file-name">&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&apos;</span> <span class="file-size muted"></span></div>'
	has "      <figure class=\"variant\"><a href=\"jobs/$id/result/&lt;b&gt;&quot;q&quot;\"><img src=\"jobs/$id/result/&lt;b&gt;&quot;q&quot;\" alt=\"&lt;b&gt;&quot;q&quot;\"></a><figcaption>&lt;b&gt;&quot;q&quot;.jpg</figcaption></figure>"
	run -1 grep -c -e '<img src=x' -e '<b>' "$P"
	[ "$output" = 0 ]
}

@test "several jobs in one page; an unknown id says so, a malformed one is left out; no id; POST is 405" {
	a=$(imgq-push -f name=one.png uploads/one.png)
	b=$(imgq-push -f name=two.png uploads/two.png)
	run -0 imgq-pop true
	html_page "x=1&jobs=$a,0000000000aaaaaaaaaaaaaaaa,nope,$b&y=2"
	run -0 grep -c '^  <li class="file"' "$P"
	[ "$output" = 3 ]
	has '  <li class="file" data-state="done">'
	has '  <li class="file" data-state="queued">'
	has '    <div class="file-head"><span class="file-name">Job 0000000000aaaaaaaaaaaaaaaa</span></div>'
	has '    <p class="file-status">No such job: it expired or never was</p>'
	# One job still queued: the page reloads.
	has "$REFRESH"
	html_page ""
	has '  <li class="muted">No job named: the page wants ?jobs=ID,ID...</li>'
	run -1 grep -c 'refresh' "$P"
	run -0 curl -sS -o /dev/null -w '%{http_code}' -d '' "$URL/status?jobs=$a"
	[ "$output" = 405 ]
}
