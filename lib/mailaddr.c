/*
 * NAME
 *	mailaddr - addresses in header fields (From:, Reply-To:)
 * SYNOPSIS
 *	#include "mailaddr.h"
 *
 *	int mailaddr_parse(const char *value, struct mailaddr *out, int max);
 *
 *	size_t mailaddr_decode_words(const char *text, char *out,
 *				     size_t outlen);
 * DESCRIPTION
 *	mailaddr_parse() reads the first MAILADDR_INPUT_MAX bytes of an
 *	RFC 5322 address list in one pass.  A lexer (struct lex) cuts the
 *	value into words, quoted strings, domain literals, comments and
 *	specials; an entry (struct entry) collects the tokens of one
 *	address until a top-level ',' or ';'.  Every buffer is fixed and
 *	on the stack, and each input byte is looked at a bounded number
 *	of times, so the work is O(n) whatever the input.
 *
 *	What comes out of the junk real mail contains, deliberately:
 *	- An entry with neither display text nor an address is omitted:
 *	  empty list elements (",,"), "<>", a lone comment, an empty
 *	  group.  An entry with display text but no usable address is
 *	  kept with addr "" and domain "" ("John Smith", "Name <a,b>").
 *	- Groups: the group name is dropped, the members are entries.  A
 *	  ':' starts a group only outside <> and before any '@' or '<' of
 *	  the entry; otherwise it is ignored.  Outside a group, ';'
 *	  separates like ','.
 *	- Inside <> an obsolete route ("@a,@b:") or any "prefix:" (as in
 *	  "<mailto:a@b>") is dropped.  A ',' that is not part of a route,
 *	  a second '<' or a ';' inside <>, or a second <> in one entry
 *	  make the address unusable (addr "").  Words after the <> are
 *	  ignored.  An unclosed '<' runs to the end of the value; a stray
 *	  '>' or ')' is ignored.
 *	- Without <>, the address is the words joined to an '@': words
 *	  before it that are separated by white space (not by '.') are
 *	  display text ("John Doe john@x"), a space-separated word after
 *	  the domain ends the address and the rest of the entry is
 *	  ignored.  Text with no '@' is display text, not an address.
 *	- The display name is the text before '<', or for an address
 *	  without one the text before the address; failing that, the
 *	  first comment (the old "a@b (Full Name)" convention).  Quoted
 *	  strings are unquoted, escapes resolved, encoded-words decoded
 *	  (also inside quoted strings, as MUAs do), control characters
 *	  turned to spaces, white space folded and trimmed; other bytes,
 *	  8-bit or invalid UTF-8, are kept.  At most PHRASE_MAX bytes of
 *	  it are looked at before decoding.
 *	- addr keeps the case and quoting given; white space and comments
 *	  are removed.  domain is taken after the last '@' token, so a
 *	  truncated addr still has its full domain (up to its field size);
 *	  it is ASCII lower-cased without trailing dots, or for a domain
 *	  literal the text inside [] as given.
 *	- An unclosed quoted string, comment or domain literal runs to the
 *	  end of the value; an address containing one, a quoted string
 *	  after its '@', or a domain literal with more domain text, is
 *	  unusable.
 *	  Comments nested deeper than COMMENT_DEPTH_MAX make the rest of
 *	  the value a comment.
 *
 *	mailaddr_decode_words() decodes "=?charset?B|Q?text?=" wherever
 *	it occurs, converting with iconv(3); white space between two
 *	decoded words is dropped.  A word that does not parse, does not
 *	decode, names an unknown charset or is longer than WORD_MAX is
 *	copied as it is.  A UTF-8 sequence cut by truncation is dropped.
 *
 *	Both functions keep no state and are thread-safe; the only memory
 *	allocated is iconv_open()'s, freed before they return.
 * DIAGNOSTICS
 *	None: all input gives a defined result.  Slots of out past the
 *	returned count may have been written to.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "mailaddr.h"

#define COMMENT_DEPTH_MAX 64   /* deeper: the rest of the value is comment */
#define PHRASE_MAX	  1024 /* display text looked at before decoding */
#define WORD_MAX	  1024 /* longest encoded text of an encoded-word */
#define CHARSET_MAX	  64   /* longest charset name of an encoded-word */

#define FIELD_SIZE(f) sizeof(((struct mailaddr *)0)->f)

