#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(progress *p, const char *who, size_t total, int lines)
{
    *p = (progress){
        .who = who, .tty = lines != PROGRESS_SILENT && isatty(STDERR_FILENO), .lines = lines > 0, .total = total};
}

void progress_human(double b, char *out, size_t len)
{
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4)
        b /= 1024, ++i;
    snprintf(out, len, i == 0 ? "%.0f %s" : "%.1f %s", b, u[i]);
}

void progress_show(progress *p, size_t done, const char *status, int final)
{
    if (p->tty) {
        double t = progress_now();
        if (!final && t - p->last_draw < 0.1)
            return;
        p->last_draw = t;
        int width = 30, fill = p->total ? (int)(width * done / p->total) : width;
        fprintf(stderr, "\r\033[K[%.*s%*s] %zu/%zu %s%s", fill, "##############################", width - fill, "", done,
                p->total, status, final ? "\n" : "");
        return;
    }
    int tenth = p->total ? (int)(10 * done / p->total) : 10;
    if (p->lines && tenth > p->last_tenth && (tenth < 10 || final)) {
        p->last_tenth = tenth;
        fprintf(stderr, "%s: %zu/%zu %s\n", p->who, done, p->total, status);
    }
}

void progress_clear(const progress *p)
{
    if (p->tty)
        fputs("\r\033[K", stderr);
}
