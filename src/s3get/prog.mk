s3get_PKGS := libcurl openssl