enum { TOK_WORD = 256, TOK_QUOTED, TOK_DLIT, TOK_COMMENT };

/* text - a bounded string being built, always NUL-terminated */
struct text {
	char *buf;
	size_t cap; /* size of buf, at least 1 */
	size_t len; /* bytes used; buf[len] == '\0' */
	int trunc;  /* something did not fit */
};

/* lex - the value being cut into tokens */
struct lex {
	const char *s;
	size_t len; /* bytes looked at */
	size_t pos;
	int after_at; /* last token was '@': '[' opens a domain literal */
};

/* tok - one token; p and n exclude quotes, brackets and parentheses */
struct tok {
	int type; /* TOK_*, or the special character itself */
	const char *p;
	size_t n;
	int space; /* white space before it */
	int open;  /* unclosed quoted string, literal or comment */
};

/* addrtext - an addr-spec being built, and its domain */
struct addrtext {
	char abuf[FIELD_SIZE(addr)];
	char dbuf[FIELD_SIZE(domain)];
	struct text addr, dom;
	int at;	     /* an '@' was seen */
	int literal; /* the domain is a domain literal */
	int bad;     /* unusable: unclosed token, malformed domain */
	int done;    /* ended; later words are ignored */
};

/* entry - the tokens of one address so far */
struct entry {
	char pbuf[PHRASE_MAX], cbuf[PHRASE_MAX];
	struct text phrase;    /* words outside <>, unquoted */
	struct text comment;   /* the first comment */
	struct addrtext spec;  /* the address outside <> */
	struct addrtext angle; /* the address inside <> */
	size_t spec_start;     /* phrase bytes before the bare address */
	int gap;	       /* a comment since the last word */
	int comments;	       /* a comment was seen */
	int angles;	       /* '<' seen outside <> */
	int in_angle;
	int comma; /* ',' inside <> not followed by ':' */
	int bad;   /* junk inside <> */
};

/* is_ws - folding white space */
static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* is_special - ends an atom */
static int is_special(int c)
{
	return is_ws(c) || (c != '\0' && strchr("()<>@,;:\"", c) != NULL);
}

/* text_init - an empty text over buf (cap >= 1) */
static void text_init(struct text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->trunc = 0;
	buf[0] = '\0';
}

/* text_putc - append a byte, or note that it did not fit */
static void text_putc(struct text *t, int c)
{
	if (t->len + 1 >= t->cap) {
		t->trunc = 1;
		return;
	}
	t->buf[t->len++] = (char)c;
	t->buf[t->len] = '\0';
}

/* text_put - append n bytes */
static void text_put(struct text *t, const char *p, size_t n)
{
	while (n-- > 0)
		text_putc(t, *p++);
}

/* text_space - append a space unless empty or already ending in one */
static void text_space(struct text *t)
{
	if (t->len > 0 && t->buf[t->len - 1] != ' ')
		text_putc(t, ' ');
}

/* text_unquote - append quoted-string or comment text: escapes
 * resolved, white space folded */
static void text_unquote(struct text *t, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			text_putc(t, p[++i]);
		else if (is_ws((unsigned char)p[i]))
			text_space(t);
		else
			text_putc(t, p[i]);
	}
}

