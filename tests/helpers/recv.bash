# tests/helpers/recv.bash: helpers of imgq-recv's bats files (load it after
# helpers/common).
#
# recv_setup_file: for setup_file: this file's Redis and S3 bucket,
#   imgq-recv's log on standard error and its pages from share/www, JPG and
#   PNG (two images of the corpus), T (the file's temporary folder).
# recv_stop PIDFILE: stops the server whose pid PIDFILE holds, if there is
#   one (for teardown and teardown_file, whatever the test did).

recv_setup_file() {
	imgq_setup_file
	redis_start
	s3_start
	export IMGQ_RECV_LOG=stderr IMGQ_RECV_WWW=$IMGQ_TOP/share/www
	export JPG=$CORPUS/opencv_baboon.jpg PNG=$CORPUS/skimage_astronaut.png
	export T=$BATS_FILE_TMPDIR
}

recv_stop() { # pidfile
	[ -f "$1" ] || return 0
	kill "$(cat "$1")" 2>/dev/null || true
}
