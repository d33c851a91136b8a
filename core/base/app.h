/*
 * The running registry: configuration plus everything derived from it at start-up
 * (loaded plugins, upstream chain state). Opened by core/boot.c on the main thread before
 * loops start.
 *
 * `conf` is the one member that changes while serving: a SIGHUP reload (core/http/reload.c)
 * swaps in a new configuration atomically. Readers load the pointer once per use and
 * never free it; a replaced configuration is retired, not freed, until exit (reloads
 * are rare and a configuration is a few KB), so a request that still holds the old one
 * stays safe.
 */
#ifndef STOA_APP_H
#define STOA_APP_H

#include "conf.h"
#include "plugin.h"
#include "storage.h"

#include <limits.h>
#include <time.h>

typedef struct app {
    struct conf *_Atomic conf;
    struct conf **retired;  /* configurations replaced by reloads, freed at close */
    size_t nretired;
    const char *config_path; /* what `stoa serve --config` named, or NULL */
    storage store;
    plugin **auth;          /* conf->nauth loaded auth plugins */
    void **auth_state;
    size_t nauth_open;      /* how many auth plugins opened successfully */
    char tmp_dir[PATH_MAX];
    char plugin_dir[PATH_MAX];
    time_t started;
    unsigned opened;        /* boot_part bits of what boot_open opened (core/boot.h) */
    char audit_error[512];  /* why the audit sink did not open, or "" */
} app;

/* The process's app; valid between boot_open and boot_close. */
extern app *the_app;

/* The configuration in force (for callbacks that cannot see the_app). */
const struct conf *app_conf(void);

#endif
