/*
 * fuzz.h: what the fuzz targets (tests/fuzz/fuzz_*.c) share.
 *
 * A target is a libFuzzer entry point, LLVMFuzzerTestOneInput, with an
 * optional LLVMFuzzerInitialize.  The same source builds two ways
 * (mk/fuzz.mk): with clang and -fsanitize=fuzzer (make fuzz), and with
 * the project's compiler and tests/fuzz/replay.c as main, which feeds
 * it the files of its seed corpus (tests/test_fuzz_corpus.sh, in make
 * test).  So a target uses nothing of libFuzzer's but the two entry
 * points.
 *
 * Besides the sanitizers, a target checks what the code under test
 * promises (its header's "=>" lines); a broken promise is reported with
 * FUZZ_CHECK, which says which one (naming the input) and aborts (a
 * crash, for libFuzzer: the input is saved as a reproducer).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/params.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* FUZZ_CHECK: cond holds, or say which promise broke and abort. */
#define	FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: broken promise: %s: ", __FILE__,\
		    __LINE__, #cond);					\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/*
 * fuzz_cstr: data[0..size) as a C string in its own allocation of
 * exactly size + 1 bytes (so that ASan sees a read past its end).
 * => NULL when data holds a NUL byte: no command line or file line
 *    read by fgets can carry one into the code under test.
 */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s;

	if (memchr(data, '\0', size) != NULL || (s = malloc(size + 1)) == NULL)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* fuzz_errmsg_ok: err is a message: NUL-terminated within errlen, not empty. */
static inline int
fuzz_errmsg_ok(const char *err, size_t errlen)
{
	return memchr(err, '\0', errlen) != NULL && err[0] != '\0';
}

/* fuzz_config_text: p as hb_params_write writes it, malloc'ed. */
static inline char *
fuzz_config_text(const struct hb_params *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FUZZ_CHECK(f != NULL, "open_memstream: out of memory");
	FUZZ_CHECK(hb_params_write(p, f) == 0, "hb_params_write failed");
	fclose(f);
	return buf;
}

#endif /* FUZZ_H */
