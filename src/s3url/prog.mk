s3url_LIBS := s3tool s3 base
s3url_NOPIE := 1
