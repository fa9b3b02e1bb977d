s3put_LIBS := s3tool s3 imgtype base
s3put_PKGS := libmagic
