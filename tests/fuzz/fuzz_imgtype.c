/*
 * fuzz_imgtype.c: the sniffer on any bytes.  Besides memory safety, the
 * one property the pipeline rests on: imgq-recv decides on the first
 * 4 KiB of an upload and imgq-resize on the whole file, so whenever
 * either sees an allowed format, both must see the same one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imgtype.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define RECV_SNIFF	4096	/* what imgq-recv passes (upload.c) */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	enum img_format whole, head;

	whole = img_sniff(data, len);
	head = img_sniff(data, len < RECV_SNIFF ? len : RECV_SNIFF);
	if ((unsigned)whole >= IMG_NFORMATS || (unsigned)head >= IMG_NFORMATS)
		abort();
	if (((IMG_DECODABLE & IMG_FMT_BIT(whole)) ||
	    (IMG_DECODABLE & IMG_FMT_BIT(head))) && whole != head)
		abort();
	if (strlen(img_format_name(whole)) == 0 ||
	    strlen(img_format_ext(whole)) == 0 ||
	    strchr(img_format_mime(whole), '/') == NULL)
		abort();
	return 0;
}
