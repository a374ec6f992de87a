/* store.c: the store modules' shared error answer. */
#include "store.h"

#include <stdio.h>

#include "common/log.h"
#include "health.h"

const char *
auth_args_int(struct auth_args *a, int slot, long long v)
{
	(void) snprintf(a->num[slot], sizeof a->num[slot], "%lld", v);
	return a->num[slot];
}

const struct pa_db_step auth_commit_step = { &pa_db_commit_step, NULL, NULL, NULL };

struct pa_rpc_result
auth_db_fail(struct auth_worker *w, struct pa_rpc_call *call, pa_err rv)
{
	pa_db_rollback(w->db);
	if (rv == PA_EUNAVAILABLE)
		auth_health_forget(w->app);
	if (rv == PA_EDB)
		pa_log_error("db_error", "method=%s request_id=%s sqlstate=%s",
		    pa_rpc_call_method(call), pa_rpc_call_request_id(call), pa_db_sqlstate(w->db));
	return pa_rpc_fail_err(rv);
}
