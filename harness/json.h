/*
 * json.h: writing JSON text (ipibench topo --json, the tables of the
 * results' context).
 */
#ifndef HB_JSON_H
#define HB_JSON_H

#include <stdio.h>

/*
 * hb_json_str: s as a JSON string to f: '"' and '\' escaped, control
 * characters as \u00XX, other bytes as they are (UTF-8 passes through).
 * => s NULL writes null.
 */
void	hb_json_str(FILE *f, const char *s);

#endif /* HB_JSON_H */
