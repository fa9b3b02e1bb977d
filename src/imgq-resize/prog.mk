imgq-resize_PKGS := GraphicsMagick
