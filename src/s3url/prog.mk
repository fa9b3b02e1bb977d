s3url_PKGS := libcurl openssl
