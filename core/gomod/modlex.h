/*
 * One line of a go.mod file split as x/mod's lexer splits it (modfile/read.go): words,
 * "interpreted" strings with Go's escapes decoded as strconv.Unquote decodes them
 * (\x2f, \u00e9, \U0001F600, \101, \n, \", \\ ...; surrogates and bad escapes are
 * errors), `raw` strings kept as written, ( and ) as tokens of their own, and // up to
 * the end of the line as a comment. The one tokenizer behind modfile.h (the module and
 * go directives) and modlist.h (go.mod's require and replace lines), so both read a
 * go.mod the same way. Blanks are spaces, tabs and a carriage return.
 */
#ifndef STOA_MODLEX_H
#define STOA_MODLEX_H

#include <stddef.h>

#define MODLEX_TOKENS 16

typedef struct modlex {
    char *tok[MODLEX_TOKENS]; /* NUL-terminated, in the line's own buffer (or static parens) */
    size_t n;
} modlex;

/* Splits line (NUL-terminated, rewritten in place: a decoded string is never longer
 * than its literal) into m. plain: whitespace-separated words only (go.sum and go list
 * output). 0, or -1 with a static reason in *why. */
int modlex_line(char *line, int plain, modlex *m, const char **why);

/* 1 when tok is the lexer's ( or ) token (c), not a string that happens to read "(". */
int modlex_paren(const char *tok, char c);

#endif
