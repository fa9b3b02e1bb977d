/* REDIS_URL parsing: the forms of DESIGN.md and what must be refused. */
#include <string.h>

#include "exitcode.h"
#include "q.h"
#include "tap.h"

static void
good(const char *url, int is_unix, const char *host, int port,
    const char *path, const char *user, const char *pass, int db)
{
	struct q_url u;
	struct err e;

	err_clear(&e);
	if (!ok(q_url_parse(url, &u, &e) == 0, "parses %s", url)) {
		printf("#   %s\n", e.msg);
		return;
	}
	is_int(u.tls, strncmp(url, "rediss:", 7) == 0, "%s: tls", url);
	is_int(u.is_unix, is_unix, "%s: unix", url);
	is_str(u.host, host, "%s: host", url);
	is_int(u.port, port, "%s: port", url);
	is_str(u.path, path, "%s: path", url);
	is_str(u.user, user, "%s: user", url);
	is_str(u.pass, pass, "%s: password", url);
	is_int(u.db, db, "%s: db", url);
}

static void
bad(const char *url, const char *msg)
{
	struct q_url u;
	struct err e;

	err_clear(&e);
	ok(q_url_parse(url, &u, &e) == -1 && e.code == EX_CONFIG,
	    "refuses %s", url);
	is_str(e.msg, msg, "message for %s", url);
	ok(strstr(e.msg, "s3cret") == NULL, "no password in the message");
}

/* redis+sentinel://: the sentinels, the master's name, its database. */
static void
sentinels(void)
{
	struct q_url u;
	struct err e;

	err_clear(&e);
	ok(q_url_parse("redis+sentinel://u:s3cret@a,b:26380,[::1]:7/mymaster/3",
	    &u, &e) == 0, "a sentinel URL");
	is_int(u.nsentinels, 3, "three sentinels");
	is_str(u.sentinel[0].host, "a", "first host");
	is_int(u.sentinel[0].port, 26379, "default sentinel port");
	is_str(u.sentinel[1].host, "b", "second host");
	is_int(u.sentinel[1].port, 26380, "second port");
	is_str(u.sentinel[2].host, "::1", "an [IPv6] sentinel");
	is_int(u.sentinel[2].port, 7, "its port");
	is_str(u.master, "mymaster", "the master's name");
	is_int(u.db, 3, "the database");
	is_str(u.user, "u", "the master's user");
	is_str(u.pass, "s3cret", "the master's password");
	is_str(u.host, "", "no master host until asked");
	is_int(u.tls, 0, "plain");
	ok(q_url_parse("rediss+sentinel://h/m", &u, &e) == 0 && u.tls == 1 &&
	    u.nsentinels == 1 && strcmp(u.master, "m") == 0 && u.db == 0,
	    "rediss+sentinel://: TLS to all");
	bad("redis+sentinel://h", "REDIS_URL: a sentinel URL needs "
	    "/master-name (1 to 63 of [A-Za-z0-9_.-])");
	bad("redis+sentinel://h/", "REDIS_URL: a sentinel URL needs "
	    "/master-name (1 to 63 of [A-Za-z0-9_.-])");
	bad("redis+sentinel://h/a b", "REDIS_URL: a sentinel URL needs "
	    "/master-name (1 to 63 of [A-Za-z0-9_.-])");
	bad("redis+sentinel://h/m/x", "REDIS_URL: bad database number");
	bad("redis+sentinel://h,,i/m", "REDIS_URL: missing or long host");
	bad("redis+sentinel://h:0/m", "REDIS_URL: bad port");
	bad("redis+sentinel://a,b,c,d,e,f,g,h,i/m",
	    "REDIS_URL: more than 8 sentinels");
}

int
main(void)
{
	sentinels();
	good("redis://127.0.0.1:6379/0", 0, "127.0.0.1", 6379, "", "", "", 0);
	good("redis://localhost", 0, "localhost", 6379, "", "", "", 0);
	good("redis://h:7000/15", 0, "h", 7000, "", "", "", 15);
	good("redis://h/", 0, "h", 6379, "", "", "", 0);
	good("redis://:s3cret@h:1/2", 0, "h", 1, "", "", "s3cret", 2);
	good("redis://alice:s3cret@h:1", 0, "h", 1, "", "alice", "s3cret", 0);
	good("redis://s3cret@h", 0, "h", 6379, "", "", "s3cret", 0);
	good("redis://u:p%40ss%3a@h", 0, "h", 6379, "", "u", "p@ss:", 0);
	good("redis://u:p@ss@h", 0, "h", 6379, "", "u", "p@ss", 0);
	good("redis://[::1]:6380/3", 0, "::1", 6380, "", "", "", 3);
	good("redis://[::1]", 0, "::1", 6379, "", "", "", 0);
	good("rediss://h", 0, "h", 6379, "", "", "", 0);
	good("rediss://u:s3cret@[::1]:6380/2", 0, "::1", 6380, "", "u",
	    "s3cret", 2);
	good("unix:///run/redis/redis.sock", 1, "", 6379,
	    "/run/redis/redis.sock", "", "", 0);
	good("unix:///tmp/r.sock?db=4", 1, "", 6379, "/tmp/r.sock", "", "",
	    4);
	bad("", "REDIS_URL is empty");
	bad("http://h", "REDIS_URL: must begin with redis://, rediss://, "
	    "redis+sentinel://, rediss+sentinel:// or unix://");
	bad("rediss://", "REDIS_URL: missing or long host");
	bad("redis:/h", "REDIS_URL: must begin with redis://, rediss://, "
	    "redis+sentinel://, rediss+sentinel:// or unix://");
	bad("redis://", "REDIS_URL: missing or long host");
	bad("redis://:s3cret@", "REDIS_URL: missing or long host");
	bad("redis://h:0", "REDIS_URL: bad port");
	bad("redis://h:65536", "REDIS_URL: bad port");
	bad("redis://h:12x", "REDIS_URL: bad port");
	bad("redis://h:", "REDIS_URL: bad port");
	bad("redis://h/x", "REDIS_URL: bad database number");
	bad("redis://h/1/2", "REDIS_URL: bad database number");
	bad("redis://h/-1", "REDIS_URL: bad database number");
	bad("redis://h h", "REDIS_URL: bad character in host");
	bad("redis://[::1", "REDIS_URL: unterminated [address]");
	bad("redis://[::1]x", "REDIS_URL: junk after [address]");
	bad("redis://u:s3cret%zz@h", "REDIS_URL: password too long or malformed");
	bad("redis://u:s3cret%00@h", "REDIS_URL: password too long or malformed");
	bad("redis://u:s3cret%4@h", "REDIS_URL: password too long or malformed");
	bad("unix://", "REDIS_URL: unix:// needs an absolute socket path");
	bad("unix://rel.sock", "REDIS_URL: unix:// needs an absolute socket path");
	bad("unix:///s?db=x", "REDIS_URL: unix:// takes only ?db=N");
	bad("unix:///s?x=1", "REDIS_URL: unix:// takes only ?db=N");
	ok(q_queue_valid("imgq") && q_queue_valid("a.b-c_D9"), "queue names");
	ok(!q_queue_valid("") && !q_queue_valid("a b") &&
	    !q_queue_valid("a{b}") && !q_queue_valid("a:b"),
	    "bad queue names");
	return tap_done();
}
