/* A sliding-window counter: at most max events in any window of WINDOW_S seconds,
 * counted per whole second, in constant memory. A fixed window (the calendar minute)
 * would let 2 x max through across its boundary; this one never does.
 * Not thread-safe: the caller serialises take() on one window. */
#ifndef STOA_SLIDEWIN_H
#define STOA_SLIDEWIN_H

#include <stdint.h>

#define SLIDEWIN_S 60

typedef struct slidewin {
    struct {
        int64_t sec;
        uint32_t n;
    } slot[SLIDEWIN_S];
} slidewin;

/* Counts one event at now_s (monotonic seconds, never decreasing) and returns 1 when
 * fewer than max were counted in (now_s - SLIDEWIN_S, now_s]; otherwise counts nothing
 * and returns 0. max 0 means no bound. A zeroed slidewin is empty. */
int slidewin_take(slidewin *w, int64_t now_s, uint32_t max);

#endif
