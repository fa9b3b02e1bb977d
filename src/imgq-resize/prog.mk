imgq-resize_LIBS := cli img imgtype base
