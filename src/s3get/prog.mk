s3get_LIBS := s3tool s3 base
s3get_NOPIE := 1
