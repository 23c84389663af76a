/*
 * errmsg.h: the harness's error messages: a caller-supplied buffer that
 * says what went wrong, naming the input and what was expected.
 */
#ifndef HB_ERRMSG_H
#define HB_ERRMSG_H

#include <stddef.h>

/*
 * hb_seterr: format a message into err (errlen bytes, truncated).
 * => err NULL or errlen 0: nothing is written.
 */
void	hb_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif /* HB_ERRMSG_H */
