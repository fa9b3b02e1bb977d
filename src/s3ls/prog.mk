s3ls_PKGS := libcurl openssl
