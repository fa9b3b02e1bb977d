/*
 * exitcode.h: the exit-status table of imgq(7), the API between programs.
 *
 * One meaning per code; callers decide by class, never by parsing messages.
 */
#ifndef IMGQ_EXITCODE_H
#define IMGQ_EXITCODE_H

#define EX_OK		0	/* success: done */
#define EX_NEGATIVE	1	/* negative: a documented "no" */
#define EX_USAGE	64	/* halt: bad arguments */
#define EX_DATAERR	65	/* reject: bad input */
#define EX_NOINPUT	66	/* reject: named input absent */
#define EX_SOFTWARE	70	/* reject: internal error */
#define EX_OSERR	71	/* retry: fork, pipe, memory, descriptors */
#define EX_TEMPFAIL	75	/* retry: network, timeouts, 5xx, Redis down */
#define EX_PROTOCOL	76	/* reject: the peer spoke nonsense */
#define EX_NOPERM	77	/* halt: credentials refused */
#define EX_CONFIG	78	/* halt: missing or invalid configuration */

enum ex_class {
	EXC_SUCCESS,
	EXC_NEGATIVE,
	EXC_RETRY,
	EXC_REJECT,
	EXC_HALT
};

/* Class of an exit code; a code outside the table is a reject. */
enum ex_class	ex_class_of_code(int);

/*
 * Class of a wait(2) status: an exit code by the table, a death by signal
 * is a retry (the attempt limit bounds it).
 */
enum ex_class	ex_class_of_status(int);

/* "success", "negative", "retry", "reject", "halt". */
const char	*ex_class_name(enum ex_class);

/* "EX_TEMPFAIL" and so on; NULL for a code outside the table. */
const char	*ex_code_name(int);

/*
 * Describes a wait status in a few words into buf: "exit 75", "signal 9
 * (Killed)", "signal 11 (Segmentation fault), core dumped".
 */
const char	*ex_describe_status(int, char *, unsigned long);

#endif
