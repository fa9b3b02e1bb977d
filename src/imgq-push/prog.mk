imgq-push_LIBS := q job base
