imgq-watch_LIBS := q job base
