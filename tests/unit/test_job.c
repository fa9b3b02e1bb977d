/* Job ids, field names and the JSON encoding of job records. */
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "tap.h"

static void
json_is(const char *const *names, const char *const *vals, size_t n,
    const char *want, const char *what)
{
	size_t nl[8], vl[8], i;
	char *got;

	for (i = 0; i < n; i++) {
		nl[i] = strlen(names[i]);
		vl[i] = strlen(vals[i]);
	}
	got = job_json("0mx1dkfla04z2gcdkrfzsne0dt", names, nl, vals, vl, n,
	    NULL, NULL);
	is_str(got, want, "%s", what);
	free(got);
}

int
main(void)
{
	unsigned char rnd[11], ff[11];
	char a[JOB_ID_LEN + 1], b[JOB_ID_LEN + 1], prev[JOB_ID_LEN + 1];
	int i, sorted = 1, valid = 1;

	memset(rnd, 0, sizeof(rnd));
	memset(ff, 0xff, sizeof(ff));
	job_id_make(a, 0, rnd);
	is_str(a, "00000000000000000000000000", "id of time 0, zero bytes");
	job_id_make(a, 1795928681711ULL, ff);
	is_int(strlen(a), JOB_ID_LEN, "id length");
	ok(job_id_valid(a), "made ids are valid");
	is_int(job_id_time(a), 1795928681711ULL, "time read back");
	job_id_make(b, 1795928681712ULL, rnd);
	ok(strcmp(a, b) < 0, "a later millisecond sorts after");
	/* 36^9 ms covers past the year 5000. */
	job_id_make(a, 101559956668415ULL, ff);
	is_int(job_id_time(a), 101559956668415ULL, "largest time");
	prev[0] = '\0';
	for (i = 0; i < 2000; i++) {
		if (job_id_new(a, NULL) == -1 || !job_id_valid(a))
			valid = 0;
		if (prev[0] != '\0' && strcmp(prev, a) >= 0)
			sorted = 0;
		memcpy(prev, a, sizeof(prev));
	}
	ok(valid, "2000 new ids are valid");
	ok(sorted, "ids made in a row strictly increase");
	ok(!job_id_valid("0mx1dkfla04z2gcdkrfzsne0d"), "short id");
	ok(!job_id_valid("0mx1dkfla04z2gcdkrfzsne0dtt"), "long id");
	ok(!job_id_valid("0mx1dkfla04z2gcdkrfzsne0dT"), "upper case");
	ok(!job_id_valid("0mx1dkfla04z2gcdkrfzsne0d-"), "punctuation");
	ok(!job_id_valid(NULL), "NULL");
	ok(!job_id_valid(""), "empty");
	ok(!job_id_valid("0mx1dkfla04z2gcdkrfzsne0d\xc3\xa9"), "not ASCII");

	for (i = 0, valid = 1; i < JOB_NSTATES; i++) {
		const char *n = job_state_name(i);

		if (job_state_of(n, strlen(n)) != i)
			valid = 0;
	}
	ok(valid, "each state's name reads back as that state");
	is_str(job_state_name(JOB_QUEUED), "queued", "queued");
	is_str(job_state_name(JOB_ACTIVE), "active", "active");
	is_str(job_state_name(JOB_RETRY), "retry", "retry");
	is_str(job_state_name(JOB_DONE), "done", "done");
	is_str(job_state_name(JOB_DEAD), "dead", "dead");
	is_str(job_state_name(JOB_NSTATES), "", "no name out of range");
	is_int(job_state_of("running", 7), -1, "running is not a state");
	is_int(job_state_of("delayed", 7), -1, "delayed is a set, not a state");
	is_int(job_state_of("done ok", 4), JOB_DONE, "a state within a line");
	is_int(job_state_of("don", 3), -1, "a prefix is not a state");
	ok(job_state_final(JOB_DONE) && job_state_final(JOB_DEAD) &&
	    !job_state_final(JOB_QUEUED) && !job_state_final(JOB_ACTIVE) &&
	    !job_state_final(JOB_RETRY) && !job_state_final(-1),
	    "done and dead are final");

	ok(job_field_name_valid("src", 3), "src");
	ok(job_field_name_valid("a_1", 3), "a_1");
	ok(!job_field_name_valid("Src", 3), "upper case");
	ok(!job_field_name_valid("1a", 2), "leading digit");
	ok(!job_field_name_valid("a-b", 3), "dash");
	ok(!job_field_name_valid("", 0), "empty");
	ok(!job_field_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    65), "too long");
	ok(job_field_reserved("state", 5) && job_field_reserved("run", 3) &&
	    job_field_reserved("outputs", 7), "reserved names");
	ok(!job_field_reserved("src", 3) && !job_field_reserved("stat", 4),
	    "not reserved");
	ok(job_env_name("src", 3, a, sizeof(a)) == 0 &&
	    strcmp(a, "IMGQ_SRC") == 0, "IMGQ_SRC");
	ok(job_env_name("max_w", 5, a, sizeof(a)) == 0 &&
	    strcmp(a, "IMGQ_MAX_W") == 0, "IMGQ_MAX_W");
	ok(job_env_name("bad-name", 8, a, sizeof(a)) == -1, "bad env name");
	ok(job_env_name("src", 3, a, 8) == -1, "env name does not fit");

	{
		const char *n[] = { "state", "attempts", "src", "outputs" };
		const char *v[] = { "done", "2", "a \"b\"\\", "x\ny\n" };

		json_is(n, v, 4, "{\"id\":\"0mx1dkfla04z2gcdkrfzsne0dt\","
		    "\"state\":\"done\",\"attempts\":2,\"src\":\"a \\\"b\\\"\\\\\","
		    "\"outputs\":[\"x\",\"y\"]}", "a record");
	}
	{
		const char *n[] = { "size", "created", "exit", "note" };
		const char *v[] = { "012", "-5", "", "\x01\t\r\x7f" };

		json_is(n, v, 4, "{\"id\":\"0mx1dkfla04z2gcdkrfzsne0dt\","
		    "\"size\":\"012\",\"created\":-5,\"exit\":\"\","
		    "\"note\":\"\\u0001\\t\\r\\u007f\"}",
		    "numbers only when they are numbers; control bytes");
	}
	{
		const char *n[] = { "name", "bad", "outputs", "id" };
		const char *v[] = { "caf\xc3\xa9 \xe2\x82\xac", "\xc3\x28\xff",
		    "", "x" };

		json_is(n, v, 4, "{\"id\":\"0mx1dkfla04z2gcdkrfzsne0dt\","
		    "\"name\":\"caf\xc3\xa9 \xe2\x82\xac\","
		    "\"bad\":\"\\ufffd(\\ufffd\",\"outputs\":[]}",
		    "UTF-8 kept, other bytes U+FFFD, no second id");
	}
	{
		const char *n[] = { "x", "y", "z" };
		const char *v[] = { "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80" };

		json_is(n, v, 3, "{\"id\":\"0mx1dkfla04z2gcdkrfzsne0dt\","
		    "\"x\":\"\\ufffd\\ufffd\\ufffd\",\"y\":\"\\ufffd\\ufffd\","
		    "\"z\":\"\\ufffd\\ufffd\\ufffd\\ufffd\"}",
		    "surrogates, overlong forms, beyond U+10FFFF become U+FFFD");
	}
	return tap_done();
}
