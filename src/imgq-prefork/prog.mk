imgq-prefork_PKGS :=
