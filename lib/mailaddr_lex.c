/*
 * NAME
 *	mailaddr_lex - the tokens of an RFC 5322 address list
 * SYNOPSIS
 *	#include "mailaddr_int.h"
 *
 *	int mailaddr_lex_next(struct mailaddr_lex *lx,
 *			      struct mailaddr_tok *t);
 * DESCRIPTION
 *	mailaddr_lex_next() cuts the first lx->len bytes of lx->s into
 *	words (atoms and dot-atoms), quoted strings, domain literals,
 *	comments and specials, skipping white space, for mailaddr_parse().
 *	Tokens point into the value; nothing is copied.  A '[' opens a
 *	domain literal only right after an '@' (comments aside); anywhere
 *	else it is part of a word.  An unclosed quoted string, comment or
 *	domain literal runs to the end of the value and is marked open.
 *	Comments nested deeper than COMMENT_DEPTH_MAX make the rest of the
 *	value a comment.  Each byte is looked at a bounded number of times.
 * DIAGNOSTICS
 *	None: all input gives a defined result.
 */
#include <string.h>

#include "mailaddr_int.h"

/* is_special - ends an atom */
static int is_special(int c)
{
	return is_ws(c) || (c != '\0' && strchr("()<>@,;:\"", c) != NULL);
}

/* lex_quoted - a quoted string or domain literal, up to close */
static void lex_quoted(struct mailaddr_lex *lx, struct mailaddr_tok *t,
		       char close)
{
	size_t i = lx->pos + 1;

	t->p = lx->s + i;
	while (i < lx->len && lx->s[i] != close) {
		if (lx->s[i] == '\\' && i + 1 < lx->len)
			i++;
		i++;
	}
	t->n = i - (lx->pos + 1);
	t->open = i >= lx->len;
	lx->pos = t->open ? i : i + 1;
}

/* lex_comment - a comment, nested at most COMMENT_DEPTH_MAX deep */
static void lex_comment(struct mailaddr_lex *lx, struct mailaddr_tok *t)
{
	size_t i = lx->pos + 1;
	int depth = 1;

	t->p = lx->s + i;
	while (i < lx->len && depth > 0) {
		if (lx->s[i] == '\\' && i + 1 < lx->len)
			i++;
		else if (lx->s[i] == '(')
			depth++;
		else if (lx->s[i] == ')')
			depth--;
		i++;
		if (depth > COMMENT_DEPTH_MAX)
			i = lx->len;
	}
	t->open = depth > 0;
	t->n = (size_t)(lx->s + i - t->p) - (t->open ? 0 : 1);
	lx->pos = i;
}

/* mailaddr_lex_next - the next token; 0 at the end of the value */
int mailaddr_lex_next(struct mailaddr_lex *lx, struct mailaddr_tok *t)
{
	size_t start = lx->pos;
	unsigned char c;

	while (lx->pos < lx->len && is_ws((unsigned char)lx->s[lx->pos]))
		lx->pos++;
	if (lx->pos >= lx->len)
		return 0;
	t->space = lx->pos > start;
	t->open = 0;
	t->p = lx->s + lx->pos;
	c = (unsigned char)lx->s[lx->pos];
	if (c == '"') {
		t->type = TOK_QUOTED;
		lex_quoted(lx, t, '"');
	} else if (c == '[' && lx->after_at) {
		t->type = TOK_DLIT;
		lex_quoted(lx, t, ']');
	} else if (c == '(') {
		t->type = TOK_COMMENT;
		lex_comment(lx, t);
	} else if (is_special(c)) {
		t->type = c;
		t->n = 1;
		lx->pos++;
	} else {
		t->type = TOK_WORD;
		while (lx->pos < lx->len &&
		       !is_special((unsigned char)lx->s[lx->pos]))
			lx->pos++;
		t->n = (size_t)(lx->s + lx->pos - t->p);
	}
	if (t->type != TOK_COMMENT)
		lx->after_at = t->type == '@';
	return 1;
}
