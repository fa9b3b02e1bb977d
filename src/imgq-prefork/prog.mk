imgq-prefork_LIBS := base
test_autoscale_OBJS := $(O)/imgq-prefork/autoscale.o
