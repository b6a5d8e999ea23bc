/*
 * NAME
 *	check - the smallest test harness: got X, want Y
 * SYNOPSIS
 *	#include "check.h"
 *	CHECK_INT("what", got, want); CHECK_STR(...); CHECK(cond, "what");
 *	return check_done();
 * DESCRIPTION
 *	Each check prints a line only when it fails; check_done() prints
 *	"N passed, N failed" and returns the exit status.
 */
#ifndef OUTGUARD_CHECK_H
#define OUTGUARD_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_pass, check_fail;

#define CHECK(cond, what)                                                   \
	do {                                                                \
		if (cond) {                                                 \
			check_pass++;                                       \
		} else {                                                    \
			check_fail++;                                       \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, what); \
		}                                                           \
	} while (0)

#define CHECK_INT(what, got, want)                                          \
	do {                                                                \
		long long g_ = (got), w_ = (want);                          \
		if (g_ == w_) {                                             \
			check_pass++;                                       \
		} else {                                                    \
			check_fail++;                                       \
			printf("FAIL %s:%d: %s: got %lld, want %lld\n",       \
			       __FILE__, __LINE__, what, g_, w_);           \
		}                                                           \
	} while (0)

#define CHECK_STR(what, got, want)                                          \
	do {                                                                \
		const char *g_ = (got), *w_ = (want);                       \
		if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) {      \
			check_pass++;                                       \
		} else {                                                    \
			check_fail++;                                       \
			printf("FAIL %s:%d: %s: got \"%s\", want \"%s\"\n",   \
			       __FILE__, __LINE__, what, g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null)");                         \
		}                                                           \
	} while (0)

/* check_done - the summary line; the exit status */
static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_pass, check_fail);
	return check_fail ? 1 : 0;
}

#endif
