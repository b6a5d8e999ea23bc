/*
 * NAME
 *	mailaddr - addresses in header fields (From:, Reply-To:)
 * SYNOPSIS
 *	#include "mailaddr.h"
 *
 *	int mailaddr_parse(const char *value, struct mailaddr *out, int max);
 * DESCRIPTION
 *	mailaddr_parse() reads the first MAILADDR_INPUT_MAX bytes of an
 *	RFC 5322 address list in one pass.  The lexer (mailaddr_lex.c)
 *	cuts the value into words, quoted strings, domain literals,
 *	comments and specials; an entry (struct entry) collects the
 *	tokens of one address until a top-level ',' or ';'.  Every buffer
 *	is fixed and on the stack, and each input byte is looked at a
 *	bounded number of times, so the work is O(n) whatever the input.
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
 *	  (also inside quoted strings, as MUAs do: mailaddr_words.c),
 *	  control characters turned to spaces, white space folded and
 *	  trimmed; other bytes, 8-bit or invalid UTF-8, are kept.  At most
 *	  PHRASE_MAX bytes of it are looked at before decoding.
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
 *	mailaddr_parse() keeps no state and is thread-safe; it allocates
 *	nothing but iconv_open()'s memory for decoding, freed before it
 *	returns.
 * DIAGNOSTICS
 *	None: all input gives a defined result.  Slots of out past the
 *	returned count may have been written to.
 */
#include <string.h>

#include "mailaddr_int.h"

#define PHRASE_MAX 1024 /* display text looked at before decoding */

#define FIELD_SIZE(f) sizeof(((struct mailaddr *)0)->f)

/* addrtext - an addr-spec being built, and its domain */
struct addrtext {
	char abuf[FIELD_SIZE(addr)];
	char dbuf[FIELD_SIZE(domain)];
	struct mailaddr_text addr, dom;
	int at;	     /* an '@' was seen */
	int literal; /* the domain is a domain literal */
	int bad;     /* unusable: unclosed token, malformed domain */
	int done;    /* ended; later words are ignored */
};

/* entry - the tokens of one address so far */
struct entry {
	char pbuf[PHRASE_MAX], cbuf[PHRASE_MAX];
	struct mailaddr_text phrase;  /* words outside <>, unquoted */
	struct mailaddr_text comment; /* the first comment */
	struct addrtext spec;	      /* the address outside <> */
	struct addrtext angle;	      /* the address inside <> */
	size_t spec_start;	      /* phrase bytes before the bare address */
	int gap;		      /* a comment since the last word */
	int comments;		      /* a comment was seen */
	int angles;		      /* '<' seen outside <> */
	int in_angle;
	int comma; /* ',' inside <> not followed by ':' */
	int bad;   /* junk inside <> */
};

/* text_space - append a space unless empty or already ending in one */
static void text_space(struct mailaddr_text *t)
{
	if (t->len > 0 && t->buf[t->len - 1] != ' ')
		text_putc(t, ' ');
}

/* text_unquote - append quoted-string or comment text: escapes
 * resolved, white space folded */
static void text_unquote(struct mailaddr_text *t, const char *p, size_t n)
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
static void addr_add(struct addrtext *a, const struct mailaddr_tok *t)
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
static void entry_spec(struct entry *e, const struct mailaddr_tok *t, int gap,
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
static void entry_word(struct entry *e, const struct mailaddr_tok *t)
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
static void entry_top(struct entry *e, const struct mailaddr_tok *t)
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
static void entry_angle(struct entry *e, const struct mailaddr_tok *t)
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
	const struct mailaddr_text *disp = &e->phrase;

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
	struct mailaddr_lex lx = { value, 0, 0, 0 };
	struct entry e;
	struct mailaddr_tok t;
	int n = 0, group = 0;

	if (value == NULL || out == NULL || max <= 0)
		return 0;
	if (max > MAILADDR_MAX)
		max = MAILADDR_MAX;
	lx.len = strnlen(value, MAILADDR_INPUT_MAX);
	entry_reset(&e);
	while (n < max && mailaddr_lex_next(&lx, &t)) {
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

/* mailaddr_first - the first entry with an address; 1 or 0 */
int mailaddr_first(const char *value, struct mailaddr *out)
{
	struct mailaddr list[8];
	int i, n = mailaddr_parse(value, list, 8);

	for (i = 0; i < n; i++) {
		if (list[i].addr[0]) {
			*out = list[i];
			return 1;
		}
	}
	return 0;
}
