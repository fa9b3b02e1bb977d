s3ls_LIBS := s3tool s3 base
