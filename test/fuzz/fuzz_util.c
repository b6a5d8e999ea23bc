/*
 * NAME
 *	fuzz_util - lines, words, numbers and policy rows for fuzz targets
 * DESCRIPTION
 *	See fuzz.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"

/* fuzz_fail - report a broken property and crash */
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt,
	       ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* fuzz_init - logging formats its lines but writes them nowhere */
void fuzz_init(void)
{
	static int done;

	if (!done) {
		log_open("outguard-fuzz", 0, LOG_MAIL, LOG_DEBUG, 0);
		done = 1;
	}
}

/* fuzz_bounded - a NUL within size bytes */
int fuzz_bounded(const char *buf, size_t size)
{
	return memchr(buf, '\0', size) != NULL;
}

/* fuzz_lines_init - copy data; -1 when out of memory */
int fuzz_lines_init(struct fuzz_lines *l, const uint8_t *data, size_t size)
{
	l->size = size;
	l->pos = 0;
	if ((l->buf = malloc(size + 1)) == NULL)
		return -1;
	if (size > 0)
		memcpy(l->buf, data, size);
	l->buf[size] = '\0';
	return 0;
}

/* fuzz_line - the next line, its newline replaced by a NUL */
char *fuzz_line(struct fuzz_lines *l)
{
	char *line, *nl;

	if (l->pos >= l->size)
		return NULL;
	line = l->buf + l->pos;
	nl = memchr(line, '\n', l->size - l->pos);
	if (nl == NULL) {
		l->pos = l->size;
	} else {
		*nl = '\0';
		l->pos = (size_t)(nl - l->buf) + 1;
	}
	return line;
}

/* fuzz_rest - what follows the last line returned */
const char *fuzz_rest(const struct fuzz_lines *l, size_t *len)
{
	*len = l->size - l->pos;
	return l->buf + l->pos;
}

/* fuzz_lines_free - release the copy */
void fuzz_lines_free(struct fuzz_lines *l)
{
	free(l->buf);
	l->buf = NULL;
}

/* fuzz_word - cut the next word off *s */
char *fuzz_word(char **s)
{
	char *w = *s, *e;

	while (*w == ' ')
		w++;
	for (e = w; *e && *e != ' '; e++)
		;
	*s = *e ? e + 1 : e;
	*e = '\0';
	return w;
}

/* fuzz_long - strtol, clamped */
long fuzz_long(const char *s, long lo, long hi)
{
	long n = strtol(s, NULL, 10);

	return n < lo ? lo : n > hi ? hi : n;
}

/* fuzz_class - find or add a class */
struct policy_class *fuzz_class(struct policy *p, const char *name)
{
	struct policy_class *c, *grown;

	if ((c = (struct policy_class *)policy_class_find(p, name)) != NULL)
		return c;
	grown = realloc(p->classes, (p->nclasses + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	p->classes = grown;
	c = &p->classes[p->nclasses];
	memset(c, 0, sizeof(*c));
	if ((c->name = strdup(name)) == NULL)
		return NULL;
	p->nclasses++;
	return c;
}

/* fuzz_limit_add - a limits row, checked as store_policy.c checks it */
int fuzz_limit_add(struct policy *p, struct policy_class *c, long id,
		   const char *metric, long window_s, long threshold,
		   const char *action)
{
	struct policy_limit l, *grown;

	l.id = id;
	l.baseline_factor = 0;
	l.window_s = window_s;
	l.threshold = threshold;
	if (policy_metric_parse(metric, &l.metric) < 0 ||
	    action_parse(action, &l.action) < 0 || threshold < 0)
		return -1;
	if (l.metric == METRIC_RCPT_PER_MSG)
		l.window_s = 0;
	else if (l.window_s <= 0)
		return -1;
	if (l.window_s > 0 && policy_class_window(c, l.window_s) < 0) {
		if (c->nwindows == POLICY_MAX_WINDOWS)
			return -1;
		c->windows[c->nwindows++] = l.window_s;
	}
	grown = realloc(c->limits, (c->nlimits + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->limits = grown;
	c->limits[c->nlimits++] = l;
	if (l.window_s > p->max_window)
		p->max_window = l.window_s;
	return 0;
}
