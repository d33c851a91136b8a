/*
 * Progress of a long CLI run on stderr: on a terminal a bar redrawn in place (at most
 * ten times a second); elsewhere, when asked, one line per tenth of the work, so logs
 * of a cron job stay short. Used by `stoa prefetch`, `stoa import` and `stoa verify`
 * on their main thread.
 */
#ifndef STOA_PROGRESS_H
#define STOA_PROGRESS_H

#include <stddef.h>

typedef struct progress {
    const char *who;  /* "stoa prefetch": prefixes the lines */
    int tty;          /* stderr is a terminal: draw the bar */
    int lines;        /* not a terminal: a line per tenth (else nothing) */
    size_t total;
    int last_tenth;
    double last_draw;
} progress;

/* Seconds on the monotonic clock. */
double progress_now(void);

/* lines: 1 for a line per tenth when stderr is not a terminal, 0 for nothing there;
 * PROGRESS_SILENT for no bar either (--json output). */
#define PROGRESS_SILENT (-1)
void progress_init(progress *p, const char *who, size_t total, int lines);

/* done of total, then status ("12 files, 3.4 MiB, 0 failed"). final draws in any case
 * and ends the bar's line. */
void progress_show(progress *p, size_t done, const char *status, int final);

/* Erases a drawn bar so that a message can be written on its line. */
void progress_clear(const progress *p);

/* "512 B", "3.4 MiB". */
void progress_human(double bytes, char *out, size_t len);

#endif
