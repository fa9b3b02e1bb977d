s3rm_PKGS := libcurl openssl
