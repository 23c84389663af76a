/*
 * backend.c: the table of delivery backends (backend.h).
 *
 * Adding a backend: one file defining `const struct ipi_backend_ops
 * ipi_backend_NAME`, one extern line and one table line here.  The tests
 * take every entry from this table (tests/ipi_testlib.h).
 */
#include <string.h>

#include "backend.h"

extern const struct ipi_backend_ops ipi_backend_busypoll;
extern const struct ipi_backend_ops ipi_backend_futex;
extern const struct ipi_backend_ops ipi_backend_eventfd;

/* ipi_backends: NULL-terminated, the default first. */
const struct ipi_backend_ops *const ipi_backends[] = {
	&ipi_backend_busypoll,
	&ipi_backend_futex,
	&ipi_backend_eventfd,
	NULL,
};

/*
 * ipi_backend_lookup: the backend called name.
 * => NULL when there is none (or name is NULL).
 */
const struct ipi_backend_ops *
ipi_backend_lookup(const char *name)
{

	if (name == NULL)
		return NULL;
	for (unsigned i = 0; ipi_backends[i] != NULL; i++) {
		if (strcmp(ipi_backends[i]->name, name) == 0)
			return ipi_backends[i];
	}
	return NULL;
}
