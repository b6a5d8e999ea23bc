/*
 * NAME
 *	ctl_out - outguardctl's tables, as aligned text or as JSON
 * SYNOPSIS
 *	#include "ctl.h"
 * DESCRIPTION
 *	A command fills a table row by row with text values (the store
 *	hands out text) and prints it once.  Text output computes each
 *	column's width from the data, right-aligns numbers and shows a
 *	missing value as "-".  JSON output is an array of objects, typed
 *	by column: numbers, booleans, null for a missing value.
 *
 *	Values come from mail (logins, queue ids, domains): they may hold
 *	control characters or bytes that are not UTF-8.  Text output
 *	shows such bytes as \xNN, so nothing reaches the terminal
 *	raw; JSON output escapes control characters and replaces invalid
 *	bytes with U+FFFD, so the result is always valid JSON.
 * DIAGNOSTICS
 *	ctl_table_new() and ctl_table_add() return NULL or -1 when out of
 *	memory; printing exits through ctl_nomem().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

struct ctl_table {
	struct ctl_col *cols;
	int ncols;
	char **cells; /* nrows * ncols, NULL for no value */
	int nrows, size;
};

/* utf8_len - length of the valid UTF-8 sequence at p, or 0 if invalid */
static int utf8_len(const unsigned char *p)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* text_clean - s made safe for a terminal (malloced), width in *w */
static char *text_clean(const char *s, int *w)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	int n;

	out = o = malloc(strlen(s) * 4 + 1);
	if (out == NULL)
		ctl_nomem();
	*w = 0;
	while (*p) {
		n = utf8_len(p);
		/* controls, DEL, C1 controls and bad bytes are escaped */
		if (n == 0 || *p < 0x20 || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] < 0xa0)) {
			o += sprintf(o, "\\x%02x", *p);
			*w += 4;
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
		*w += 1;
	}
	*o = 0;
	return out;
}

/* ctl_json_string - s as a JSON string (null for NULL), always valid */
void ctl_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	putc('"', f);
	for (; *p; p += n) {
		n = 1;
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (*p < 0x80)
			putc(*p, f);
		else if ((n = utf8_len(p)) == 0) {
			fputs("\\ufffd", f);
			n = 1;
		} else
			fwrite(p, 1, n, f);
	}
	putc('"', f);
}

/* is_number - s is a JSON number as the store writes them */
static int is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == 0;
}

/* cell_text - what text output shows for a value (static or v itself) */
static const char *cell_text(const struct ctl_col *c, const char *v, char *buf,
			     size_t len)
{
	if (v == NULL)
		return "-";
	if (c->type == CTL_BOOL)
		return strcmp(v, "0") == 0 ? "no" : "yes";
	if (c->type == CTL_TIME && is_number(v)) {
		ctl_format_time((time_t)strtoll(v, NULL, 10), buf, len);
		return buf;
	}
	return v;
}

/* cell_json - print one value as JSON, typed by its column */
static void cell_json(FILE *f, const struct ctl_col *c, const char *v)
{
	char buf[64];

	if (v == NULL)
		fputs("null", f);
	else if (c->type == CTL_NUM && is_number(v))
		fputs(v, f);
	else if (c->type == CTL_BOOL)
		fputs(strcmp(v, "0") == 0 ? "false" : "true", f);
	else if (c->type == CTL_TIME && is_number(v)) {
		ctl_format_time((time_t)strtoll(v, NULL, 10), buf, sizeof buf);
		ctl_json_string(f, buf);
	} else
		ctl_json_string(f, v);
}

/* ctl_table_new - a table with ncols columns (cols is copied) */
struct ctl_table *ctl_table_new(const struct ctl_col *cols, int ncols)
{
	struct ctl_table *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->cols = malloc(sizeof *cols * (size_t)ncols);
	if (t->cols == NULL) {
		free(t);
		return NULL;
	}
	memcpy(t->cols, cols, sizeof *cols * (size_t)ncols);
	t->ncols = ncols;
	return t;
}

