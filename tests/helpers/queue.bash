# tests/helpers/queue.bash: helpers of the queue tools' bats files (load it
# after helpers/common; the file's own Redis comes from redis_start).
#
# queue_setup NAME: called by setup(): a queue of each test's own
#   (IMGQ_QUEUE=NAME and the test's number), IMGQ_REDIS_RETRY=5s and T,
#   the test's temporary folder.
# state ID: the job's state.
# subscribers N: true when N clients listen to the queue's events.
# summary NAME: one figure of imgq-stat's summary (queued, done, dead,
#   consumers...); consumers_are N: true when it counts N consumers.

queue_setup() { # name
	export IMGQ_QUEUE=$1$BATS_TEST_NUMBER
	export IMGQ_REDIS_RETRY=5s
	T=$BATS_TEST_TMPDIR
}

state() { field "$1" state; }

subscribers() {
	[ "$(rcli pubsub numsub "$(qkey events)" | tail -n 1)" = "$1" ]
}

summary() { imgq-stat -o tsv | sed -n "s/^$1\t//p"; }
consumers_are() { [ "$(summary consumers)" = "$1" ]; }
