imgq-push_LIBS := cli q job base
