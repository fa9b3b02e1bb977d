s3put_PKGS := libcurl openssl libmagic
