imgq-resize_PKGS := GraphicsMagick
# GraphicsMagick is linked statically, without the coders imgq-resize never
# uses (coders.c): they are not in the binary at all, and a third of the
# shared libraries no longer load at every start.
$(B)/imgq-resize: LINK_PKG_CONFIG = src/imgq-resize/gm-libs
