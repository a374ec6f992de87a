/* store_codes.c: the SQL of verifications and of the outbox rows auth inserts. MACs, token hashes
 * and sealed bodies travel as raw bytes (binary parameters); bytea results are decoded by libpq. */
#include "store_codes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

static const struct pa_stmt st_lock_phone
    = { "SELECT pg_advisory_xact_lock(hashtextextended('verification:' || $1, 0))", 1 };
/* The newest: reset codes may be pending side by side (migration 0010). */
static const struct pa_stmt st_pending
    = { "SELECT id::text, greatest(0, ceil(extract(epoch FROM"
	"  last_sent_at + make_interval(secs => $4::int) - now())))::int"
	" FROM verifications WHERE phone_e164 = $1 AND purpose = $2 AND identity = $3"
	" AND state = 'pending' ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
	      4 };
static const struct pa_stmt st_expire
    = { "UPDATE verifications SET state = 'expired' WHERE id = $1::uuid", 1 };
static const struct pa_stmt st_expire_others
    = { "UPDATE verifications SET state = 'expired' WHERE user_id = $1::uuid"
	" AND purpose = 'register' AND state = 'pending' AND id <> $2::uuid",
	      2 };
static const struct pa_stmt st_expire_logins
    = { "UPDATE verifications SET state = 'expired' WHERE user_id = $1::uuid"
	" AND purpose = 'login' AND state = 'pending'",
	      1 };
static const struct pa_stmt st_insert
    = { "INSERT INTO verifications (id, purpose, user_id, subscription_id, phone_e164, code_mac,"
	" expires_at, max_attempts, last_sent_at, end_user_ip, phantom, identity, password_hash,"
	" channel, locale, backend)"
	" VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6::bytea,"
	" now() + make_interval(secs => $7::int), $8::int, now(), $9::inet, $10::boolean, $11, "
	"$12, $13, $14, $15)",
	      15 };
/* A held fallback stands in for the row inserted just before it in the same batch: the
 * verification's newest row that is not held (the sequence's currval would already be the held
 * row's own id, which the column default draws first). */
static const struct pa_stmt st_outbox
    = { "INSERT INTO sms_outbox (verification_id, phone_e164, body_sealed, not_after, channel,"
	" kind, locale, encoding, segments, state, fallback_for)"
	" VALUES ($1::uuid, $2, $3::bytea, now() + make_interval(secs => $4::int), $5, $6, $7, $8,"
	" $9::int, CASE WHEN $10::boolean THEN 'held' ELSE 'queued' END,"
	" CASE WHEN $10::boolean THEN (SELECT p.id FROM sms_outbox p"
	"  WHERE p.verification_id = $1::uuid AND p.state <> 'held' ORDER BY p.id DESC LIMIT 1)"
	" END)"
	" RETURNING id",
	      10 };
static const struct pa_stmt st_load
    = { "SELECT phone_e164, purpose, state, phantom, expires_at <= now(), attempts, max_attempts,"
	" code_mac, coalesce(user_id::text, ''),"
	" greatest(0, ceil(extract(epoch FROM last_sent_at + make_interval(secs => $2::int)"
	"  - now())))::int, channel, locale, backend"
	" FROM verifications WHERE id = $1::uuid FOR UPDATE",
	      2 };
static const struct pa_stmt st_resend
    = { "UPDATE verifications SET code_mac = $2::bytea, sends = sends + 1,"
	" last_sent_at = now(), expires_at = now() + make_interval(secs => $3::int),"
	" channel = $4, locale = $5, attempts = CASE WHEN $6::boolean THEN attempts ELSE 0 END"
	" WHERE id = $1::uuid",
	      6 };
static const struct pa_stmt st_try
    = { "UPDATE verifications SET attempts = attempts + 1,"
	" state = CASE WHEN attempts + 1 >= max_attempts AND NOT $2::boolean THEN 'exhausted'"
	"  ELSE state END WHERE id = $1::uuid",
	      2 };
