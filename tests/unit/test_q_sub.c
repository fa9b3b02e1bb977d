/*
 * q_sub_next against a scripted Redis on a unix socket (a child process
 * that answers SUBSCRIBE and then publishes what the test tells it), so
 * that what is already in the socket is known exactly.
 */
#define _DEFAULT_SOURCE

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "q.h"
#include "tap.h"

#define SUBSCRIBED "*3\r\n$9\r\nsubscribe\r\n$13\r\n{imgq}:events\r\n:1\r\n"

static const char *const msgs[] = {
	"*3\r\n$7\r\nmessage\r\n$13\r\n{imgq}:events\r\n$8\r\nA queued\r\n",
	"*3\r\n$7\r\nmessage\r\n$13\r\n{imgq}:events\r\n$6\r\nA done\r\n",
	/* the second half of the next one comes later (a partial reply) */
	"*3\r\n$7\r\nmessage\r\n$13\r\n{imgq}:events\r\n$",
	"6\r\nB done\r\n",
};

static int
writes(int fd, const char *s)
{
	size_t n = strlen(s);

	return write(fd, s, n) == (ssize_t)n ? 0 : -1;
}

/*
 * The server: accepts one client, answers its SUBSCRIBE, then for each
 * byte read on ctl sends msgs[byte].
 */
static void
server(int lfd, int ctl)
{
	char buf[512];
	unsigned char k;
	int fd;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	if (read(fd, buf, sizeof(buf)) <= 0 || writes(fd, SUBSCRIBED) == -1)
		_exit(1);
	while (read(ctl, &k, 1) == 1)
		if (k >= sizeof(msgs) / sizeof(msgs[0]) ||
		    writes(fd, msgs[k]) == -1)
			_exit(1);
	_exit(0);
}

/* Tells the server to send msgs[k] and waits until bytes are readable. */
static int
send_msg(int ctl, struct q_sub *s, unsigned char k)
{
	struct pollfd p;

	if (write(ctl, &k, 1) != 1)
		return -1;
	p.fd = q_sub_fd(s);
	p.events = POLLIN;
	return poll(&p, 1, 5000) == 1 ? 0 : -1;
}

int
main(void)
{
	char dir[] = "/tmp/test_q_sub.XXXXXX", url[200];
	struct sockaddr_un sa;
	struct q_sub *s = NULL;
	struct err e;
	char *line = NULL;
	size_t len = 0;
	int lfd, ctl[2], st;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL || pipe(ctl) == -1)
		return 99;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/redis.sock", dir);
	snprintf(url, sizeof(url), "unix://%s", sa.sun_path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 1) == -1)
		return 99;
	if ((pid = fork()) == -1)
		return 99;
	if (pid == 0) {
		close(ctl[1]);
		server(lfd, ctl[0]);
	}
	close(ctl[0]);
	close(lfd);

	s = q_sub_open(url, NULL, &e);
	if (!ok(s != NULL, "subscribes"))
		printf("#   %s\n", e.msg);
	if (s == NULL)
		goto out;
	is_int(q_sub_next(s, &line, &len, 0, &e), 0,
	    "timeout 0 with nothing there: 0");

	ok(send_msg(ctl[1], s, 0) == 0, "an event is in the socket");
	is_int(q_sub_next(s, &line, &len, 0, &e), 1,
	    "timeout 0 reads the event already in the socket");
	is_str(line, "A queued", "the event");
	is_int(len, 8, "its length");
	free(line);
	line = NULL;
	is_int(q_sub_next(s, &line, &len, 0, &e), 0,
	    "then nothing more: 0 at once");

	ok(send_msg(ctl[1], s, 2) == 0, "half an event is in the socket");
	is_int(q_sub_next(s, &line, &len, 0, &e), 0,
	    "timeout 0 with half an event: 0");
	ok(send_msg(ctl[1], s, 3) == 0, "the rest is in the socket");
	is_int(q_sub_next(s, &line, &len, 0, &e), 1,
	    "timeout 0 completes it");
	is_str(line, "B done", "the completed event");
	free(line);
	line = NULL;

	ok(send_msg(ctl[1], s, 1) == 0, "another event is in the socket");
	is_int(q_sub_next(s, &line, &len, 100, &e), 1,
	    "timeout 100 reads it too");
	is_str(line, "A done", "that event");
	free(line);
out:
	q_sub_close(s);
	close(ctl[1]);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the server ended well");
	unlink(sa.sun_path);
	rmdir(dir);
	return tap_done();
}
