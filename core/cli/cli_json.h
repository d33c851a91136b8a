/*
 * The --json output of the commands (import, prefetch, publish, verify):
 * one compact JSON object a line on stdout, one per result, then
 * one {"summary": {...}} line. With --json nothing else goes to stdout and no progress
 * to stderr, so a script reads every line with a JSON parser.
 */
#ifndef STOA_CLI_JSON_H
#define STOA_CLI_JSON_H

#include <jansson.h>

/* s as a JSON string; a byte that is not UTF-8 (a file name from a foreign tree) comes
 * out as U+FFFD, so the line stays JSON rather than losing the field. NULL on OOM. */
json_t *cli_json_text(const char *s);

/* {"module", "version", "result"}, and "error" when error is neither NULL nor "": the
 * caller may add fields before cli_json_print. NULL when out of memory. */
json_t *cli_json_result(const char *module, const char *version, const char *result, const char *error);

/* Writes o as one line on stdout and releases it (NULL writes nothing). */
void cli_json_print(json_t *o);

/* Writes {"summary": fields} as the last line and releases fields. */
void cli_json_summary(json_t *fields);

#endif
