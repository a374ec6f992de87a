/* store_workers.c: the one query auth makes of the SMS workers' heartbeats. */
#include "store_workers.h"

#include <stdio.h>
#include <string.h>

static const struct pa_stmt st_alive
    = { "SELECT EXISTS (SELECT 1 FROM sms_workers"
	" WHERE last_seen_at > now() - make_interval(secs => $1::int))",
	      1 };

pa_err
auth_workers_alive(struct pa_db *db, int alive_s, bool *alive)
{
	char        secs[16];
	const char *params[1] = { secs };
	PGresult   *res;
	pa_err      rv;

	*alive = false;
	(void) snprintf(secs, sizeof secs, "%d", alive_s);
	if ((rv = pa_db_exec(db, &st_alive, params, &res)) != PA_OK)
		return rv;
	*alive = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return PA_OK;
}
