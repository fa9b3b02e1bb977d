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
