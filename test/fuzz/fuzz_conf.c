/*
 * NAME
 *	fuzz_conf - the outguard.conf parser
 * DESCRIPTION
 *	The input is a config file.  It is written to a memory file
 *	(memfd_create, made once) and read by conf_load() through
 *	/proc/self/fd/N, as the daemon reads its file; the disk is not
 *	touched.  Properties: on success every string setting is set and
 *	not empty, the enums are in range and err is untouched; on
 *	failure err is a terminated "PATH:LINE: ..." or "PATH: ...".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

/* conf_file - the memory file's path, or NULL when there is none */
static const char *conf_file(int *fd)
{
	static char path[64];
	static int mfd = -1;

	if (mfd < 0) {
		if ((mfd = memfd_create("outguard-fuzz.conf", 0)) < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	}
	*fd = mfd;
	return path;
}

/* check_loaded - what a successful load leaves */
static void check_loaded(const struct conf *c)
{
	FUZZ_CHECK(c->socket && *c->socket, "socket");
	FUZZ_CHECK(c->database && *c->database, "database");
	FUZZ_CHECK(!c->user_id || *c->user_id, "empty UserID");
	FUZZ_CHECK(!c->pid_file || *c->pid_file, "empty PidFile");
	FUZZ_CHECK(!c->notify_command || *c->notify_command, "empty command");
	FUZZ_CHECK(c->syslog == 0 || c->syslog == 1, "syslog %d", c->syslog);
	FUZZ_CHECK(c->on_store_error == CONF_STORE_TEMPFAIL ||
			   c->on_store_error == CONF_STORE_ACCEPT ||
			   c->on_store_error == CONF_STORE_ENFORCE,
		   "OnStoreError %d", c->on_store_error);
	FUZZ_CHECK(c->mta == CONF_MTA_POSTFIX || c->mta == CONF_MTA_SENDMAIL,
		   "MTA %d", c->mta);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[300];
	const char *path;
	struct conf c;
	int fd, rc;

	fuzz_init();
	if ((path = conf_file(&fd)) == NULL || ftruncate(fd, 0) < 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	conf_init(&c);
	memset(err, 'x', sizeof(err));
	rc = conf_load(&c, path, err, sizeof(err));
	if (rc == 0) {
		check_loaded(&c);
		FUZZ_CHECK(err[0] == 'x', "err written on success");
	} else {
		FUZZ_CHECK(rc == -1, "rc %d", rc);
		FUZZ_CHECK(fuzz_bounded(err, sizeof(err)), "err");
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 &&
				   err[strlen(path)] == ':',
			   "err \"%s\"", err);
	}
	conf_free(&c);
	return 0;
}
