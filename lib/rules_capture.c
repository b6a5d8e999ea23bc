/*
 * NAME
 *	rules_capture - one PCRE2 pattern that extracts a value
 * SYNOPSIS
 *	#include "rules.h"
 * DESCRIPTION
 *	The webmail_sources patterns name the login in a header: the named
 *	group "login" if the pattern has one, else group 1, else the whole
 *	match.  Compiled once per policy load (case-insensitive, JIT when
 *	available) and read-only afterwards; each run makes its own match
 *	data, under the same match, depth and heap limits as the rules.
 *	Texts are cut at RULES_CAPTURE_MAX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

struct rules_capture {
	pcre2_code *code;
	pcre2_match_context *mc;
	int group; /* the group that holds the value, 0: all */
};

/* rules_capture_new - compile pattern; NULL with the cause in err */
struct rules_capture *rules_capture_new(const char *pattern, char *err,
					size_t errlen)
{
	uint32_t opts = PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C, flag = 0;
	struct rules_capture *rc;
	PCRE2_UCHAR msg[120];
	PCRE2_SIZE off;
	int code, n;

	if (pattern == NULL || *pattern == '\0') {
		snprintf(err, errlen, "empty pattern");
		return NULL;
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pcre2_config(PCRE2_CONFIG_UNICODE, &flag) == 0 && flag)
		opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	rc->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				 opts, &code, &off, NULL);
	if (rc->code == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(err, errlen, "%s at offset %zu", (char *)msg,
			 (size_t)off);
		free(rc);
		return NULL;
	}
	if ((rc->mc = pcre2_match_context_create(NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rules_capture_free(rc);
		return NULL;
	}
	pcre2_set_match_limit(rc->mc, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(rc->mc, RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(rc->mc, RULES_HEAP_LIMIT_KB);
	n = pcre2_substring_number_from_name(rc->code, (PCRE2_SPTR) "login");
	if (n > 0)
		rc->group = n;
	else if (pcre2_pattern_info(rc->code, PCRE2_INFO_CAPTURECOUNT, &flag) ==
			 0 &&
		 flag > 0)
		rc->group = 1;
	if (pcre2_config(PCRE2_CONFIG_JIT, &flag) == 0 && flag)
		(void)pcre2_jit_compile(rc->code, PCRE2_JIT_COMPLETE);
	return rc;
}

/* rules_capture_run - the captured value of text into out */
int rules_capture_run(const struct rules_capture *rc, const char *text,
		      size_t len, char *out, size_t outlen)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	size_t n;
	int m;

	out[0] = '\0';
	if (len > RULES_CAPTURE_MAX)
		len = RULES_CAPTURE_MAX;
	if ((md = pcre2_match_data_create_from_pattern(rc->code, NULL)) == NULL)
		return -1;
	m = pcre2_match(rc->code, (PCRE2_SPTR)text, len, 0, 0, md, rc->mc);
	if (m < 0) {
		pcre2_match_data_free(md);
		return m == PCRE2_ERROR_NOMATCH ? 0 : -1;
	}
	ov = pcre2_get_ovector_pointer(md);
	if (m <= rc->group || ov[2 * rc->group] == PCRE2_UNSET) {
		pcre2_match_data_free(md);
		return 0; /* the group took no part in the match */
	}
	n = ov[2 * rc->group + 1] - ov[2 * rc->group];
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, text + ov[2 * rc->group], n);
	out[n] = '\0';
	pcre2_match_data_free(md);
	return n > 0;
}

/* rules_capture_free - release; NULL is fine */
void rules_capture_free(struct rules_capture *rc)
{
	if (rc == NULL)
		return;
	pcre2_match_context_free(rc->mc);
	pcre2_code_free(rc->code);
	free(rc);
}
