imgq-pop_LIBS := cli q job s3 base
test_settle_OBJS := $(O)/imgq-pop/settle.o
