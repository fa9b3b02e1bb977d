imgq-pop_PKGS := hiredis
