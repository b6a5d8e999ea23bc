/*
 * NAME
 *	mailaddr_int - what mailaddr*.c share; not for other modules
 * SYNOPSIS
 *	#include "mailaddr_int.h"
 * DESCRIPTION
 *	struct mailaddr_text is a bounded string, always NUL-terminated,
 *	that the address parser (mailaddr.c) and the encoded-word decoder
 *	(mailaddr_words.c) build their output in; the helpers that append
 *	to it are static inline, so each file has its own copy.
 *
 *	The lexer (mailaddr_lex.c) cuts a header value into struct
 *	mailaddr_tok tokens for the parser.
 */
#ifndef OUTGUARD_MAILADDR_INT_H
#define OUTGUARD_MAILADDR_INT_H

#include <stddef.h>

#include "mailaddr.h"

#define COMMENT_DEPTH_MAX 64 /* deeper: the rest of the value is comment */

enum { TOK_WORD = 256, TOK_QUOTED, TOK_DLIT, TOK_COMMENT };

/* mailaddr_text - a bounded string being built, always NUL-terminated */
struct mailaddr_text {
	char *buf;
	size_t cap; /* size of buf, at least 1 */
	size_t len; /* bytes used; buf[len] == '\0' */
	int trunc;  /* something did not fit */
};

/* mailaddr_lex - the value being cut into tokens */
struct mailaddr_lex {
	const char *s;
	size_t len; /* bytes looked at */
	size_t pos;
	int after_at; /* last token was '@': '[' opens a domain literal */
};

/* mailaddr_tok - one token; p and n exclude quotes, brackets and
 * parentheses */
struct mailaddr_tok {
	int type; /* TOK_*, or the special character itself */
	const char *p;
	size_t n;
	int space; /* white space before it */
	int open;  /* unclosed quoted string, literal or comment */
};

/* is_ws - folding white space */
static inline int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* text_init - an empty text over buf (cap >= 1) */
static inline void text_init(struct mailaddr_text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->trunc = 0;
	buf[0] = '\0';
}

/* text_putc - append a byte, or note that it did not fit */
static inline void text_putc(struct mailaddr_text *t, int c)
{
	if (t->len + 1 >= t->cap) {
		t->trunc = 1;
		return;
	}
	t->buf[t->len++] = (char)c;
	t->buf[t->len] = '\0';
}

/* text_put - append n bytes */
static inline void text_put(struct mailaddr_text *t, const char *p, size_t n)
{
	while (n-- > 0)
		text_putc(t, *p++);
}

/*
 * mailaddr_lex_next - the next token of lx into t; 0 at the end of the
 * value (lx->len bytes), 1 otherwise.  t points into lx->s.
 */
int mailaddr_lex_next(struct mailaddr_lex *lx, struct mailaddr_tok *t);

#endif
