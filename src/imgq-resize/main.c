/*
 * imgq-resize: decode one image once, write one or more variants.
 *
 * Reads a file or standard input into memory (up to a limit), probes the
 * header (format from magic numbers, allow-list, pixel limit) before any
 * decoder runs, decodes once with a size hint, renders every variant and
 * writes each to DIR/NAME.EXT (atomically, printing the path) or the only
 * one to standard output.  See imgq-resize(1).
 */
/* madvise(2) and MADV_HUGEPAGE are not POSIX */
#define _DEFAULT_SOURCE

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "env.h"
#include "err.h"
#include "exitcode.h"
#include "img.h"
#include "log.h"
#include "sandbox.h"
#include "sys.h"

#define MAX_VARIANTS	32

static const char usage_line[] =
    "usage: imgq-resize [-kS] [-a formats] [-b colour] [-l pixels] "
    "[-m bytes] [-o dir] [-p presets] [-t seconds] [-T threads] "
    "[-v variant]... [file]\n"
    "       imgq-resize -i [-S] [-a formats] [file]\n";

struct opts {
	struct img_limits lim;
	struct img_render_opts ro;
	struct img_variant v[MAX_VARIANTS];
	size_t		nv;
	const char	*dir;
	const char	*input;
	uint64_t	max_input;
	long long	cpu;
	int		info;
	int		sandbox;
};

/* An output file: written under tmp, renamed to path when all is done. */
struct out_file {
	char	path[PATH_MAX];
	char	tmp[PATH_MAX];
	int	fd;
};

static void
usage(void)
{
	(void)fputs(usage_line, stderr);
	exit(EX_USAGE);
}

#define die(e)	cli_die(e)

static char xcpu_msg[128];
static size_t xcpu_len;

static void
on_xcpu(int sig)
{
	(void)sig;
	if (write(2, xcpu_msg, xcpu_len) < 0)
		_exit(EX_DATAERR);
	_exit(EX_DATAERR);
}

/* The CPU-time limit: SIGXCPU at the soft limit, SIGKILL 5 s later. */
static void
limit_cpu(long long secs)
{
	struct rlimit rl;
	struct sigaction sa;
	int n;

	if (secs <= 0)
		return;
	n = snprintf(xcpu_msg, sizeof(xcpu_msg),
	    "%s: fatal: CPU time limit of %lld s exceeded\n", log_prog(),
	    secs);
	xcpu_len = n > 0 && (size_t)n < sizeof(xcpu_msg) ? (size_t)n : 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_xcpu;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGXCPU, &sa, NULL);
	rl.rlim_cur = (rlim_t)secs;
	rl.rlim_max = (rlim_t)secs + 5;
	if (setrlimit(RLIMIT_CPU, &rl) == -1)
		log_warn("unable to set the CPU time limit: %s",
		    strerror(errno));
}

/*
 * Page faults dominate a short-lived process that allocates pixel caches
 * of tens of megabytes (in a VM each one is a trap to the hypervisor).
 * Large blocks are served from the main heap, never returned to the
 * system, and that heap is reserved up front (virtual memory only) and
 * marked for transparent huge pages: 512 times fewer faults.  A no-op
 * where malloc is not glibc's (sanitizers) or THP is off.
 */
