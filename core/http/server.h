/*
 * The HTTP server: listeners, N event-loop threads (one h2o context each), TLS, and
 * the signal-driven lifecycle. server_run() blocks the main thread until SIGTERM or
 * SIGINT, then stops accepting, lets in-flight requests finish (up to a deadline) and
 * returns.
 */
#ifndef STOA_SERVER_H
#define STOA_SERVER_H

struct app;

/* Returns the process exit code. */
int server_run(struct app *a);

#endif