static const struct pa_stmt st_spent
    = { "UPDATE verifications SET state = 'exhausted'"
	" WHERE id = $1::uuid AND state = 'pending' AND ($2::boolean OR attempts >= max_attempts)",
	      2 };
static const struct pa_stmt st_verified
    = { "UPDATE verifications SET state = $2, verified_at = now(), token_hash = $3::bytea,"
	" token_expires_at = CASE WHEN $3::bytea IS NULL THEN NULL"
	"  ELSE now() + make_interval(secs => $4::int) END,"
	" message_sid = (SELECT twilio_sid FROM sms_outbox o WHERE o.verification_id = $1::uuid"
	"  AND o.twilio_sid IS NOT NULL ORDER BY o.id DESC LIMIT 1)"
	" WHERE id = $1::uuid RETURNING message_sid",
	      4 };
/* Twilio's conversion signal (migration 0014): the SMS worker confirms the verified code's
 * message once it has a SID. */
static const struct pa_stmt st_feedback
    = { "INSERT INTO sms_feedback (verification_id) VALUES ($1::uuid) ON CONFLICT DO NOTHING", 1 };
/* Up to one hash per key of the ring; the unused ones are NULL and match nothing. */
static const struct pa_stmt st_by_token
    = { "SELECT id::text, phone_e164, coalesce(subscription_id, ''), coalesce(user_id::text, '')"
	" FROM verifications"
	" WHERE token_hash IN ($1::bytea, $2::bytea, $3::bytea, $4::bytea, $5::bytea, $6::bytea,"
	"  $7::bytea, $8::bytea) AND purpose = $9 AND state = 'verified'"
	" AND token_expires_at > now() FOR UPDATE",
	      9 };
static const struct pa_stmt st_consume
    = { "UPDATE verifications SET state = 'consumed', token_hash = NULL, token_expires_at = NULL,"
	" user_id = coalesce(user_id, $2::uuid) WHERE id = $1::uuid",
	      2 };

/* Columns of st_load. */
enum {
	LOAD_PHONE,
	LOAD_PURPOSE,
	LOAD_STATE,
	LOAD_PHANTOM,
	LOAD_EXPIRED,
	LOAD_ATTEMPTS,
	LOAD_MAX,
	LOAD_MAC,
	LOAD_USER,
	LOAD_WAIT,
	LOAD_CHANNEL,
	LOAD_LOCALE,
	LOAD_BACKEND
};
enum { PENDING_ID, PENDING_WAIT };
enum { TOKEN_ID, TOKEN_PHONE, TOKEN_SUB, TOKEN_USER };

static void
copy_col(char *out, size_t outsz, const PGresult *res, int col)
{
	(void) snprintf(out, outsz, "%s", PQgetvalue(res, 0, col));
}

static struct pa_db_step
step(const struct pa_stmt *st, struct auth_args *a, PGresult **res)
{
	return (struct pa_db_step) { st, a->p, res, a->len };
}

/* Marks every parameter text, then the binary ones. */
static void
args_text(struct auth_args *a)
{
	for (size_t i = 0; i < sizeof a->len / sizeof a->len[0]; i++)
		a->len[i] = PA_DB_TEXT;
}

struct pa_db_step
auth_codes_lock_phone_step(struct auth_args *a, const char *phone)
{
	args_text(a);
	a->p[0] = phone;
	return step(&st_lock_phone, a, NULL);
}

struct pa_db_step
auth_codes_pending_step(struct auth_args *a, const char *phone, const char *purpose,
    const char *identity, int cooldown_s, PGresult **res)
{
	args_text(a);
	a->p[0] = phone;
	a->p[1] = purpose;
	a->p[2] = identity;
	a->p[3] = auth_args_int(a, 0, cooldown_s);
	return step(&st_pending, a, res);
}