static void
tune_malloc(void)
{
	const size_t reserve = 192u << 20, huge = 2u << 20;
	uintptr_t a, b;
	void *p;

	(void)mallopt(M_MMAP_THRESHOLD, 512 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, INT_MAX);
	(void)mallopt(M_TOP_PAD, 16 << 20);
	if ((p = malloc(reserve)) == NULL)
		return;
	a = ((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1);
	b = ((uintptr_t)p + reserve) & ~(uintptr_t)(huge - 1);
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
	free(p);
}

static void
add_variant(struct opts *o, const char *s, const char *where)
{
	struct err e;
	size_t i;

	err_clear(&e);
	if (o->nv == MAX_VARIANTS) {
		log_fatal("%stoo many variants (at most %d)", where,
		    MAX_VARIANTS);
		exit(EX_USAGE);
	}
	if (img_variant_parse(s, &o->v[o->nv], &e) == -1) {
		log_fatal("%s%s", where, e.msg);
		exit(EX_USAGE);
	}
	for (i = 0; i < o->nv; i++)
		if (strcmp(o->v[i].name, o->v[o->nv].name) == 0) {
			log_fatal("%svariant name given twice: %s", where,
			    o->v[i].name);
			exit(EX_USAGE);
		}
	o->nv++;
}

/* A presets file: one variant a line, # comments, blank lines. */
static void
read_presets(struct opts *o, const char *path)
{
	char line[512], where[320], esc[200];
	FILE *f;
	char *s, *end;
	size_t n;
	int lineno = 0;

	log_escape(path, strlen(path), esc, sizeof(esc));
	if ((f = fopen(path, "r")) == NULL) {
		log_fatal("unable to open presets %s: %s", esc,
		    strerror(errno));
		exit(EX_USAGE);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			log_fatal("presets %s:%d: line too long", esc, lineno);
			exit(EX_USAGE);
		}
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\n' || end[-1] == '\r'))
			*--end = '\0';
		if (*s == '\0')
			continue;
		(void)snprintf(where, sizeof(where), "presets %s:%d: ", esc,
		    lineno);
		add_variant(o, s, where);
	}
	if (ferror(f)) {
		log_fatal("unable to read presets %s", esc);
		exit(EX_USAGE);
	}
	(void)fclose(f);
}

static int
parse_colour(const char *s, uint8_t rgb[3])
{
	unsigned v = 0;
	size_t i;

	if (*s == '#')
		s++;
	if (strlen(s) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	rgb[0] = (uint8_t)(v >> 16);
	rgb[1] = (uint8_t)(v >> 8);
	rgb[2] = (uint8_t)v;
	return 0;
}

/* The input's descriptor, and its name for messages. */
static int
open_input(const char *path, char *esc, size_t esclen)
{
	int fd, saved;

	if (path == NULL || strcmp(path, "-") == 0) {
		(void)snprintf(esc, esclen, "standard input");
		return 0;
	}
	log_escape(path, strlen(path), esc, esclen);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		log_fatal("unable to open %s: %s", esc, strerror(saved));
		exit(saved == ENOENT || saved == ENOTDIR ? EX_NOINPUT :
		    EX_OSERR);
	}
	return fd;
}

/* The whole input, at most max bytes. */
static uint8_t *
read_input(int fd, const char *esc, uint64_t max, size_t *lenp)
{
	struct stat st;
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > max) {
			log_fatal("input too large: %s is %lld bytes "
			    "(limit %llu)", esc, (long long)st.st_size,
			    (unsigned long long)max);
			exit(EX_DATAERR);
		}
		cap = (size_t)st.st_size + 1;
	}
	for (;;) {
		if (buf == NULL || len == cap) {
			if (len == cap && cap > max) {
				log_fatal("input too large: more than %llu "
				    "bytes", (unsigned long long)max);
				exit(EX_DATAERR);
			}
			if (buf != NULL || cap == 0)
				cap = cap ? cap * 2 : 65536;
			if (cap > max + 1)
				cap = (size_t)max + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				log_fatal("out of memory reading %s", esc);
				exit(EX_OSERR);
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			log_fatal("unable to read %s: %s", esc,
			    strerror(errno));
			exit(errno == EISDIR ? EX_NOINPUT : EX_OSERR);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max) {
		log_fatal("input too large: more than %llu bytes",
		    (unsigned long long)max);
		exit(EX_DATAERR);
	}
	if (fd != 0)
		(void)close(fd);
	*lenp = len;
	return buf;
}

static void
discard_outputs(const struct out_file *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)unlink(f[i].tmp);
}

