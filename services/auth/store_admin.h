/* store_admin.h: the Admin views, read only, across users, verifications, sms_outbox,
 * message_status_events, sessions and audit_events (each table's writes stay with its owner). A
 * query returns a page: the rows' fields point into the page's result and live until
 * auth_views_page_free. Filters are passed as the request gives them ("" and 0: no filter). */
#ifndef PHONEAUTH_AUTH_STORE_ADMIN_H
#define PHONEAUTH_AUTH_STORE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"

/* Rows of one query; n is how many there are (at most the limit asked for). */
struct auth_views_page {
	PGresult *res;
	size_t    n;
};
void auth_views_page_free(struct auth_views_page *pg);

struct auth_views_user_filter {
	int         verified; /* 0: all, 1: verified, 2: unverified */
	const char *search; /* a prefix of the phone or email; "" for none */
	int64_t     created_from_ms, created_to_ms, verified_from_ms, verified_to_ms;
	const char *cursor_us; /* "0": first page */
	const char *cursor_id; /* NULL: first page */
	unsigned    limit;
};
struct auth_views_user {
	const char *id, *phone_e164, *email, *message_sid, *subscription_id;
	bool        verified;
	int64_t     verified_at_ms, created_at_ms;
	const char *cursor_us; /* created_at in microseconds, for the next page's cursor */
	const char *channel; /* of the code that verified the phone: "sms", "whatsapp"; or "" */
};
/* Users newest first, and *total matching the filter whatever the page. */
pa_err auth_views_users(struct pa_db *db, const struct auth_views_user_filter *f,
    struct auth_views_page *pg, int64_t *total) PA_MUSTCHECK;
void   auth_views_user_at(const struct auth_views_page *pg, size_t i, struct auth_views_user *out);

/* Who GetUser looks for, as the handler read what the admin typed: each "" when not given. */
struct auth_views_who {
	const char *id; /* a user id (UUID) */
	const char *phone_e164; /* "+12015550178" */
	const char *email; /* compared case-insensitively */
};
/* One user by id, phone or email (the verified one first), with its proof and sessions. */
struct auth_views_user_detail {
	struct auth_views_user user;
	const char            *verification_id, *delivery_status;
	int64_t                sessions;
};
pa_err auth_views_user_get(
    struct pa_db *db, const struct auth_views_who *who, struct auth_views_page *pg) PA_MUSTCHECK;
void auth_views_user_detail_at(
    const struct auth_views_page *pg, struct auth_views_user_detail *out);

/* A user's sends (one per outbox row, statuses as a JSON array of [status, at_ms, error]) and
 * code checks, oldest first. */
struct auth_views_timeline_entry {
	bool        send; /* else a code check */
	int64_t     at_ms;
	const char *verification_id, *message_sid, *outcome;
	int32_t     error_code;
	const char *statuses_json;
	const char *channel; /* a send's "sms" or "whatsapp"; "" for a check */
};
pa_err auth_views_timeline(struct pa_db *db, const char *user_id, const char *phone,
    struct auth_views_page *pg) PA_MUSTCHECK;
void   auth_views_timeline_at(
      const struct auth_views_page *pg, size_t i, struct auth_views_timeline_entry *out);

struct auth_views_audit_filter {
	const char *event, *user_id, *phone_masked, *verification_id, *follow_id;
	int64_t     from_ms, to_ms;
	const char *cursor; /* an id, "0": none */
	bool        oldest_first;
	unsigned    limit;
};
struct auth_views_audit_row {
	int64_t     id, at_ms;
	const char *event, *actor, *user_id, *phone_masked, *verification_id, *message_sid,
	    *end_user_ip, *outcome, *detail_json;
};
pa_err auth_views_audit_events(struct pa_db *db, const struct auth_views_audit_filter *f,
    struct auth_views_page *pg) PA_MUSTCHECK;
void   auth_views_audit_at(
      const struct auth_views_page *pg, size_t i, struct auth_views_audit_row *out);

struct auth_views_message_filter {
	const char *state, *message_sid;
	int64_t     from_ms, to_ms;
	const char *cursor; /* an id, "0": none */
	unsigned    limit;
};
struct auth_views_message {
	int64_t     id;
	const char *verification_id, *phone_e164, *state, *message_sid, *twilio_status,
	    *error_message;
	int32_t     error_code;
	uint32_t    attempts;
	int64_t     created_at_ms, sent_at_ms, final_at_ms;
	const char *channel, *kind, *encoding, *locale; /* migration 0015; encoding "" if none */
	uint32_t    segments; /* 0: not an SMS body */
	int64_t     fallback_for; /* the row it stands in for; 0: none */
};
pa_err auth_views_messages(struct pa_db *db, const struct auth_views_message_filter *f,
    struct auth_views_page *pg) PA_MUSTCHECK;
void   auth_views_message_at(
      const struct auth_views_page *pg, size_t i, struct auth_views_message *out);

/* Counts over the last window_s seconds; the two breakdowns are JSON arrays of [key, count]. */
struct auth_views_stats {
	int64_t     started, verified, expired;
	const char *by_status_json, *by_phone_json;
	int64_t     test_started, test_verified; /* test numbers, counted apart from the above */
	const char *by_channel_json; /* sends that went (or wait to go) to Twilio, per channel */
};
pa_err auth_views_stats(
    struct pa_db *db, uint32_t window_s, struct auth_views_page *pg) PA_MUSTCHECK;
void auth_views_stats_at(const struct auth_views_page *pg, struct auth_views_stats *out);

#endif
