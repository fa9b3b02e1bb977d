/* libFuzzer target: the .env parser on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "dotenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dotenv d;
	struct err e;
	size_t i;

	if (dotenv_parse((const char *)data, len, &d, &e) == 0) {
		for (i = 0; i < d.n; i++)
			if (strchr(d.vars[i], '=') == NULL)
				__builtin_trap();
		dotenv_free(&d);
	}
	return 0;
}
