imgq-resize_LIBS := cli img imgtype base
imgq-resize_PKGS := libseccomp
