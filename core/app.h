/*
 * The running registry: configuration plus everything derived from it at start-up
 * (loaded plugins, upstream chain state). Built on the main thread before loops start;
 * read-only afterwards, so loop and worker threads read it without locks.
 */
#ifndef STOA_APP_H
#define STOA_APP_H

#include "conf.h"
#include "plugin.h"
#include "storage.h"

#include <limits.h>
#include <time.h>

typedef struct app {
    struct conf *conf;
    storage store;
    plugin **auth;          /* conf->nauth loaded auth plugins */
    void **auth_state;
    size_t nauth_open;      /* how many auth plugins opened successfully */
    char **repo_names;      /* conf->nrepos names, for the router */
    char tmp_dir[PATH_MAX];
    char plugin_dir[PATH_MAX];
    time_t started;
    int upstream_ready;
} app;

/* The process's app; valid between app_open and app_close. */
extern app *the_app;

/* Loads plugins and opens storage for c (the app takes ownership of c). */
int app_open(app *a, struct conf *c, char *err, size_t errlen);
void app_close(app *a);

#endif
