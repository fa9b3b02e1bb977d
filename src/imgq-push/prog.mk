imgq-push_PKGS := hiredis
