#include "slidewin.h"

static uint64_t counted(const slidewin *w, int64_t now_s)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < SLIDEWIN_S; ++i)
        if (w->slot[i].n > 0 && now_s - w->slot[i].sec < SLIDEWIN_S)
            n += w->slot[i].n;
    return n;
}

int slidewin_take(slidewin *w, int64_t now_s, uint32_t max)
{
    if (max != 0 && counted(w, now_s) >= max)
        return 0;
    unsigned i = (unsigned)(((now_s % SLIDEWIN_S) + SLIDEWIN_S) % SLIDEWIN_S);
    if (w->slot[i].sec != now_s) {
        w->slot[i].sec = now_s;
        w->slot[i].n = 0;
    }
    if (w->slot[i].n < UINT32_MAX)
        w->slot[i].n++;
    return 1;
}
