imgq-recv_LIBS := q job http s3 imgtype base
