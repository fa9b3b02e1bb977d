imgq-env_PKGS :=
