/* replay_main.c: main() for the fuzz targets in builds without libFuzzer. Runs
 * LLVMFuzzerTestOneInput once on every file named and on every file directly inside every
 * directory named, so the committed corpus (crash reproducers included) runs as a ctest. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Runs the target on the whole of path, read into a buffer of exactly its size so that a
 * sanitizer build sees any read past the end. Returns 0, or -1 when path cannot be read. */
static int
replay_file(const char *path)
{
	FILE    *f = fopen(path, "rb");
	uint8_t *buf;
	long     size;
	int      rv = -1;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out_close;
	/* An empty input still gets a valid pointer, as libFuzzer gives one. */
	if ((buf = malloc(size > 0 ? (size_t) size : 1)) == NULL)
		goto out_close;
	if (fread(buf, 1, (size_t) size, f) == (size_t) size) {
		/* Named first, so the log of a crash says which input it was. */
		(void) printf("replay: %s (%ld bytes)\n", path, size);
		(void) fflush(stdout);
		(void) LLVMFuzzerTestOneInput(buf, (size_t) size);
		rv = 0;
	}
	free(buf);
out_close:
	if (rv != 0)
		(void) fprintf(stderr, "replay: cannot read %s\n", path);
	(void) fclose(f);
	return rv;
}

/* Replays the regular files directly inside dir, in name order; hidden files are skipped. */
static int
replay_dir(const char *dir, unsigned *n)
{
	struct dirent **names;
	int             count = scandir(dir, &names, NULL, alphasort);
	int             rv    = 0;

	if (count < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < count; i++) {
		char        path[4096];
		struct stat st;

		if (names[i]->d_name[0] != '.'
		    && snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name)
		        < (int) sizeof path
		    && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) != 0)
				rv = -1;
			else
				(*n)++;
		}
		free(names[i]);
	}
	free(names);
	return rv;
}

int
main(int argc, char **argv)
{
	unsigned n  = 0;
	int      rv = 0;

	if (argc < 2) {
		(void) fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rv = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &n) != 0)
				rv = 1;
		} else if (replay_file(argv[i]) != 0) {
			rv = 1;
		} else {
			n++;
		}
	}
	/* An empty corpus would make the ctest pass without testing anything. */
	if (n == 0) {
		(void) fprintf(stderr, "replay: no inputs found\n");
		rv = 1;
	}
	(void) printf("replay: %u inputs, %s\n", n, rv == 0 ? "all passed" : "errors");
	return rv;
}
