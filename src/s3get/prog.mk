s3get_LIBS := s3tool s3 base
