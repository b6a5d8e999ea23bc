/*
 * NAME
 *	fuzz - what the fuzz targets share
 * SYNOPSIS
 *	#include "fuzz.h"
 *
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Every fuzz target is one file defining LLVMFuzzerTestOneInput().
 *	Built with -DOUTGUARD_FUZZ=ON (clang) it is linked with libFuzzer;
 *	in every other build with replay.c, which runs each file of the
 *	target's seed corpus once, as a ctest test.
 *
 *	Most targets read their input as lines ("rule any from reject
 *	x+y" ...), so the seeds are readable and a mutation of one line
 *	leaves the others meaningful.  FUZZ_CHECK() states what must hold
 *	whatever the input: when it does not, the target prints why and
 *	aborts, which libFuzzer and the replay both report as a crash.
 */
#ifndef OUTGUARD_FUZZ_H
#define OUTGUARD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_CHECK - abort with file:line and the message when cond is false */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
	} while (0)

/* fuzz_fail - print "file:line: cond: message" and abort() */
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt,
	       ...) __attribute__((noreturn, format(printf, 4, 5)));

/* fuzz_init - once per process: logging on, but written nowhere */
void fuzz_init(void);

/* fuzz_bounded - 1 when buf[0..size) holds a NUL (a terminated string) */
int fuzz_bounded(const char *buf, size_t size);

/*
 * Lines of an input.  fuzz_lines_init() copies data (NUL-terminated);
 * fuzz_line() returns the next line without its newline, or NULL at
 * the end; fuzz_rest() the bytes after the last line returned, with
 * their length (they may hold NULs).  A NUL inside a line ends it as a
 * C string.  fuzz_lines_free() releases the copy.
 */
struct fuzz_lines {
	char *buf;
	size_t size;
	size_t pos;
};

int fuzz_lines_init(struct fuzz_lines *l, const uint8_t *data, size_t size);
char *fuzz_line(struct fuzz_lines *l);
const char *fuzz_rest(const struct fuzz_lines *l, size_t *len);
void fuzz_lines_free(struct fuzz_lines *l);

/* fuzz_word - the next space-separated word of *s ("" at the end) */
char *fuzz_word(char **s);

/* fuzz_long - a decimal number, clamped to [lo, hi]; 0 (or lo) if none */
long fuzz_long(const char *s, long lo, long hi);

/*
 * fuzz_limit_add - one limits row added to class c as the store adds
 * it: rcpt_per_msg gets window 0, other metrics need window_s > 0,
 * at most POLICY_MAX_WINDOWS windows.  0, or -1 when the store would
 * skip the row (unknown metric or action, bad window).
 */
int fuzz_limit_add(struct policy *p, struct policy_class *c, long id,
		   const char *metric, long window_s, long threshold,
		   const char *action);

/* fuzz_class - the class named name, added when new; NULL on OOM */
struct policy_class *fuzz_class(struct policy *p, const char *name);

#endif
