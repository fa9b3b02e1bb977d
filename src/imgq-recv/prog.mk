imgq-recv_LIBS := q job http s3 base
imgq-recv_PKGS := libmagic
