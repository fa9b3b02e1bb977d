/*
 * Unit tests of imgq-prefork's autoscaler decision (autoscale.h): each
 * case is a run of probes, the count following what the decision wants.
 */
#include <stddef.h>

#include "autoscale.h"
#include "tap.h"

struct probe {
	long long	 depth;
	uint64_t	 now;
	enum as_step	 step;
	long long	 wanted;
};

static const struct {
	const char	*name;
	long long	 min, max, target, start;
	uint64_t	 cooldown;
	struct probe	 p[6];		/* ends at the first now == 0 */
} cases[] = {
	{ "depth over target, rounded up", 1, 10, 10, 1, 1000,
	  { { 25, 1, AS_UP, 3 }, { 30, 2, AS_KEEP, 3 } } },
	{ "held at the maximum", 1, 4, 10, 1, 1000,
	  { { 1000, 1, AS_UP, 4 }, { 5000, 2, AS_KEEP, 4 } } },
	{ "held at the minimum", 2, 8, 10, 2, 0,
	  { { 0, 1, AS_KEEP, 2 } } },
	{ "down only after the cooldown", 1, 10, 10, 5, 1000,
	  { { 10, 100, AS_COOL, 5 }, { 10, 1099, AS_COOL, 5 },
	    { 10, 1100, AS_DOWN, 1 } } },
	{ "down to the highest count of the cooldown", 1, 10, 10, 8, 1000,
	  { { 10, 100, AS_COOL, 8 }, { 40, 500, AS_COOL, 8 },
	    { 20, 900, AS_COOL, 8 }, { 0, 1100, AS_DOWN, 4 } } },
	{ "a rise in the cooldown ends it", 1, 10, 10, 5, 1000,
	  { { 10, 100, AS_COOL, 5 }, { 50, 500, AS_KEEP, 5 },
	    { 10, 1100, AS_COOL, 5 }, { 10, 2100, AS_DOWN, 1 } } },
	{ "a rise above the count goes up at once", 1, 10, 10, 5, 1000,
	  { { 10, 100, AS_COOL, 5 }, { 70, 200, AS_UP, 7 },
	    { 70, 300, AS_KEEP, 7 } } },
	{ "no cooldown: down at once", 1, 10, 10, 5, 0,
	  { { 10, 100, AS_DOWN, 1 } } },
	{ "target 1: one child a job", 0, 100, 1, 0, 1000,
	  { { 37, 1, AS_UP, 37 }, { 0, 2, AS_COOL, 37 },
	    { 0, 1002, AS_DOWN, 0 } } },
};

int
main(void)
{
	struct autoscale a;
	enum as_step st;
	long long cur, w;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = (struct autoscale){ cases[i].min, cases[i].max,
		    cases[i].target, cases[i].cooldown, 0, 0, 0 };
		cur = cases[i].start;
		for (j = 0; j < 6 && cases[i].p[j].now != 0; j++) {
			const struct probe *p = &cases[i].p[j];

			st = autoscale(&a, cur, p->depth, p->now, &w);
			ok(st == p->step && w == p->wanted,
			    "%s: probe %zu: depth %lld at %llu: step %d, "
			    "wanted %lld", cases[i].name, j + 1, p->depth,
			    (unsigned long long)p->now, (int)st, w);
			cur = w;
		}
	}
	return tap_done();
}
