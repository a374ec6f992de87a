/* audit.c: appends audit rows in the same transaction as the change they record. The table is
 * append-only; phones are stored masked. */
#include "auth.h"
#include "common/log.h"

static const struct pa_stmt st_audit = {
	"INSERT INTO audit_events (event, actor, user_id, phone_masked, verification_id,"
	" message_sid, end_user_ip, outcome, detail)"
	" VALUES ($1, coalesce($9, 'site'), $2::uuid, $3, $4::uuid, $5, $6::inet, $7, $8::jsonb)",
	9
};

pa_err
auth_audit(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_audit *a)
{
	char        masked[PA_PHONE_MASK_MAX];
	const char *params[9] = { a->event, a->user_id,
		a->phone_e164 ? pa_phone_mask(a->phone_e164, masked) : NULL, a->verification_id,
		a->message_sid, auth_caller_ip(call), a->outcome, a->detail_json, a->actor };

	return pa_db_exec(w->db, &st_audit, params, NULL);
}
