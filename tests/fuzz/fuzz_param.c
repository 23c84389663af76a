/*
 * fuzz_param.c: one parameter from the command line, hb_param_set
 * (harness/params.c): every key of hb_param_table, with its value
 * parser (names, booleans, numbers, durations, lists of counts, the
 * backoff spec seed:MIN:MAX).
 *
 * The input is "KEY=VALUE" as `ipibench run --KEY=VALUE` splits it (the
 * key up to the first '='), or "KEY" alone: a bare flag (value NULL).
 * What params.h promises, checked:
 *   - -1 with a message, p unchanged (the config it writes the same);
 *   - 0: the config p writes (hb_params_write: a run's config.ini) reads
 *     back (hb_params_parse_ini) to the same parameters, so that
 *     `--config RUN/config.ini` repeats the run.
 */
#include <stdbool.h>

#include "harness/params.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *value, *before, *after, *again;
	char err[1024];
	struct hb_params p, q;
	size_t nbefore, nafter, nagain;

	if (in == NULL)
		return -1;	/* a NUL: not a command-line argument */
	value = strchr(in, '=');
	if (value != NULL)
		*value++ = '\0';

	hb_params_init(&p);
	before = fuzz_config_text(&p, &nbefore);
	err[0] = '\0';
	if (hb_param_set(&p, in, value, err, sizeof(err)) != 0) {
		FUZZ_CHECK(fuzz_errmsg_ok(err, sizeof(err)), "--%s%s%s: -1 "
		    "without a message", in, value ? "=" : "", value ? value :
		    "");
		after = fuzz_config_text(&p, &nafter);
		FUZZ_CHECK(nafter == nbefore && memcmp(before, after,
		    nbefore) == 0, "--%s%s%s: -1, but p changed", in,
		    value ? "=" : "", value ? value : "");
		free(after);
		goto out;
	}
	after = fuzz_config_text(&p, &nafter);

	/* The config written reads back as the same. */
	hb_params_init(&q);
	err[0] = '\0';
	FUZZ_CHECK(hb_params_parse_ini(&q, "config.ini", after, nafter, err,
	    sizeof(err)) == 0, "--%s%s%s: the config written does not read "
	    "back: %s", in, value ? "=" : "", value ? value : "", err);
	again = fuzz_config_text(&q, &nagain);
	FUZZ_CHECK(nagain == nafter && memcmp(again, after, nafter) == 0,
	    "--%s%s%s: the config written reads back as another:\n"
	    "--- written\n%s\n--- read back\n%s", in, value ? "=" : "",
	    value ? value : "", after, again);
	free(again);
	free(after);
	hb_params_free(&q);
out:
	free(before);
	hb_params_free(&p);
	free(in);
	return 0;
}
