/* unicode.IsLetter and strToFold's per-rune fold over generated tables (zipname.h). */
#include "zipname.h"

/* Index of the entry whose lo is the greatest <= r, or -1. */
static long floor_index(const zipname_range *t, size_t n, uint32_t r)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].lo <= r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo - 1;
}

int zipname_is_letter(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    long i = floor_index(zipname_letters, zipname_nletters, r);
    return i >= 0 && r <= zipname_letters[i].hi;
}

uint32_t zipname_fold(uint32_t r)
{
    long i = floor_index(zipname_folds, zipname_nfolds, r);
    if (i >= 0 && zipname_folds[i].lo == r)
        r = zipname_folds[i].hi;
    if (r >= 'A' && r <= 'Z') /* strToFold's exception: ASCII folds to lower case */
        r += 'a' - 'A';
    return r;
}
