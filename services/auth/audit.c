/* audit.c: appends audit rows through audit_append(), in the same transaction as the change they
 * record. */
#include "audit.h"

static const struct pa_stmt st_audit
    = { "SELECT audit_append($1, $9, $2::uuid, $3, $4::uuid, $5, $6::inet, $7, $8::jsonb)", 9 };

struct pa_db_step
auth_audit_step(struct auth_audit_row *row, const struct auth_audit *a)
{
	row->params[0] = a->event;
	row->params[1] = a->user_id;
	row->params[2] = a->phone_e164 ? pa_phone_mask(a->phone_e164, row->masked) : NULL;
	row->params[3] = a->verification_id;
	row->params[4] = a->message_sid;
	row->params[5] = a->ip;
	row->params[6] = a->outcome;
	row->params[7] = a->detail_json;
	row->params[8] = a->actor;
	return (struct pa_db_step) { &st_audit, row->params, NULL, NULL };
}

pa_err
auth_audit_write(struct pa_db *db, const struct auth_audit *a)
{
	struct auth_audit_row row;
	struct pa_db_step     step = auth_audit_step(&row, a);

	return pa_db_exec(db, step.st, step.params, NULL);
}
