imgq-watch_PKGS := hiredis