/* utf8_trim - drop a UTF-8 sequence cut off at the end of t */
static void utf8_trim(struct text *t)
{
	size_t i = t->len, cont = 0, need;
	unsigned char c;

	while (i > 0 && cont < 3 &&
	       ((unsigned char)t->buf[i - 1] & 0xc0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0 || (c = (unsigned char)t->buf[i - 1]) < 0xc0)
		return;
	need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	if (cont < need) {
		t->len = i - 1;
		t->buf[t->len] = '\0';
	}
}

/* lex_quoted - a quoted string or domain literal, up to close */
static void lex_quoted(struct lex *lx, struct tok *t, char close)
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
static void lex_comment(struct lex *lx, struct tok *t)
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

/* lex_next - the next token; 0 at the end of the value */
static int lex_next(struct lex *lx, struct tok *t)
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

/* addr_reset - no address yet */
static void addr_reset(struct addrtext *a)
{
	text_init(&a->addr, a->abuf, sizeof(a->abuf));
	text_init(&a->dom, a->dbuf, sizeof(a->dbuf));
	a->at = a->literal = a->bad = a->done = 0;
}

/* addr_put - append to the address, and to the domain after an '@';
 * CR and LF always, other white space unless keep_sp, are dropped */
static void addr_put(struct addrtext *a, const char *p, size_t n, int keep_sp)
{
	for (; n > 0; p++, n--) {
		if (is_ws((unsigned char)*p) &&
		    !(keep_sp && (*p == ' ' || *p == '\t')))
			continue;
		text_putc(&a->addr, *p);
		if (a->at)
			text_putc(&a->dom, *p);
	}
}

/* addr_add - a token of an addr-spec; comments are dropped */
static void addr_add(struct addrtext *a, const struct tok *t)
{
	if (a->done)
		return;
	a->bad |= t->open;
	switch (t->type) {
	case '@':
		text_putc(&a->addr, '@');
		text_init(&a->dom, a->dbuf, sizeof(a->dbuf));
		a->at = 1;
		a->literal = 0;
		break;
	case TOK_QUOTED:
		a->bad |= a->at; /* a domain is never quoted */
		text_putc(&a->addr, '"');
		addr_put(a, t->p, t->n, 1);
		text_putc(&a->addr, '"');
		break;
	case TOK_DLIT:
		a->bad |= a->dom.len > 0 || a->literal;
		text_putc(&a->addr, '[');
		addr_put(a, t->p, t->n, 0);
		text_putc(&a->addr, ']');
		a->literal = 1;
		break;
	case TOK_WORD:
		a->bad |= a->literal; /* a literal is the whole domain */
		addr_put(a, t->p, t->n, 0);
		break;
	}
}

/* addr_domain - the domain into out: names folded, no trailing dots */
static void addr_domain(const struct addrtext *a, char *out, size_t cap)
{
	size_t n = a->dom.len, i;

	while (!a->literal && n > 0 && a->dbuf[n - 1] == '.')
		n--;
	for (i = 0; i < n && i + 1 < cap; i++) {
		out[i] = a->dbuf[i];
		if (!a->literal && out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	}
	out[i] = '\0';
}

/* entry_reset - start a new entry */
static void entry_reset(struct entry *e)
{
	text_init(&e->phrase, e->pbuf, sizeof(e->pbuf));
	text_init(&e->comment, e->cbuf, sizeof(e->cbuf));
	addr_reset(&e->spec);
	addr_reset(&e->angle);
	e->spec_start = 0;
	e->gap = e->comments = e->angles = e->in_angle = 0;
	e->comma = e->bad = 0;
}

/* entry_spec - a word outside <>: part of the bare address, display
 * text before it (the address restarts), or junk after it */
static void entry_spec(struct entry *e, const struct tok *t, int gap,
		       size_t before)
{
	struct addrtext *a = &e->spec;
	char last = a->addr.len ? a->abuf[a->addr.len - 1] : '.';
	int joined = !gap || t->type == '@' || last == '.' || last == '@' ||
		     (t->type == TOK_WORD && t->p[0] == '.');

	if (!joined && !a->at) {
		addr_reset(a);
		e->spec_start = before;
	} else if (!joined) {
		a->done = 1;
	}
	addr_add(a, t);
}

/* entry_word - a word, quoted string, literal or '@' outside <> */
static void entry_word(struct entry *e, const struct tok *t)
{
	size_t before = e->phrase.len;
	int gap = t->space || e->gap;

	if (e->angles > 0)
		return;
	if (gap)
		text_space(&e->phrase);
	if (t->type == TOK_QUOTED) {
		text_unquote(&e->phrase, t->p, t->n);
	} else if (t->type == TOK_DLIT) {
		text_putc(&e->phrase, '[');
		text_put(&e->phrase, t->p, t->n);
		if (!t->open)
			text_putc(&e->phrase, ']');
	} else {
		text_put(&e->phrase, t->p, t->n);
	}
	e->gap = 0;
	entry_spec(e, t, gap, before);
}

/* entry_top - a token outside <> other than ',', ';' and ':' */
static void entry_top(struct entry *e, const struct tok *t)
{
	switch (t->type) {
	case TOK_COMMENT:
		if (!e->comments)
			text_unquote(&e->comment, t->p, t->n);
		e->comments = 1;
		e->gap = 1;
		break;
	case '<':
		e->angles++;
		e->in_angle = 1;
		break;
	case '>':
	case ')':
		break;
	default:
		entry_word(e, t);
	}
}

/* entry_angle - a token inside <>: the address, after any route */
static void entry_angle(struct entry *e, const struct tok *t)
{
	switch (t->type) {
	case '>':
		e->in_angle = 0;
		break;
	case ':':
		addr_reset(&e->angle);
		e->comma = 0;
		break;
	case ',':
		e->comma = 1;
		break;
	case '<':
	case ';':
		e->bad = 1;
		break;
	case TOK_COMMENT:
	case ')':
		break;
	default:
		addr_add(&e->angle, t);
	}
}

/* display_clean - controls to spaces, white space folded and trimmed */
static void display_clean(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;
	int space = 0;

	for (; *r; r++) {
		if (*r <= ' ' || *r == 0x7f) {
			space = w > (unsigned char *)s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

/* entry_end - store the entry in out unless it is empty, and reset it;
 * 1 if stored */
static int entry_end(struct entry *e, struct mailaddr *out)
{
	const struct addrtext *a = NULL;
	const struct text *disp = &e->phrase;

	if (e->angles > 0) {
		if (e->angles == 1 && !e->bad && !e->comma && !e->angle.bad)
			a = &e->angle;
		if (e->phrase.len == 0)
			disp = &e->comment;
	} else if (e->spec.at && !e->spec.bad) {
		a = &e->spec;
		if (e->spec_start > 0)
			e->pbuf[e->spec_start] = '\0';
		else
			disp = &e->comment;
	}
	if (a != NULL && a->addr.len == 0)
		a = NULL;
	if (a == NULL && disp->len == 0) {
		entry_reset(e);
		return 0;
	}
	mailaddr_decode_words(disp->buf, out->display, sizeof(out->display));
	display_clean(out->display);
	out->addr[0] = out->domain[0] = '\0';
	if (a != NULL) {
		memcpy(out->addr, a->abuf, a->addr.len + 1);
		addr_domain(a, out->domain, sizeof(out->domain));
	}
	entry_reset(e);
	return a != NULL || out->display[0] != '\0';
}

/* mailaddr_parse - the addresses of a header value */
int mailaddr_parse(const char *value, struct mailaddr *out, int max)
{
	struct lex lx = {value, 0, 0, 0};
	struct entry e;
	struct tok t;
	int n = 0, group = 0;

	if (value == NULL || out == NULL || max <= 0)
		return 0;
	if (max > MAILADDR_MAX)
		max = MAILADDR_MAX;
	lx.len = strnlen(value, MAILADDR_INPUT_MAX);
	entry_reset(&e);
	while (n < max && lex_next(&lx, &t)) {
		if (e.in_angle) {
			entry_angle(&e, &t);
		} else if (t.type == ',' || t.type == ';') {
			n += entry_end(&e, &out[n]);
			group = group && t.type == ',';
		} else if (t.type == ':') {
			if (!group && e.angles == 0 && !e.spec.at) {
				entry_reset(&e);
				group = 1;
			}
		} else {
			entry_top(&e, &t);
		}
	}
	if (n < max)
		n += entry_end(&e, &out[n]);
	return n;
}

/* word - the parts of an encoded-word */
struct word {
	const char *cs; /* charset, perhaps with "*language" */
	size_t csn;
	int enc;	 /* 'B' or 'Q' */
	const char *txt; /* encoded text */
	size_t txtn;
};

/* is_token - a charset character of RFC 2047 */
static int is_token(int c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\"/[]?.=", c) == NULL;
}

/* word_parse - the encoded-word at p, looked at for a bounded length;
 * its length, or 0 if there is none */
static size_t word_parse(const char *p, struct word *w)
{
	const char *q = p + 2;

	if (p[0] != '=' || p[1] != '?')
		return 0;
	w->cs = q;
	while (is_token((unsigned char)*q) && q - w->cs <= CHARSET_MAX)
		q++;
	w->csn = (size_t)(q - w->cs);
	if (w->csn == 0 || w->csn > CHARSET_MAX || q[0] != '?')
		return 0;
	w->enc = q[1] & ~0x20;
	if ((w->enc != 'B' && w->enc != 'Q') || q[2] != '?')
		return 0;
	w->txt = q += 3;
	while (*q > ' ' && *q < 0x7f && *q != '?' && q - w->txt <= WORD_MAX)
		q++;
	w->txtn = (size_t)(q - w->txt);
	if (w->txtn > WORD_MAX || q[0] != '?' || q[1] != '=')
		return 0;
	return (size_t)(q + 2 - p);
}

/* hex_val - value of a hex digit, or -1 */
static int hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c &= ~0x20;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* b64_val - value of a base64 digit, or -1 */
static int b64_val(int c)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *d = c ? strchr(digits, c) : NULL;

	return d ? (int)(d - digits) : -1;
}

/* b64_decode - base64 to bytes (buf holds n); the length, or -1 */
static long b64_decode(const char *s, size_t n, char *buf)
{
	unsigned acc = 0;
	size_t i, len = 0;
	int bits = 0, v;

	for (i = 0; i < n && s[i] != '='; i++) {
		if ((v = b64_val((unsigned char)s[i])) < 0)
			return -1;
		acc = ((acc << 6) | (unsigned)v) & 0xffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf[len++] = (char)(acc >> bits);
		}
	}
	for (; i < n; i++)
		if (s[i] != '=')
			return -1;
	return bits == 6 ? -1 : (long)len;
}

/* q_decode - the Q encoding to bytes (buf holds n); the length, or -1 */
static long q_decode(const char *s, size_t n, char *buf)
{
	size_t i, len = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			buf[len++] = ' ';
		} else if (s[i] != '=') {
			buf[len++] = s[i];
		} else if (i + 2 < n &&
			   (hi = hex_val((unsigned char)s[i + 1])) >= 0 &&
			   (lo = hex_val((unsigned char)s[i + 2])) >= 0) {
			buf[len++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			return -1;
		}
	}
	return (long)len;
}

/* word_convert - n bytes in charset cs appended to o as UTF-8; 0, or
 * -1 with o unchanged if the charset is unknown or the bytes bad */
static int word_convert(const struct word *w, char *b, size_t n, struct text *o)
{
	char cs[CHARSET_MAX + 1], *op;
	size_t csn = strcspn(w->cs, "*?"), oleft, r;
	iconv_t cd;
	int bad;

	memcpy(cs, w->cs, csn);
	cs[csn] = '\0';
	if (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0) {
		text_put(o, b, n);
		return 0;
	}
	if (csn == 0 || (cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return -1;
	op = o->buf + o->len;
	oleft = o->cap - o->len - 1;
	r = iconv(cd, &b, &n, &op, &oleft);
	if (r != (size_t)-1)
		r = iconv(cd, NULL, NULL, &op, &oleft);
	bad = r == (size_t)-1 && errno != E2BIG;
	iconv_close(cd);
	if (bad) {
		o->buf[o->len] = '\0';
		return -1;
	}
	o->trunc |= r == (size_t)-1;
	o->len = (size_t)(op - o->buf);
	o->buf[o->len] = '\0';
	return 0;
}

/* word_decode - decode the encoded-word at p onto o; the bytes of p
 * used, or 0 (o unchanged) if there is no decodable word there or it
 * decodes to a NUL */
static size_t word_decode(const char *p, struct text *o)
{
	char buf[WORD_MAX];
	struct text was = *o;
	struct word w;
	size_t used = word_parse(p, &w);
	long n;

	if (used == 0)
		return 0;
	if (w.enc == 'B')
		n = b64_decode(w.txt, w.txtn, buf);
	else
		n = q_decode(w.txt, w.txtn, buf);
	if (n < 0 || word_convert(&w, buf, (size_t)n, o) < 0)
		return 0;
	if (memchr(o->buf + was.len, '\0', o->len - was.len) != NULL) {
		*o = was;
		o->buf[o->len] = '\0';
		return 0;
	}
	return used;
}

/* mailaddr_decode_words - text with RFC 2047 encoded-words decoded */
size_t mailaddr_decode_words(const char *text, char *out, size_t outlen)
{
	const char *p = text ? text : "", *q;
	struct text o;
	size_t n;

	if (out == NULL || outlen == 0)
		return 0;
	text_init(&o, out, outlen);
	while (*p && !o.trunc) {
		if ((n = word_decode(p, &o)) == 0) {
			text_putc(&o, *p++);
			continue;
		}
		for (p += n;; p = q + n) {
			for (q = p; is_ws((unsigned char)*q); q++)
				;
			if (q == p || (n = word_decode(q, &o)) == 0)
				break;
		}
	}
	if (o.trunc)
		utf8_trim(&o);
	return o.len;
}
