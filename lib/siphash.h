/*
 * NAME
 *	siphash - SipHash-2-4, a keyed 64-bit hash
 * SYNOPSIS
 *	#include "siphash.h"
 *
 *	uint64_t h = siphash24(key, data, len);
 * DESCRIPTION
 *	SipHash-2-4 (Aumasson and Bernstein) with a 16-byte key: without
 *	the key nobody can make two inputs collide on purpose, which a
 *	plain FNV or CRC hash of a recipient would let an outsider do.
 *	The contact memory (metric new_rcpt) keeps recipients as this hash
 *	of their normal form, under the key in settings.contact_key.
 */
#ifndef OUTGUARD_SIPHASH_H
#define OUTGUARD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* siphash24 - the SipHash-2-4 of len bytes at data under key[16] */
uint64_t siphash24(const unsigned char key[16], const void *data, size_t len);

/*
 * siphash_key_parse - 32 hex digits to key[16]; 0, or -1 when text is
 * not that (key is then zeroed)
 */
int siphash_key_parse(const char *text, unsigned char key[16]);

#endif
