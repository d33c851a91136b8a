/* Pins on disk. */
#ifndef STOA_DISK_PIN_H
#define STOA_DISK_PIN_H

#include <stoa/storage.h>

/* Pins (disk_pin.c): <root>/.pins/<escaped module>/@v/<escaped version>.<mod|zip>, one
 * line "<h1> <state> <pinned_at>\n", created with link(2) (so STOA_PIN_CREATE is
 * atomic across processes) and replaced with rename(2). */
stoa_status disk_pin_get(void *state, const stoa_key *key, stoa_pin *out, stoa_error *err);
stoa_status disk_pin_put(void *state, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err);
stoa_status disk_pin_walk(void *state, int only, stoa_pin_cb cb, void *arg, stoa_error *err);

#endif
