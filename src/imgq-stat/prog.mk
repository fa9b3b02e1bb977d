imgq-stat_LIBS := cli q job base
