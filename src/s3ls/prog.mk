s3ls_PKGS := libcurl openssl
# started for every job: non-PIE with STATIC=1 (src/lib/static/libs)
s3ls_NOPIE := 1
