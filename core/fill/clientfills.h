/*
 * How many fills each client address has started and not finished, so one client
 * cannot fill the queue for everyone (issue 21 finding 6): limits.fills_per_client.
 *
 * A fixed table (CLIENTFILLS_SLOTS addresses with fills running at once), so memory is
 * bounded under address churn; an address leaves it when its last fill ends.
 * Threads: any (one short mutex).
 */
#ifndef STOA_CLIENTFILLS_H
#define STOA_CLIENTFILLS_H

#define CLIENTFILLS_SLOTS 4096
#define CLIENTFILLS_ADDR_MAX 64

/* Counts one more fill for addr. -1, counting nothing, when addr already has limit
 * (0: no limit) or the table is full. */
int clientfills_take(const char *addr, unsigned limit);

/* Counts one of addr's fills as ended. */
void clientfills_put(const char *addr);

/* addr's fills now (tests). */
unsigned clientfills_of(const char *addr);

#endif
