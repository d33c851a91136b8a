/*
 * The Unicode facts module zip file names depend on, as the go command has them:
 * golang.org/x/mod/module's fileNameOK accepts a non-ASCII rune exactly when
 * unicode.IsLetter does, and golang.org/x/mod/zip's collision check compares names
 * after strToFold (each rune replaced by the smallest member of its unicode.SimpleFold
 * orbit, then A-Z by a-z). Tables generated from the Unicode Character Database by
 * core/gomod/zipname_unicode.py (zipname_unicode_tables.c); the version is the one the
 * current Go releases use, so verdicts equal the go command's, not the C library's.
 * Pure functions, any thread.
 */
#ifndef STOA_ZIPNAME_H
#define STOA_ZIPNAME_H

#include <stddef.h>
#include <stdint.h>

typedef struct zipname_range {
    uint32_t lo, hi; /* letters: a range; folds: rune lo folds to hi */
} zipname_range;

extern const char zipname_unicode_version[];
extern const zipname_range zipname_letters[];
extern const size_t zipname_nletters;
extern const zipname_range zipname_folds[];
extern const size_t zipname_nfolds;

/* unicode.IsLetter(r). */
int zipname_is_letter(uint32_t r);

/* strToFold for one rune. */
uint32_t zipname_fold(uint32_t r);

#endif
