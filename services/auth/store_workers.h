/* store_workers.h: the sms_workers table, read only: the SMS workers own it (their heartbeats,
 * services/sms-worker). */
#ifndef PHONEAUTH_AUTH_STORE_WORKERS_H
#define PHONEAUTH_AUTH_STORE_WORKERS_H

#include <stdbool.h>

#include "common/db.h"

/* *alive: some SMS worker's heartbeat is less than alive_s old. */
pa_err auth_workers_alive(struct pa_db *db, int alive_s, bool *alive) PA_MUSTCHECK;

#endif
