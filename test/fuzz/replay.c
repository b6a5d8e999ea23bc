/*
 * NAME
 *	replay - run a fuzz target on its seed corpus, without libFuzzer
 * SYNOPSIS
 *	fuzz_TARGET DIR|FILE...
 * DESCRIPTION
 *	Linked with one target's LLVMFuzzerTestOneInput() in every build
 *	that is not a libFuzzer build, so the committed corpora run as
 *	ordinary ctest tests.  Each FILE, and each regular file of each
 *	DIR (in name order, dot files skipped), is read into a buffer of
 *	exactly its size, so that a sanitizer build sees any read past
 *	the end, and given to the target once.  Its name is printed
 *	first, so that a crash names the input.
 * DIAGNOSTICS
 *	"N inputs from DIR" per argument.  A target that finds a broken
 *	property aborts.  Exit status 1 when a file cannot be read or no
 *	input at all was found, else 0.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* run_file - one input; 0, or -1 when it cannot be read */
static int run_file(const char *path)
{
	unsigned char *buf;
	FILE *fp;
	long size;
	int rc = -1;

	fprintf(stderr, "%s\n", path);
	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc(size > 0 ? (size_t)size : 1)) != NULL) {
		if (fread(buf, 1, (size_t)size, fp) == (size_t)size) {
			LLVMFuzzerTestOneInput(buf, (size_t)size);
			rc = 0;
		}
		free(buf);
	}
	if (rc < 0)
		fprintf(stderr, "%s: cannot read\n", path);
	fclose(fp);
	return rc;
}

/* visible - scandir filter: no dot files */
static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* run_dir - every regular file of dir; the count, or -1 on error */
static int run_dir(const char *dir)
{
	struct dirent **names;
	struct stat st;
	char path[4096];
	int i, n, count = 0, rc = 0;

	if ((n = scandir(dir, &names, visible, alphasort)) < 0) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				rc = -1;
			count++;
		}
		free(names[i]);
	}
	free(names);
	return rc < 0 ? -1 : count;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, n, total = 0, status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			n = run_dir(argv[i]);
		else
			n = run_file(argv[i]) < 0 ? -1 : 1;
		if (n < 0) {
			status = 1;
			continue;
		}
		printf("%d inputs from %s\n", n, argv[i]);
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "%s: no inputs\n", argv[0]);
		status = 1;
	}
	return status;
}
