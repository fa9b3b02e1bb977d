/*
 * coders.c: every GraphicsMagick coder that imgq-resize does not use,
 * defined away.
 *
 * GraphicsMagick is linked statically (prog.mk): its RegisterStaticModules()
 * names every coder, and these empty definitions satisfy it first, so the
 * archive members of PostScript, SVG, MVG, MSL, URL, TXT, JXL, WMF and the
 * rest are never linked in.  A coder that is not in the binary cannot be
 * tricked into running, whatever the input; and the shared libraries they
 * need (libxml2 and ICU, libjxl, libwmf...) are not loaded by every job.
 * Kept: JPEG, PNG, GIF, WEBP and TIFF.  HEIC and AVIF are read through
 * libheif opened on demand (src/lib/img_heif.c), so that its codecs do
 * not load for every job.
 *
 * The list is GraphicsMagick 1.3.40's; a coder added by a later version is
 * linked in as before, and img_init() unregisters it at run time.
 */

#define NO_CODER(n) \
	void Register##n##Image(void); \
	void Unregister##n##Image(void); \
	void Register##n##Image(void) {} \
	void Unregister##n##Image(void) {}

NO_CODER(ART)
NO_CODER(AVS)
NO_CODER(BMP)
NO_CODER(BRAILLE)
NO_CODER(CALS)
NO_CODER(CAPTION)
NO_CODER(CINEON)
NO_CODER(CMYK)
NO_CODER(CUT)
NO_CODER(DCM)
NO_CODER(DCRAW)
NO_CODER(DIB)
NO_CODER(DPX)
NO_CODER(EPT)
NO_CODER(FAX)
NO_CODER(FITS)
NO_CODER(GRADIENT)
NO_CODER(GRAY)
NO_CODER(HEIF)
NO_CODER(HISTOGRAM)
NO_CODER(HRZ)
NO_CODER(HTML)
NO_CODER(ICON)
NO_CODER(IDENTITY)
NO_CODER(INFO)
NO_CODER(JBIG)
NO_CODER(JNX)
NO_CODER(JXL)
NO_CODER(LABEL)
NO_CODER(LOCALE)
NO_CODER(LOGO)
NO_CODER(MAC)
NO_CODER(MAP)
NO_CODER(MAT)
NO_CODER(MATTE)
NO_CODER(META)
NO_CODER(MIFF)
NO_CODER(MONO)
NO_CODER(MPC)
NO_CODER(MPEG)
NO_CODER(MPR)
NO_CODER(MSL)
NO_CODER(MTV)
NO_CODER(MVG)
NO_CODER(NULL)
NO_CODER(OTB)
NO_CODER(PALM)
NO_CODER(PCD)
NO_CODER(PCL)
NO_CODER(PCX)
NO_CODER(PDB)
NO_CODER(PDF)
NO_CODER(PICT)
NO_CODER(PIX)
NO_CODER(PLASMA)
NO_CODER(PNM)
NO_CODER(PREVIEW)
NO_CODER(PS)
NO_CODER(PS2)
NO_CODER(PS3)
NO_CODER(PWP)
NO_CODER(RGB)
NO_CODER(RLA)
NO_CODER(RLE)
NO_CODER(SCT)
NO_CODER(SFW)
NO_CODER(SGI)
NO_CODER(STEGANO)
NO_CODER(SUN)
NO_CODER(SVG)
NO_CODER(TGA)
NO_CODER(TILE)
NO_CODER(TIM)
NO_CODER(TOPOL)
NO_CODER(TTF)
NO_CODER(TXT)
NO_CODER(UIL)
NO_CODER(URL)
NO_CODER(UYVY)
NO_CODER(VICAR)
NO_CODER(VID)
NO_CODER(VIFF)
NO_CODER(WBMP)
NO_CODER(WMF)
NO_CODER(WPG)
NO_CODER(X)
NO_CODER(XBM)
NO_CODER(XC)
NO_CODER(XCF)
NO_CODER(XPM)
NO_CODER(XWD)
NO_CODER(YUV)

/*
 * More of the same for the parts of GraphicsMagick that image.c, magick.c
 * and shear.c reach but imgq-resize never calls: the X11 display and
 * animation (DisplayImages, AnimateImages), the command-line tools'
 * tables, and DrawAffineImage (AffineTransformImage only; AutoOrientImage
 * rotates without it).  Defining them here keeps xwindow.o, display.o,
 * command.o, render.o and annotate.o out of the link, and with them
 * libX11, libXext, libxcb and libfreetype: about 15 shared libraries
 * fewer to map and relocate at every start.  Each stub fails or does
 * nothing; none is ever reached.  With a shared GraphicsMagick (gm-libs'
 * fallback) they interpose the library's own, which is just as harmless
 * for a program that calls none of these.
 *
 * TIFFInitLERC: libtiff's LERC codec is C++ (libLerc and libstdc++); a
 * LERC-compressed TIFF (GIS rasters) is refused as an unknown
 * compression instead.
 */
void	*XOpenDisplay(const char *);
int	 XCloseDisplay(void *);
void	*XSetErrorHandler(void *);
void	*MagickXAnimateImages(void);
void	*MagickXDisplayImage(void);
void	 MagickXError(void);
void	 MagickXDestroyX11Resources(void);
void	 MagickXDestroyResourceInfo(void);
void	*MagickXGetResourceDatabase(void);
void	 MagickXGetResourceInfo(void);
unsigned MagickInitializeCommandInfo(void);
void	 MagickDestroyCommandInfo(void);
unsigned DrawAffineImage(void);
int	 TIFFInitLERC(void *, int);

void *
XOpenDisplay(const char *name)
{
	(void)name;
	return 0;
}

int
XCloseDisplay(void *d)
{
	(void)d;
	return 0;
}

void *
XSetErrorHandler(void *h)
{
	(void)h;
	return 0;
}

void *
MagickXAnimateImages(void)
{
	return 0;
}

void *
MagickXDisplayImage(void)
{
	return 0;
}

void
MagickXError(void)
{
}

void
MagickXDestroyX11Resources(void)
{
}

void
MagickXDestroyResourceInfo(void)
{
}

void *
MagickXGetResourceDatabase(void)
{
	return 0;
}

void
MagickXGetResourceInfo(void)
{
}

unsigned
MagickInitializeCommandInfo(void)
{
	return 1;
}

void
MagickDestroyCommandInfo(void)
{
}

/* MagickFail */
unsigned
DrawAffineImage(void)
{
	return 0;
}

int
TIFFInitLERC(void *tif, int scheme)
{
	(void)tif;
	(void)scheme;
	return 0;
}
