s3url_LIBS := s3tool s3 base
