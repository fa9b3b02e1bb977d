imgq-resize_LIBS := cli img imgtype base
imgq-resize_PKGS := libseccomp
# src/imgq-resize/gm-libs says why GraphicsMagick is linked this way.
$(B)/imgq-resize: LINK_PKG_CONFIG = src/imgq-resize/gm-libs