void
auth_codes_pending_row(PGresult *res, struct auth_pending *out)
{
	*out = (struct auth_pending) { .found = PQntuples(res) > 0 };
	if (out->found) {
		copy_col(out->id, sizeof out->id, res, PENDING_ID);
		out->resend_wait_s = atoi(PQgetvalue(res, 0, PENDING_WAIT));
	}
	PQclear(res);
}

struct pa_db_step
auth_codes_expire_others_step(struct auth_args *a, const char *user_id, const char *id)
{
	args_text(a);
	a->p[0] = user_id;
	a->p[1] = id;
	return step(&st_expire_others, a, NULL);
}

pa_err
auth_codes_expire_logins(struct pa_db *db, const char *user_id)
{
	const char *params[1] = { user_id };

	return pa_db_exec(db, &st_expire_logins, params, NULL);
}

pa_err
auth_codes_expire(struct pa_db *db, const char *id)
{
	const char *params[1] = { id };

	return pa_db_exec(db, &st_expire, params, NULL);
}

struct pa_db_step
auth_codes_insert_step(struct auth_args *a, const struct auth_code_new *v)
{
	args_text(a);
	a->p[0]   = v->id;
	a->p[1]   = v->purpose;
	a->p[2]   = v->user_id;
	a->p[3]   = v->subscription_id;
	a->p[4]   = v->phone;
	a->p[5]   = v->has_mac ? (const char *) v->mac : NULL;
	a->len[5] = AUTH_MAC_BYTES;
	a->p[6]   = auth_args_int(a, 0, v->ttl_s);
	a->p[7]   = auth_args_int(a, 1, v->max_attempts);
	a->p[8]   = v->ip;
	a->p[9]   = v->phantom ? "true" : "false";
	a->p[10]  = v->identity;
	a->p[11]  = v->password_hash;
	a->p[12]  = v->channel != NULL ? v->channel : "sms";
	a->p[13]  = v->locale != NULL ? v->locale : "en";
	a->p[14]  = v->backend != NULL ? v->backend : "local";
	return step(&st_insert, a, NULL);
}

struct pa_db_step
auth_outbox_insert_step(struct auth_args *a, const struct auth_outbox_new *o, PGresult **res)
{
	args_text(a);
	a->p[0]   = o->verification_id;
	a->p[1]   = o->phone;
	a->p[2]   = (const char *) o->sealed;
	a->len[2] = (int) o->sealed_len;
	a->p[3]   = auth_args_int(a, 0, o->ttl_s);
	a->p[4]   = o->channel != NULL ? o->channel : "sms";
	a->p[5]   = o->kind != NULL ? o->kind : "message";
	a->p[6]   = o->locale != NULL ? o->locale : "en";
	a->p[7]   = o->encoding;
	a->p[8]   = o->segments > 0 ? auth_args_int(a, 1, o->segments) : NULL;
	a->p[9]   = o->held ? "true" : "false";
	return step(&st_outbox, a, res);
}

int64_t
auth_outbox_id_row(PGresult *res)
{
	int64_t id = res != NULL ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;

	PQclear(res);
	return id;
}

struct pa_db_step
auth_codes_load_step(struct auth_args *a, const char *id, int cooldown_s, PGresult **res)
{
	args_text(a);
	a->p[0] = id;
	a->p[1] = auth_args_int(a, 0, cooldown_s);
	return step(&st_load, a, res);
}

