/* health.h: what the service knows of its database and of live SMS workers, cached for a second
 * per worker thread and, as good news only, for the whole process (inline Health answers from
 * it). The sms_workers table is the SMS workers' (heartbeats); this module only reads it. */
#ifndef PHONEAUTH_AUTH_HEALTH_H
#define PHONEAUTH_AUTH_HEALTH_H

#include <stdbool.h>

#include "auth.h"
#include "common/rpc.h"

/* Refreshes w's view of the database and of live SMS workers (cached for a second). */
void auth_health_refresh(struct auth_worker *w);
/* Drops the good news inline Health answers from: a worker just lost the database. */
void auth_health_forget(struct auth_app *app);
/* True when some worker found the database and an SMS worker up less than a second ago. */
bool auth_health_good_recently(struct auth_app *app);
/* OK when an SMS worker was seen recently, else UNAVAILABLE (SMS_UNAVAILABLE) with the profile's
 * message in the caller's language. */
struct pa_rpc_result auth_sms_available(struct auth_worker *w, struct pa_rpc_call *call);

#endif
