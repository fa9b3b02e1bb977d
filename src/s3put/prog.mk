s3put_PKGS := libcurl openssl libmagic
# started for every job: non-PIE with STATIC=1 (src/lib/static/libs)
s3put_NOPIE := 1