bool
auth_codes_load_row(PGresult *res, struct auth_verification *out)
{
	bool found = PQntuples(res) > 0;

	*out = (struct auth_verification) { .phantom = false };
	if (found) {
		copy_col(out->phone, sizeof out->phone, res, LOAD_PHONE);
		copy_col(out->purpose, sizeof out->purpose, res, LOAD_PURPOSE);
		copy_col(out->state, sizeof out->state, res, LOAD_STATE);
		copy_col(out->user_id, sizeof out->user_id, res, LOAD_USER);
		out->phantom       = PQgetvalue(res, 0, LOAD_PHANTOM)[0] == 't';
		out->expired       = PQgetvalue(res, 0, LOAD_EXPIRED)[0] == 't';
		out->attempts      = atoi(PQgetvalue(res, 0, LOAD_ATTEMPTS));
		out->max_attempts  = atoi(PQgetvalue(res, 0, LOAD_MAX));
		out->resend_wait_s = atoi(PQgetvalue(res, 0, LOAD_WAIT));
		out->has_mac = pa_db_bytea(res, 0, LOAD_MAC, out->mac, sizeof out->mac) == PA_OK;
		copy_col(out->channel, sizeof out->channel, res, LOAD_CHANNEL);
		copy_col(out->locale, sizeof out->locale, res, LOAD_LOCALE);
		copy_col(out->backend, sizeof out->backend, res, LOAD_BACKEND);
	}
	PQclear(res);
	return found;
}

struct pa_db_step
auth_codes_resend_step(struct auth_args *a, const struct auth_code_resent *r)
{
	args_text(a);
	a->p[0]   = r->id;
	a->p[1]   = r->has_mac ? (const char *) r->mac : NULL;
	a->len[1] = AUTH_MAC_BYTES;
	a->p[2]   = auth_args_int(a, 0, r->ttl_s);
	a->p[3]   = r->channel != NULL ? r->channel : "sms";
	a->p[4]   = r->locale != NULL ? r->locale : "en";
	a->p[5]   = r->keep_attempts ? "true" : "false";
	return step(&st_resend, a, NULL);
}

struct pa_db_step
auth_codes_try_step(struct auth_args *a, const char *id, bool right)
{
	args_text(a);
	a->p[0] = id;
	a->p[1] = right ? "true" : "false";
	return step(&st_try, a, NULL);
}

struct pa_db_step
auth_codes_spent_step(struct auth_args *a, const char *id, bool twilio_spent)
{
	args_text(a);
	a->p[0] = id;
	a->p[1] = twilio_spent ? "true" : "false";
	return step(&st_spent, a, NULL);
}

struct pa_db_step
auth_codes_verified_step(struct auth_args *a, const char *id, const char *state,
    const unsigned char *token_hash, int token_ttl_s)
{
	args_text(a);
	a->p[0] = id;
	a->p[1] = state;
	a->p[2] = (const char *) token_hash;
	if (token_hash != NULL)
		a->len[2] = AUTH_MAC_BYTES;
	a->p[3] = auth_args_int(a, 0, token_ttl_s);
	return step(&st_verified, a, NULL);
}

struct pa_db_step
auth_feedback_insert_step(struct auth_args *a, const char *id)
{
	args_text(a);
	a->p[0] = id;
	return step(&st_feedback, a, NULL);
}

pa_err
auth_codes_by_token(struct pa_db *db, const unsigned char (*hashes)[AUTH_MAC_BYTES], size_t n,
    const char *purpose, struct auth_token_verification *out, bool *found)
{
	const char *params[9] = { NULL };
	int         lengths[9];
	PGresult   *res;
	pa_err      rv;

	*found = false;
	auth_ring_params(hashes, n < AUTH_RING_HASHES ? n : AUTH_RING_HASHES, params, lengths);
	params[8]  = purpose;
	lengths[8] = PA_DB_TEXT;
	if ((rv = pa_db_exec_len(db, &st_by_token, params, lengths, &res)) != PA_OK)
		return rv;
	if ((*found = PQntuples(res) > 0)) {
		copy_col(out->id, sizeof out->id, res, TOKEN_ID);
		copy_col(out->phone, sizeof out->phone, res, TOKEN_PHONE);
		copy_col(out->subscription_id, sizeof out->subscription_id, res, TOKEN_SUB);
		copy_col(out->user_id, sizeof out->user_id, res, TOKEN_USER);
	}
	PQclear(res);
	return PA_OK;
}

pa_err
auth_codes_consume(struct pa_db *db, const char *id, const char *user_id)
{
	const char *params[2] = { id, user_id };

	return pa_db_exec(db, &st_consume, params, NULL);
}