/* Without the sandbox's parent, whoever exits removes what is unfinished. */
static struct out_file *pending;
static size_t npending;

static void
discard_pending(void)
{
	discard_outputs(pending, npending);
}

/*
 * DIR/.NAME.EXT.XXXXXX for each variant, made before any decoder runs:
 * the sandbox lets the decoding process write to them, not create files.
 */
static void
open_outputs(const struct opts *o, struct out_file *f)
{
	const char *sep = "/", *dir = o->dir;
	char esc[300];
	size_t i;
	int n, saved;

	if (dir[0] != '\0' && dir[strlen(dir) - 1] == '/')
		sep = "";
	for (i = 0; i < o->nv; i++) {
		n = snprintf(f[i].path, sizeof(f[i].path), "%s%s%s.%s", dir,
		    sep, o->v[i].name, img_variant_ext(&o->v[i]));
		if (n < 0 || (size_t)n >= sizeof(f[i].path) ||
		    (n = snprintf(f[i].tmp, sizeof(f[i].tmp),
		    "%s%s.%s.%s.XXXXXX", dir, sep, o->v[i].name,
		    img_variant_ext(&o->v[i]))) < 0 ||
		    (size_t)n >= sizeof(f[i].tmp)) {
			discard_outputs(f, i);
			log_fatal("output path too long");
			exit(EX_USAGE);
		}
		if ((f[i].fd = mkstemp(f[i].tmp)) == -1) {
			saved = errno;
			discard_outputs(f, i);
			log_escape(f[i].path, strlen(f[i].path), esc,
			    sizeof(esc));
			log_fatal("unable to create %s: %s", esc,
			    strerror(saved));
			exit(EX_OSERR);	/* a full disk too: imgq(7) */
		}
	}
}

static void
write_output(const struct out_file *f, const struct img_output *o)
{
	char esc[300];
	struct err e;

	err_clear(&e);
	if (sys_write_all(f->fd, o->data, o->len, &e) == -1) {
		log_escape(f->path, strlen(f->path), esc, sizeof(esc));
		log_fatal("unable to write %s: %s", esc, e.msg);
		exit(EX_OSERR);
	}
}

/* Every output in place under its name, each path printed. */
static void
finish_outputs(struct out_file *f, size_t n)
{
	char esc[300];
	size_t i;
	int saved;

	for (i = 0; i < n; i++) {
		if (fchmod(f[i].fd, 0644) == -1 || close(f[i].fd) == -1 ||
		    rename(f[i].tmp, f[i].path) == -1) {
			saved = errno;
			discard_outputs(f + i, n - i);
			log_escape(f[i].path, strlen(f[i].path), esc,
			    sizeof(esc));
			log_fatal("unable to write %s: %s", esc,
			    strerror(saved));
			exit(EX_OSERR);
		}
		(void)printf("%s\n", f[i].path);
	}
	npending = 0;
	if (fflush(stdout) != 0) {
		log_fatal("unable to write standard output: %s",
		    strerror(errno));
		exit(EX_OSERR);
	}
}

/* Ends this process the way the decoder ended, without a core of its own. */
static void
die_like(int sig)
{
	struct rlimit rl = { 0, 0 };
	sigset_t set;

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)signal(sig, SIG_DFL);
	(void)sigemptyset(&set);
	(void)sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	exit(EX_SOFTWARE);
}

/*
 * With outputs to rename, the sandboxed decoder is a child: renaming
 * needs paths, which the sandbox refuses.  The parent only waits, then
 * renames the outputs or removes them and ends as the child did.
 */
