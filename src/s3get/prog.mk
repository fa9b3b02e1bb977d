s3get_PKGS := libcurl openssl
# started for every job: non-PIE with STATIC=1 (src/lib/static/libs)
s3get_NOPIE := 1
