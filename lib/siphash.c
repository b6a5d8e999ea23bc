/*
 * NAME
 *	siphash - SipHash-2-4
 * DESCRIPTION
 *	See siphash.h.  The reference algorithm, little-endian words read
 *	byte by byte so it runs the same on any host; checked against the
 *	reference paper's test vector in test/unit/test_contacts.c.
 */
#include <string.h>

#include "siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* le64 - eight bytes, little-endian */
static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* round - one SipRound */
static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* siphash24 - SipHash-2-4 of data under key */
uint64_t siphash24(const unsigned char key[16], const void *data, size_t len)
{
	const unsigned char *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8), m, b;
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL,
			  k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL,
			  k1 ^ 0x7465646279746573ULL };
	size_t i, left = len & 7;
	unsigned char tail[8] = { 0 };

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(in + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	memcpy(tail, in + i, left);
	b = ((uint64_t)len << 56) | le64(tail);
	v[3] ^= b;
	sip_round(v);
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* hexval - one hex digit's value, or -1 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* siphash_key_parse - 32 hex digits to a key */
int siphash_key_parse(const char *text, unsigned char key[16])
{
	int i, hi, lo;

	memset(key, 0, 16);
	if (text == NULL || strlen(text) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		hi = hexval(text[2 * i]);
		lo = hexval(text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			memset(key, 0, 16);
			return -1;
		}
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
