# tests/helpers/queue.bash: helpers of the queue tools' bats files (load it
# after helpers/common).  Loading it gives the file its setup_file (a Redis
# of the file's own), teardown_file (which stops it) and teardown (which
# stops what a test left running, consumers that it stopped too).
#
# queue_setup NAME: called by setup(): a queue of each test's own
#   (IMGQ_QUEUE=NAME and the test's number), IMGQ_REDIS_RETRY=5s and T,
#   the test's temporary folder.
# state ID: the job's state.
# subscribers N: true when N clients listen to the queue's events.
# summary NAME: one figure of imgq-stat's summary (queued, done, dead,
#   consumers...); consumers_are N: true when it counts N consumers.

setup_file() { imgq_setup_file; redis_start; }
teardown_file() { imgq_teardown_file; }
teardown() { stop_children; }

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
