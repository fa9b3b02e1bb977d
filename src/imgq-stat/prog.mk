imgq-stat_LIBS := q job base