/* ctl_table_add - append a row of ncols values (copied; NULL = none) */
int ctl_table_add(struct ctl_table *t, const char *const *values)
{
	char **cells;
	int i, size;

	if (t->nrows == t->size) {
		size = t->size ? t->size * 2 : 16;
		cells = realloc(t->cells,
				sizeof(char *) * (size_t)size * t->ncols);
		if (cells == NULL)
			return -1;
		t->cells = cells;
		t->size = size;
	}
	cells = t->cells + (size_t)t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		cells[i] = values[i] ? strdup(values[i]) : NULL;
		if (values[i] && cells[i] == NULL) {
			while (i-- > 0)
				free(cells[i]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

/* ctl_table_rows - how many rows the table has */
int ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows;
}

/* cell - the value of row r, column c */
static const char *cell(const struct ctl_table *t, int r, int c)
{
	return t->cells[(size_t)r * t->ncols + c];
}

/* ctl_table_json_fields - row as JSON members "k":v,... (no braces) */
void ctl_table_json_fields(const struct ctl_table *t, int row, FILE *f)
{
	int c, first = 1;

	for (c = 0; c < t->ncols; c++) {
		if (t->cols[c].flags & CTL_TEXT_ONLY)
			continue;
		if (!first)
			putc(',', f);
		first = 0;
		ctl_json_string(f, t->cols[c].key);
		putc(':', f);
		cell_json(f, &t->cols[c], cell(t, row, c));
	}
}

/* ctl_table_json - the table as a JSON array, an object per line */
void ctl_table_json(const struct ctl_table *t, FILE *f)
{
	int r;

	fputs("[", f);
	for (r = 0; r < t->nrows; r++) {
		fputs(r ? ",\n  {" : "\n  {", f);
		ctl_table_json_fields(t, r, f);
		putc('}', f);
	}
	fputs(t->nrows ? "\n]" : "]", f);
}

/* text_cell - print a value padded to width w (w < 0: no padding) */
static void text_cell(FILE *f, const struct ctl_col *c, const char *v, int w)
{
	char buf[64], *clean;
	int cw;

	clean = text_clean(cell_text(c, v, buf, sizeof buf), &cw);
	if (w < 0 || cw >= w)
		fputs(clean, f);
	else if (c->type == CTL_NUM)
		fprintf(f, "%*s%s", w - cw, "", clean);
	else
		fprintf(f, "%s%*s", clean, w - cw, "");
	free(clean);
}

/* text_widths - each column's width: heading or widest value */
static int *text_widths(const struct ctl_table *t)
{
	char buf[64], *clean;
	int *w, r, c, cw;

	w = calloc((size_t)t->ncols, sizeof *w);
	if (w == NULL)
		ctl_nomem();
	for (c = 0; c < t->ncols; c++)
		w[c] = (int)strlen(t->cols[c].title);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			clean = text_clean(cell_text(&t->cols[c], cell(t, r, c),
						     buf, sizeof buf),
					   &cw);
			free(clean);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	return w;
}

/* last_col - the last column text output shows (it is not padded) */
static int last_col(const struct ctl_table *t)
{
	int c;

	for (c = t->ncols - 1; c > 0; c--)
		if (!(t->cols[c].flags & CTL_JSON_ONLY))
			break;
	return c;
}

/* table_text - heading and rows, columns two spaces apart */
static void table_text(const struct ctl_table *t, FILE *f)
{
	static const struct ctl_col head = { "", "", CTL_STR, 0 };
	int *w = text_widths(t), last = last_col(t), r, c, sep;

	for (r = -1; r < t->nrows; r++) {
		sep = 0;
		for (c = 0; c < t->ncols; c++) {
			if (t->cols[c].flags & CTL_JSON_ONLY)
				continue;
			fputs(sep ? "  " : "", f);
			sep = 1;
			if (r < 0)
				text_cell(f,
					  t->cols[c].type == CTL_NUM
						  ? &t->cols[c]
						  : &head,
					  t->cols[c].title,
					  c == last ? -1 : w[c]);
			else
				text_cell(f, &t->cols[c], cell(t, r, c),
					  c == last ? -1 : w[c]);
		}
		putc('\n', f);
	}
	if (t->nrows == 0)
		fputs("(none)\n", f);
	free(w);
}

/* ctl_table_print - aligned text with a heading, or a JSON array */
void ctl_table_print(const struct ctl_table *t, int json, FILE *f)
{
	if (json) {
		ctl_table_json(t, f);
		putc('\n', f);
	} else
		table_text(t, f);
}

/* ctl_table_print_kv - row as "Title: value" lines, one per column */
void ctl_table_print_kv(const struct ctl_table *t, int row, FILE *f)
{
	int c, w = 0, n;

	for (c = 0; c < t->ncols; c++) {
		n = (int)strlen(t->cols[c].title);
		if (!(t->cols[c].flags & CTL_JSON_ONLY) && n > w)
			w = n;
	}
	for (c = 0; c < t->ncols; c++) {
		if (t->cols[c].flags & CTL_JSON_ONLY)
			continue;
		fprintf(f, "%s:%*s ", t->cols[c].title,
			w - (int)strlen(t->cols[c].title), "");
		text_cell(f, &t->cols[c], cell(t, row, c), -1);
		putc('\n', f);
	}
}

/* ctl_table_free - release the table; NULL is fine */
void ctl_table_free(struct ctl_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < (size_t)t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->cols);
	free(t);
}

/* ctl_table_make - ctl_table_new, or exit when out of memory */
struct ctl_table *ctl_table_make(const struct ctl_col *cols, int n)
{
	struct ctl_table *t = ctl_table_new(cols, n);

	if (t == NULL)
		ctl_nomem();
	return t;
}

/* ctl_table_push - ctl_table_add, or exit when out of memory */
void ctl_table_push(struct ctl_table *t, const char *const *values)
{
	if (ctl_table_add(t, values) < 0)
		ctl_nomem();
}

/* ctl_table_row - a store_row_fn: a store row straight into the table
 * arg, which has the same columns */
int ctl_table_row(void *arg, int n, const char *const *names,
		  const char *const *values)
{
	(void)names;
	(void)n;
	ctl_table_push(arg, values);
	return 0;
}

/* ctl_table_done - print or complain, free; the exit code */
int ctl_table_done(struct ctl *ctl, struct ctl_table *t, int rc,
		   const char *what)
{
	if (rc < 0)
		ctl_error("cannot read %s", what);
	else
		ctl_table_print(t, ctl->json, stdout);
	ctl_table_free(t);
	return rc < 0 ? CTL_ERROR : CTL_OK;
}
