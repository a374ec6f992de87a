/* admin.h: the Admin service: who is verified, when, by which message, and what was sent. It
 * runs on its own listener; every call carries the admin token and leaves an audit row naming
 * the method and its filters. Reads only (store_admin.h), but for RearmBreaker, which re-arms a
 * pumping breaker through its owner (store_breakers.h). Handlers in admin.c (users) and
 * admin_reports.c (audit events, messages, stats, the audit chain check); the helpers below are
 * theirs. */
#ifndef PHONEAUTH_AUTH_ADMIN_H
#define PHONEAUTH_AUTH_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "auth.h"
#include "common/rpc.h"
#include "phoneauth/v1/admin.pb-c.h"

/* The Admin service (every method of admin.proto) for pa_rpc_server_start. */
struct pa_rpc_service auth_admin_service(struct auth_app *app);

pa_rpc_handler_fn auth_admin_list_users;
pa_rpc_handler_fn auth_admin_get_user;
pa_rpc_handler_fn auth_admin_list_audit_events;
pa_rpc_handler_fn auth_admin_list_messages;
pa_rpc_handler_fn auth_admin_stats;
pa_rpc_handler_fn auth_admin_verify_audit;
pa_rpc_handler_fn auth_admin_list_breakers; /* admin_breakers.c */
pa_rpc_handler_fn auth_admin_rearm_breaker;

/* ---- for the handler files ---- */

/* Fills out's conversion_by_country for the last window_s seconds (admin_breakers.c). */
pa_err auth_admin_stats_conversion(struct auth_worker *w, struct pa_rpc_call *call,
    uint32_t window_s, Phoneauth__V1__StatsResponse *out) PA_MUSTCHECK;

/* Rows per page: asked, or the default, at most the maximum. */
unsigned auth_admin_page_size(uint32_t asked);
/* Adds k: v to d when v is set (non-empty, non-zero). d may be NULL. */
void auth_admin_jstr(json_object *d, const char *k, const char *v);
void auth_admin_jint(json_object *d, const char *k, int64_t v);
/* Audits an admin call with its filters d (consumed; NULL: out of memory). */
pa_err auth_admin_audit(
    struct auth_worker *w, struct pa_rpc_call *call, json_object *d) PA_MUSTCHECK;
/* An id cursor ("12345") into out, "0" for none; false for anything else. */
bool auth_admin_id_cursor(const char *cursor, char out[24]);
/* INVALID_ARGUMENT "bad cursor"; releases d. */
struct pa_rpc_result auth_admin_bad_cursor(json_object *d);
/* s copied into the call's memory; sets *oom (and returns "") when that fails. */
char *auth_admin_dup(struct pa_rpc_call *call, const char *s, bool *oom);

#endif
