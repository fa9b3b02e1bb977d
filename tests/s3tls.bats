#!/usr/bin/env bats
# The S3 tools over https (the fault proxy serving TLS in front of the local
# S3 service), and what imgq asks of libcurl whatever libcurl was built
# with: HTTP/2 is never negotiated even when the server offers it, and a
# host name outside ASCII is refused with a one-line error.

load helpers/common
load helpers/s3tools

setup_file() {
	imgq_setup_file
	s3_start
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$BATS_FILE_TMPDIR/key.pem" -out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
	cat "$BATS_FILE_TMPDIR/key.pem" "$BATS_FILE_TMPDIR/cert.pem" >"$BATS_FILE_TMPDIR/tls.pem"
	export CERT=$BATS_FILE_TMPDIR/cert.pem TLS_PEM=$BATS_FILE_TMPDIR/tls.pem
}

teardown_file() { fp_stop; imgq_teardown_file; }
teardown() { fp_stop; }

@test "https: s3put -d of two files and s3get back, every connection HTTP/1.1 though the server offers h2" {
	fp_start --tls "$TLS_PEM"
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/a"
	head -c 7000 /dev/urandom >"$BATS_TEST_TMPDIR/b"
	run -0 env AWS_ENDPOINT_URL="$FP_URL" AWS_CA_BUNDLE="$CERT" \
		s3put -k -d tls/ "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ "$output" = "tls/a
tls/b" ]
	run -0 env AWS_ENDPOINT_URL="$FP_URL" AWS_CA_BUNDLE="$CERT" \
		s3get tls/a "$BATS_TEST_TMPDIR/a.back"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/a.back"
	run -0 env AWS_ENDPOINT_URL="$FP_URL" AWS_CA_BUNDLE="$CERT" s3ls tls/
	[ "${#lines[@]}" = 2 ]
	n=$(grep -c '^TLS ' "$FP_LOG")
	[ "$n" -ge 2 ]
	[ "$(grep -c '^TLS http/1.1$' "$FP_LOG")" = "$n" ]
	run -0 s3get tls/b "$BATS_TEST_TMPDIR/b.back"
	cmp "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/b.back"
}

@test "https with a certificate nobody vouches for: 78 and why, nothing stored" {
	fp_start --tls "$TLS_PEM"
	echo x >"$BATS_TEST_TMPDIR/x"
	run -78 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
		s3put tls/untrusted "$BATS_TEST_TMPDIR/x"
	[[ "$stderr" == "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/tls/untrusted: SSL certificate problem: "* ]]
	[ "$(grep -c 'handshake failed' "$FP_LOG")" -ge 1 ]
	run -66 s3get tls/untrusted
}

@test "a host name outside ASCII: refused with a one-line error, no abort" {
	echo x >"$BATS_TEST_TMPDIR/x"
	run -78 --separate-stderr env AWS_ENDPOINT_URL=http://b$'\xc3\xbc'cket.invalid:9 \
		s3put idn/k "$BATS_TEST_TMPDIR/x"
	[ "${#stderr_lines[@]}" = 1 ]
	[[ "$stderr" == "s3put: fatal: "* ]]
	[[ "$stderr" != *"stand"* ]]
}

@test "without a CA file, certificates are looked up in a hashed CA folder: IMGQ_S3_CA_PATH, else curl's (the system's)" {
	fp_start --tls "$TLS_PEM"
	d=$BATS_TEST_TMPDIR/ca
	mkdir "$d"
	echo x >"$BATS_TEST_TMPDIR/x"
	run -78 --separate-stderr env -u AWS_CA_BUNDLE -u IMGQ_S3_CA_FILE AWS_ENDPOINT_URL="$FP_URL" \
		IMGQ_S3_CA_PATH="$d" s3put tls/capath "$BATS_TEST_TMPDIR/x"
	[[ "$stderr" == "s3put: fatal: PUT s3://$AWS_BUCKET_NAME/tls/capath: SSL certificate problem: "* ]]
	ln -s "$CERT" "$d/$(openssl x509 -hash -noout -in "$CERT").0"
	run -0 env -u AWS_CA_BUNDLE -u IMGQ_S3_CA_FILE AWS_ENDPOINT_URL="$FP_URL" \
		IMGQ_S3_CA_PATH="$d" s3put tls/capath "$BATS_TEST_TMPDIR/x"
	run -0 env -u AWS_CA_BUNDLE -u IMGQ_S3_CA_FILE AWS_ENDPOINT_URL="$FP_URL" \
		IMGQ_S3_CA_PATH="$d" s3get tls/capath
	[ "$output" = x ]
	# a CA file is used alone: the folder that vouches is not looked at
	run -78 --separate-stderr env AWS_ENDPOINT_URL="$FP_URL" \
		AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt IMGQ_S3_CA_PATH="$d" s3get tls/capath
	[[ "$stderr" == "s3get: fatal: GET s3://$AWS_BUCKET_NAME/tls/capath: SSL certificate problem: "* ]]
	# by default, the system's folder, which does not know this certificate
	run -78 --separate-stderr env -u AWS_CA_BUNDLE -u IMGQ_S3_CA_FILE AWS_ENDPOINT_URL="$FP_URL" \
		s3get tls/capath
	[[ "$stderr" == "s3get: fatal: GET s3://$AWS_BUCKET_NAME/tls/capath: SSL certificate problem: "* ]]
}
