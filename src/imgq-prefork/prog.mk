imgq-prefork_LIBS := base