static pid_t
split(struct out_file *f, size_t n)
{
	pid_t pid, parent = getpid();
	int st;

	if ((pid = fork()) == -1) {
		discard_outputs(f, n);
		log_fatal("unable to fork: %s", strerror(errno));
		exit(EX_OSERR);
	}
	if (pid == 0) {
		/* the decoder never outlives whoever renames its work */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(EX_OSERR);
		return 0;
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			log_fatal("unable to wait for the decoder: %s",
			    strerror(errno));
			exit(EX_OSERR);
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		finish_outputs(f, n);
		exit(EX_OK);
	}
	discard_outputs(f, n);
	if (WIFEXITED(st))
		exit(WEXITSTATUS(st));
	log_fatal("decoder killed by signal %d", WTERMSIG(st));
	die_like(WTERMSIG(st));
	return -1;
}

static void
print_info(const struct img_info *in)
{
	(void)printf("format=%s width=%u height=%u orientation=%d "
	    "frames=%u\n", img_format_name(in->format), in->width, in->height,
	    in->orientation, in->frames);
}

static void
env_defaults(struct opts *o)
{
	struct err e;
	long long v;

	err_clear(&e);
	v = 100000000;
	if (env_long("IMGQ_RESIZE_MAX_PIXELS", 1, 1LL << 40, &v, &e) == -1)
		die(&e);
	o->lim.max_pixels = (uint64_t)v;
	/* 100 Mpx at IMG_PIXEL_BYTES, and a little more */
	o->lim.max_memory = 1600ULL << 20;
	if (env_size("IMGQ_RESIZE_MAX_MEMORY", 32ULL << 20, 1ULL << 40,
	    &o->lim.max_memory, &e) == -1)
		die(&e);
	o->max_input = 128ULL << 20;
	if (env_size("IMGQ_RESIZE_MAX_INPUT", 1, 1ULL << 32, &o->max_input,
	    &e) == -1)
		die(&e);
	o->cpu = 60;
	if (env_long("IMGQ_RESIZE_CPU_SECONDS", 0, 86400, &o->cpu, &e) == -1)
		die(&e);
	v = 1;
	if (env_long("IMGQ_RESIZE_THREADS", 1, 64, &v, &e) == -1)
		die(&e);
	o->lim.threads = (int)v;
	v = 1;
	if (env_long("IMGQ_RESIZE_SANDBOX", 0, 1, &v, &e) == -1)
		die(&e);
	o->sandbox = (int)v;
	o->lim.max_side = 32768;
	if (img_formats_env(&o->lim.allow, &e) == -1)
		die(&e);
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	struct err e;
	long long v;
	int c;

	err_clear(&e);
	while ((c = getopt(argc, argv, "a:b:ikl:m:o:p:St:T:v:")) != -1) {
		switch (c) {
		case 'a':
			if (img_format_list(optarg, &o->lim.allow, &e) == -1)
				die(&e);
			break;
		case 'b':
			if (parse_colour(optarg, o->ro.bg) == -1) {
				log_fatal("bad colour (#rrggbb): %s", optarg);
				exit(EX_USAGE);
			}
			break;
		case 'i':
			o->info = 1;
			break;
		case 'k':
			o->ro.keep_meta = 1;
			break;
		case 'l':
			if (parse_long(optarg, 1, 1LL << 40, &v, &e) == -1)
				die(&e);
			o->lim.max_pixels = (uint64_t)v;
			break;
		case 'm':
			if (parse_size(optarg, 32ULL << 20, 1ULL << 40,
			    &o->lim.max_memory, &e) == -1)
				die(&e);
			break;
		case 'o':
			o->dir = optarg;
			break;
		case 'p':
			read_presets(o, optarg);
			break;
		case 'S':
			o->sandbox = 0;
			break;
		case 't':
			if (parse_long(optarg, 0, 86400, &o->cpu, &e) == -1)
				die(&e);
			break;
		case 'T':
			if (parse_long(optarg, 1, 64, &v, &e) == -1)
				die(&e);
			o->lim.threads = (int)v;
			break;
		case 'v':
			add_variant(o, optarg, "");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	o->input = argc == 1 ? argv[0] : NULL;
	if (o->info)
		return;
	if (o->nv == 0) {
		log_fatal("no variant given (-v or -p)");
		exit(EX_USAGE);
	}
	if (o->dir == NULL && o->nv != 1) {
		log_fatal("%zu variants need an output folder (-o)", o->nv);
		exit(EX_USAGE);
	}
}

/*
 * Everything the decoders would load or open on first use, loaded now,
 * then the sandbox (sandbox.h).
 */
static void
confine(const struct opts *o, const uint8_t *buf, size_t len)
{
	struct err e;
	enum img_format f = img_sniff(buf, len);

	err_clear(&e);
	tzset();	/* /etc/localtime: GraphicsMagick formats dates */
	if (!o->info && (o->lim.allow & IMG_FMT_BIT(f)))
		(void)img_prepare(f, &e);
	if (sandbox_enter(&e) == -1)
		die(&e);
}

/* Decodes once, renders every variant into out. */
static void
render(struct opts *o, const char *argv0, const uint8_t *buf, size_t len,
    const struct img_info *in, struct img_output *out)
{
	struct img *im;
	struct err e;
	uint32_t hw, hh;
	int rc;

	err_clear(&e);
	img_limits_fit(&o->lim);
	if (img_check(in, &o->lim, &e) == -1)
		die(&e);
	/* JPEG to JPEG and WebP without GraphicsMagick, when it can */
	if ((rc = img_jpeg_render(buf, len, in, o->v, o->nv, &o->ro,
	    o->lim.max_memory, out, &e)) == -1)
		die(&e);
	if (rc == 0)
		return;
	if (img_init(argv0, &o->lim, &e) == -1)
		die(&e);
	img_decode_hint(in, o->v, o->nv, IMG_DECODE_MARGIN, &hw, &hh);
	if ((im = img_decode(buf, len, in, hw, hh, &e)) == NULL)
		die(&e);
	if (img_render(im, o->v, o->nv, &o->ro, out, &e) == -1)
		die(&e);
	img_free(im);
}

int
main(int argc, char **argv)
{
	static struct opts o;
	static struct out_file files[MAX_VARIANTS];
	struct img_info in;
	struct img_output out[MAX_VARIANTS];
	struct err e;
	char name[200];
	uint8_t *buf;
	size_t len, i;
	pid_t child = -1;
	int fd;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	log_init(argv[0]);
	err_clear(&e);
	o.ro.bg[0] = o.ro.bg[1] = o.ro.bg[2] = 255;
	env_defaults(&o);
	parse_args(&o, argc, argv);
	limit_cpu(o.cpu);
	fd = open_input(o.input, name, sizeof(name));
	if (!o.info && o.dir != NULL) {
		open_outputs(&o, files);
		if (o.sandbox)
			child = split(files, o.nv);
		else {
			pending = files;
			npending = o.nv;
			(void)atexit(discard_pending);
		}
	}
	/* -i too: reading a 1 MB input into 4 KiB pages was 250 faults */
	tune_malloc();
	buf = read_input(fd, name, o.max_input, &len);
	if (o.sandbox)
		confine(&o, buf, len);

	if (img_probe(buf, len, &in, &e) == -1)
		die(&e);
	if (o.info) {
		if (!(o.lim.allow & IMG_FMT_BIT(in.format))) {
			log_fatal("input format not allowed: %s",
			    img_format_name(in.format));
			return EX_DATAERR;
		}
		print_info(&in);
		return fflush(stdout) == 0 ? EX_OK : EX_OSERR;
	}
	render(&o, argv[0], buf, len, &in, out);
	free(buf);
	if (o.dir == NULL) {
		if (sys_write_all(1, out[0].data, out[0].len, &e) == -1) {
			log_fatal("unable to write standard output: %s",
			    e.msg);
			return EX_OSERR;
		}
	} else {
		for (i = 0; i < o.nv; i++)
			write_output(&files[i], &out[i]);
		if (child == -1)
			finish_outputs(files, o.nv);
	}
	img_output_free(out, o.nv);
	return EX_OK;
}
