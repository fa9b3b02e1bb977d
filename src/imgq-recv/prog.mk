imgq-recv_PKGS := libcurl openssl hiredis libmagic
