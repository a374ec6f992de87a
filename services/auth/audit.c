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

struct pa_db_step
auth_audit_step(struct auth_audit_row *row, struct pa_rpc_call *call, const struct auth_audit *a)
{
	row->params[0] = a->event;
	row->params[1] = a->user_id;
	row->params[2] = a->phone_e164 ? pa_phone_mask(a->phone_e164, row->masked) : NULL;
	row->params[3] = a->verification_id;
	row->params[4] = a->message_sid;
	row->params[5] = auth_caller_ip(call);
	row->params[6] = a->outcome;
	row->params[7] = a->detail_json;
	row->params[8] = a->actor;
	return (struct pa_db_step) { &st_audit, row->params, NULL, NULL };
}

pa_err
auth_audit(struct auth_worker *w, struct pa_rpc_call *call, const struct auth_audit *a)
{
	struct auth_audit_row row;
	struct pa_db_step     step = auth_audit_step(&row, call, a);

	return pa_db_exec(w->db, step.st, step.params, NULL);
}
