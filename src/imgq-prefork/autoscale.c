#include "autoscale.h"

enum as_step
autoscale(struct autoscale *a, long long cur, long long depth, uint64_t now,
    long long *wanted)
{
	long long n;

	n = depth / a->target + (depth % a->target != 0);
	n = n < a->min ? a->min : n > a->max ? a->max : n;
	*wanted = cur;
	if (n >= cur) {
		a->cooling = 0;
		if (n == cur)
			return AS_KEEP;
		*wanted = n;
		return AS_UP;
	}
	if (!a->cooling) {
		a->cooling = 1;
		a->down_since = now;
		a->down_peak = n;
	} else if (n > a->down_peak)
		a->down_peak = n;
	if (now - a->down_since < a->cooldown_ms)
		return AS_COOL;
	a->cooling = 0;
	*wanted = a->down_peak;
	return AS_DOWN;
}
