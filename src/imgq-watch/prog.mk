imgq-watch_LIBS := cli q job base
