imgq-pop_LIBS := q job base
