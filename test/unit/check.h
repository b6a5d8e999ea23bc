/*
 * NAME
 *	check - the smallest test harness: got X, want Y
 * SYNOPSIS
 *	#include "check.h"
 *	CHECK_INT("what", got, want); CHECK_STR(...); CHECK(cond, "what");
 *	return check_done();	(or check_finish(dir) after check_tmpdir)
 * DESCRIPTION
 *	Each check prints a line only when it fails; check_done() prints
 *	"N passed, N failed" and returns the exit status.
 */
#ifndef OUTGUARD_CHECK_H
#define OUTGUARD_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_pass, check_fail;

#define CHECK(cond, what)                                                      \
	do {                                                                   \
		if (cond) {                                                    \
			check_pass++;                                          \
		} else {                                                       \
			check_fail++;                                          \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, what);  \
		}                                                              \
	} while (0)

#define CHECK_INT(what, got, want)                                             \
	do {                                                                   \
		long long g_ = (got), w_ = (want);                             \
		if (g_ == w_) {                                                \
			check_pass++;                                          \
		} else {                                                       \
			check_fail++;                                          \
			printf("FAIL %s:%d: %s: got %lld, want %lld\n",        \
			       __FILE__, __LINE__, what, g_, w_);              \
		}                                                              \
	} while (0)

#define CHECK_STR(what, got, want)                                             \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) {         \
			check_pass++;                                          \
		} else {                                                       \
			check_fail++;                                          \
			printf("FAIL %s:%d: %s: got \"%s\", want \"%s\"\n",    \
			       __FILE__, __LINE__, what, g_ ? g_ : "(null)",   \
			       w_ ? w_ : "(null)");                            \
		}                                                              \
	} while (0)

/* check_done - the summary line; the exit status */
static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_pass, check_fail);
	return check_fail ? 1 : 0;
}

/* check_tmpdir - make /tmp/og-NAME-XXXXXX in dir (64 bytes); 0 or -1 */
static inline int check_tmpdir(char *dir, const char *name)
{
	snprintf(dir, 64, "/tmp/og-%s-XXXXXX", name);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* check_finish - remove dir (kept when a check failed), then check_done */
static inline int check_finish(const char *dir)
{
	char cmd[128];

	if (check_fail == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("could not remove %s\n", dir);
	}
	return check_done();
}

/* check_read_file - a whole file, NUL-terminated and malloc'd, or NULL */
static inline char *check_read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = calloc(1, n + 1)) != NULL &&
	    fread(buf, 1, n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

#endif
