imgq-stat_PKGS := hiredis
