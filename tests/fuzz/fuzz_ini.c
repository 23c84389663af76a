/*
 * fuzz_ini.c: the INI parameters (the .ini files of configs/, --config,
 * config.ini), hb_params_parse_ini (harness/params.c, on libinih).
 *
 * The input is a file's text, as is (not NUL-terminated; NUL bytes
 * too).  What params.h promises, checked:
 *   - -1 with a message, p unchanged (the config it writes the same);
 *   - 0: the config p then writes (hb_params_write) reads back to the
 *     same parameters (`--config RUN/config.ini` repeats a run);
 *   - the text read from a file (hb_params_load, here a memfd) gives
 *     the same answer and the same parameters (inputs without NUL).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/params.h"
#include "tests/fuzz/fuzz.h"

static int memfd = -1;
static char memfd_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((memfd = memfd_create("fuzz_ini", 0)) < 0) {
		perror("fuzz_ini: memfd_create");
		exit(1);
	}
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

static bool
same(const char *a, size_t na, const char *b, size_t nb)
{
	return na == nb && memcmp(a, b, na) == 0;
}

/* from_file: hb_params_load of text (a memfd) into fresh parameters. */
static int
from_file(const uint8_t *text, size_t len, char **config, size_t *nconfig,
    char *err, size_t errlen)
{
	struct hb_params p;
	int rc;

	FUZZ_CHECK(ftruncate(memfd, 0) == 0 && pwrite(memfd, text, len, 0) ==
	    (ssize_t)len, "memfd: cannot write");
	hb_params_init(&p);
	rc = hb_params_load(&p, memfd_path, err, errlen);
	*config = fuzz_config_text(&p, nconfig);
	hb_params_free(&p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[1024], ferr[1024], *before, *after, *again, *fconfig;
	size_t nbefore, nafter, nagain, nfconfig;
	struct hb_params p, q;
	int rc, frc;

	hb_params_init(&p);
	before = fuzz_config_text(&p, &nbefore);
	err[0] = '\0';
	rc = hb_params_parse_ini(&p, "fuzz.ini", text, size, err,
	    sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
	after = fuzz_config_text(&p, &nafter);
	if (rc != 0) {
		FUZZ_CHECK(fuzz_errmsg_ok(err, sizeof(err)), "-1 without a "
		    "message");
		FUZZ_CHECK(same(before, nbefore, after, nafter), "-1 (%s), "
		    "but p changed", err);
	} else {
		/* The config written reads back as the same. */
		hb_params_init(&q);
		FUZZ_CHECK(hb_params_parse_ini(&q, "config.ini", after, nafter,
		    err, sizeof(err)) == 0, "the config written does not read "
		    "back: %s\n--- written\n%s", err, after);
		again = fuzz_config_text(&q, &nagain);
		FUZZ_CHECK(same(after, nafter, again, nagain), "the config "
		    "written reads back as another:\n--- written\n%s\n"
		    "--- read back\n%s", after, again);
		free(again);
		hb_params_free(&q);
	}

	/* The same text from a file: the same answer. */
	if (memchr(data, '\0', size) == NULL) {
		ferr[0] = '\0';
		frc = from_file(data, size, &fconfig, &nfconfig, ferr,
		    sizeof(ferr));
		FUZZ_CHECK(frc == rc, "from text %d (%s), from a file %d (%s)",
		    rc, rc != 0 ? err : "", frc, frc != 0 ? ferr : "");
		FUZZ_CHECK(same(after, nafter, fconfig, nfconfig), "from text "
		    "and from a file: other parameters");
		free(fconfig);
	}
	free(before);
	free(after);
	hb_params_free(&p);
	return 0;
}
