/*
 * autoscale.h: the autoscaler's decision, apart from the probe that feeds
 * it, so that it can be tested alone (tests/unit/test_autoscale.c).
 *
 * From a queue depth the wanted count is depth / target, rounded up, held
 * within [min, max].  A higher count is taken at once: work is waiting.
 * A lower one only after the cooldown, and then the highest count wanted
 * during the cooldown, so that a queue that empties between bursts does
 * not stop children that the next burst needs.
 */
#ifndef IMGQ_AUTOSCALE_H
#define IMGQ_AUTOSCALE_H

#include <stdint.h>

struct autoscale {
	long long	 min, max;	/* -m, -M */
	long long	 target;	/* -t: queue depth per child, > 0 */
	uint64_t	 cooldown_ms;	/* -c */
	int		 cooling;	/* a lower count is wanted, since: */
	uint64_t	 down_since;
	long long	 down_peak;	/* the highest lower count since */
};

enum as_step {
	AS_KEEP,	/* the count stays */
	AS_UP,		/* more children, now */
	AS_COOL,	/* fewer wanted, the cooldown runs */
	AS_DOWN		/* fewer children, after the cooldown */
};

/*
 * Given the current count, an observed depth (>= 0) and the time in ms,
 * sets *wanted (the current count unless AS_UP or AS_DOWN) and updates
 * the cooldown state.
 */
enum as_step autoscale(struct autoscale *, long long current,
	    long long depth, uint64_t now, long long *wanted);

#endif
