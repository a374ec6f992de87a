/* retention.h: the retention job (issue 13, finding 8). A background thread with its own
 * database connection wakes every PHONEAUTH_RETENTION_EVERY and, when it wins the advisory lock
 * (so one auth instance at a time does the work), deletes in batches of
 * PHONEAUTH_RETENTION_BATCH rows what is past its window (PHONEAUTH_RETAIN_* and
 * PHONEAUTH_UNVERIFIED_USER_TTL), table by table (store_retention.h), until a batch comes back
 * short. audit_events is never deleted. */
#ifndef PHONEAUTH_AUTH_RETENTION_H
#define PHONEAUTH_AUTH_RETENTION_H

#include "common/err.h"
#include "common/strbuf.h"

struct auth_app;
struct auth_retention;

/* Starts the thread; the first run comes right away. PHONEAUTH_RETENTION_EVERY=0 starts none
 * (*out NULL, PA_OK). */
pa_err auth_retention_start(struct auth_retention **out, struct auth_app *app) PA_MUSTCHECK;
/* Stops the thread between two batches and frees it. NULL is a no-op. */
void auth_retention_stop(struct auth_retention *r);
/* phoneauth_retention_* counters of this process; nothing for NULL. */
void auth_retention_write_metrics(struct pa_strbuf *out, struct auth_retention *r);

#endif
