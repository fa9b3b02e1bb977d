imgq-env_LIBS := base
