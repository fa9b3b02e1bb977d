imgq-pop_LIBS := q job base
test_settle_OBJS := $(O)/imgq-pop/settle.o
