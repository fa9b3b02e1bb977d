s3rm_LIBS := s3tool s3 base
