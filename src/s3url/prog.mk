s3url_PKGS := libcurl openssl
# started for every job: non-PIE with STATIC=1 (src/lib/static/libs)
s3url_NOPIE := 1
