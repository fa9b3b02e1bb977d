imgq-pop_LIBS := cli q job base
test_settle_OBJS := $(O)/imgq-pop/settle.o
