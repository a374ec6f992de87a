/* admin.c: the CLI's admin views (users, user, messages, audit, stats) over the Admin service,
 * with the token from $PHONEAUTH_ADMIN_TOKEN: aligned tables for people, --json for scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "phoneauth/v1/admin.pb-c.h"

/* "2026-11-21 10:04:05Z" for unix ms; "-" for 0. */
static const char *
when(int64_t ms, char out[32])
{
	time_t    t = (time_t) (ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return "-";
	(void) strftime(out, 32, "%Y-%m-%d %H:%M:%SZ", &tm);
	return out;
}

static int
admin_call(struct cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r)
{
	const char *token = getenv("PHONEAUTH_ADMIN_TOKEN");

	if (token == NULL || token[0] == '\0') {
		fprintf(stderr, "phoneauth: set PHONEAUTH_ADMIN_TOKEN to use admin commands\n");
		return 1;
	}
	if (cli_call_token(ctx, ctx->admin_url, "Admin", method, req, desc, token, r) != 0)
		return 1;
	if (r->code != PHONEAUTH__V1__CODE__OK) {
		int st = cli_print_failure(ctx, r);

		pa_reply_clear(r);
		return st;
	}
	return 0;
}

static void
print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

/* Parses "--flag value" options of an admin command; returns 0, or 2 after printing usage. */
static int
opts(int argc, char **argv, const char *usage, const char *const *names, const char **values,
    bool *flags, const char *const *flag_names, const char **pos)
{
	for (int i = 0; i < argc; i++) {
		bool done = false;

		for (int k = 0; names != NULL && names[k] != NULL && !done; k++)
			if (strcmp(argv[i], names[k]) == 0 && i + 1 < argc) {
				values[k] = argv[++i];
				done      = true;
			}
		for (int k = 0; flag_names != NULL && flag_names[k] != NULL && !done; k++)
			if (strcmp(argv[i], flag_names[k]) == 0) {
				flags[k] = true;
				done     = true;
			}
		if (!done && pos != NULL && *pos == NULL && argv[i][0] != '-') {
			*pos = argv[i];
			done = true;
		}
		if (!done) {
			fprintf(stderr, "phoneauth: unexpected argument '%s'\nusage: phoneauth %s\n",
			    argv[i], usage);
			return 2;
		}
	}
	return 0;
}

#define SYN_USERS "users [--verified|--unverified] [--search S] [--limit N] [--cursor C]"

static int
cmd_users(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ListUsersRequest   req       = PHONEAUTH__V1__LIST_USERS_REQUEST__INIT;
	const char *const                 names[]   = { "--search", "--limit", "--cursor", NULL };
	const char *const                 fnames[]  = { "--verified", "--unverified", NULL };
	const char                       *values[3] = { NULL };
	bool                              flags[2]  = { false };
	Phoneauth__V1__ListUsersResponse *resp;
	struct pa_reply                   r;
	char                              t1[32], t2[32];
	int                               st;

	if ((st = opts(argc, argv, SYN_USERS, names, values, flags, fnames, NULL)) != 0)
		return st;
	req.verified  = flags[0] ? PHONEAUTH__V1__VERIFIED_FILTER__VERIFIED_ONLY :
	                flags[1] ? PHONEAUTH__V1__VERIFIED_FILTER__UNVERIFIED_ONLY :
	                           PHONEAUTH__V1__VERIFIED_FILTER__VERIFIED_ANY;
	req.search    = (char *) (values[0] ? values[0] : "");
	req.page_size = values[1] ? (uint32_t) atoi(values[1]) : 0;
	req.cursor    = (char *) (values[2] ? values[2] : "");
	if ((st = admin_call(ctx, "ListUsers", &req.base, &phoneauth__v1__list_users_response__descriptor,
	         &r)) != 0)
		return st;
	resp = (Phoneauth__V1__ListUsersResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < resp->n_users; i++) {
			Phoneauth__V1__UserSummary *u = resp->users[i];
			json_object                *j = json_object_new_object();

			json_object_object_add(j, "user_id", jstr(u->user_id));
			json_object_object_add(j, "phone", jstr(u->phone_e164));
			json_object_object_add(j, "email", jstr(u->email));
			json_object_object_add(j, "verified", json_object_new_boolean(u->verified));
			json_object_object_add(j, "verified_at_unix_ms",
			    json_object_new_int64(u->verified_at_unix_ms));
			json_object_object_add(j, "created_at_unix_ms",
			    json_object_new_int64(u->created_at_unix_ms));
			json_object_object_add(j, "message_sid", jstr(u->message_sid));
			json_object_array_add(a, j);
		}
		json_object_object_add(o, "users", a);
		json_object_object_add(o, "total", json_object_new_int64((int64_t) resp->total));
		json_object_object_add(o, "next_cursor", jstr(resp->next_cursor));
		print_json(o);
	} else {
		printf("%-36s  %-16s  %-28s  %-8s  %-20s  %-34s\n", "USER", "PHONE", "EMAIL",
		    "VERIFIED", "VERIFIED AT", "MESSAGE SID");
		for (size_t i = 0; i < resp->n_users; i++) {
			Phoneauth__V1__UserSummary *u = resp->users[i];

			/* The emoji is two columns wide but one "character" to printf. */
			printf("%-36s  %-16s  %-28s  %s        %-20s  %-34s\n", u->user_id, u->phone_e164,
			    u->email[0] ? u->email : "-", u->verified ? "✅" : "❌",
			    when(u->verified_at_unix_ms, t1), u->message_sid[0] ? u->message_sid : "-");
		}
		printf("%zu of %llu users%s%s\n", resp->n_users, (unsigned long long) resp->total,
		    resp->next_cursor[0] ? "; next page: --cursor " : "", resp->next_cursor);
		(void) t2;
	}
	pa_reply_clear(&r);
	return 0;
}

#define SYN_USER "user PHONE_OR_EMAIL_OR_ID"

static int
cmd_user(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__GetUserRequest   req = PHONEAUTH__V1__GET_USER_REQUEST__INIT;
	Phoneauth__V1__GetUserResponse *resp;
	Phoneauth__V1__UserSummary     *u;
	const char                     *pos = NULL;
	struct pa_reply                 r;
	char                            t1[32];
	int                             st;

	if ((st = opts(argc, argv, SYN_USER, NULL, NULL, NULL, NULL, &pos)) != 0)
		return st;
	if (pos == NULL) {
		fprintf(stderr, "usage: phoneauth %s\n", SYN_USER);
		return 2;
	}
	req.user = (char *) pos;
	if ((st = admin_call(ctx, "GetUser", &req.base, &phoneauth__v1__get_user_response__descriptor,
	         &r)) != 0)
		return st;
	resp = (Phoneauth__V1__GetUserResponse *) r.body;
	u    = resp->user;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *tl = json_object_new_array();

		json_object_object_add(o, "user_id", jstr(u->user_id));
		json_object_object_add(o, "phone", jstr(u->phone_e164));
		json_object_object_add(o, "email", jstr(u->email));
		json_object_object_add(o, "verified", json_object_new_boolean(u->verified));
		json_object_object_add(o, "verified_at_unix_ms", json_object_new_int64(u->verified_at_unix_ms));
		json_object_object_add(o, "verification_id", jstr(resp->verification_id));
		json_object_object_add(o, "message_sid", jstr(u->message_sid));
		json_object_object_add(o, "delivery_status", jstr(resp->delivery_status));
		json_object_object_add(o, "sessions", json_object_new_int((int) resp->sessions));
		for (size_t i = 0; i < resp->n_timeline; i++) {
			Phoneauth__V1__TimelineEntry *e = resp->timeline[i];
			json_object                  *j = json_object_new_object(), *s = json_object_new_array();

			json_object_object_add(j, "kind", jstr(e->kind ==
			    PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND ? "send" : "code_check"));
			json_object_object_add(j, "at_unix_ms", json_object_new_int64(e->at_unix_ms));
			json_object_object_add(j, "message_sid", jstr(e->message_sid));
			json_object_object_add(j, "outcome", jstr(e->outcome));
			for (size_t k = 0; k < e->n_statuses; k++) {
				json_object *c = json_object_new_object();

				json_object_object_add(c, "status", jstr(e->statuses[k]->status));
				json_object_object_add(c, "at_unix_ms",
				    json_object_new_int64(e->statuses[k]->at_unix_ms));
				json_object_array_add(s, c);
			}
			json_object_object_add(j, "statuses", s);
			json_object_array_add(tl, j);
		}
		json_object_object_add(o, "timeline", tl);
		print_json(o);
	} else {
		printf("user             %s\nphone            %s\nemail            %s\n"
		       "verified         %s\nverified at      %s\nmessage sid      %s\n"
		       "delivery status  %s\nsessions         %u\n",
		    u->user_id, u->phone_e164, u->email[0] ? u->email : "-",
		    u->verified ? "✅ yes" : "❌ no", when(u->verified_at_unix_ms, t1),
		    u->message_sid[0] ? u->message_sid : "-",
		    resp->delivery_status[0] ? resp->delivery_status : "-", resp->sessions);
		printf("timeline:\n");
		for (size_t i = 0; i < resp->n_timeline; i++) {
			Phoneauth__V1__TimelineEntry *e = resp->timeline[i];

			printf("  %-20s  %-10s  %-34s  %s", when(e->at_unix_ms, t1),
			    e->kind == PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND ? "sms" : "code check",
			    e->message_sid[0] ? e->message_sid : "-", e->outcome);
			for (size_t k = 0; k < e->n_statuses; k++)
				printf("%s%s", k == 0 ? "  [" : " → ", e->statuses[k]->status);
			printf("%s\n", e->n_statuses ? "]" : "");
		}
	}
	pa_reply_clear(&r);
	return 0;
}

#define SYN_MESSAGES "messages [--status S] [--sid SID] [--limit N] [--cursor C]"

static int
cmd_messages(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ListMessagesRequest   req = PHONEAUTH__V1__LIST_MESSAGES_REQUEST__INIT;
	const char *const                    names[] = { "--status", "--sid", "--limit", "--cursor",
		                   NULL };
	const char                          *values[4] = { NULL };
	Phoneauth__V1__ListMessagesResponse *resp;
	struct pa_reply                      r;
	char                                 t1[32];
	int                                  st;

	if ((st = opts(argc, argv, SYN_MESSAGES, names, values, NULL, NULL, NULL)) != 0)
		return st;
	req.state       = (char *) (values[0] ? values[0] : "");
	req.message_sid = (char *) (values[1] ? values[1] : "");
	req.page_size   = values[2] ? (uint32_t) atoi(values[2]) : 0;
	req.cursor      = (char *) (values[3] ? values[3] : "");
	if ((st = admin_call(ctx, "ListMessages", &req.base,
	         &phoneauth__v1__list_messages_response__descriptor, &r)) != 0)
		return st;
	resp = (Phoneauth__V1__ListMessagesResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < resp->n_messages; i++) {
			Phoneauth__V1__Message *m = resp->messages[i];
			json_object            *j = json_object_new_object();

			json_object_object_add(j, "id", json_object_new_int64((int64_t) m->id));
			json_object_object_add(j, "phone", jstr(m->phone_masked));
			json_object_object_add(j, "state", jstr(m->state));
			json_object_object_add(j, "message_sid", jstr(m->message_sid));
			json_object_object_add(j, "twilio_status", jstr(m->twilio_status));
			json_object_object_add(j, "error_code", json_object_new_int(m->error_code));
			json_object_object_add(j, "attempts", json_object_new_int((int) m->attempts));
			json_object_object_add(j, "created_at_unix_ms",
			    json_object_new_int64(m->created_at_unix_ms));
			json_object_array_add(a, j);
		}
		json_object_object_add(o, "messages", a);
		json_object_object_add(o, "next_cursor", jstr(resp->next_cursor));
		print_json(o);
	} else {
		printf("%-8s  %-20s  %-14s  %-11s  %-34s  %-5s  %s\n", "ID", "CREATED", "PHONE", "STATE",
		    "MESSAGE SID", "ERROR", "TRIES");
		for (size_t i = 0; i < resp->n_messages; i++) {
			Phoneauth__V1__Message *m = resp->messages[i];
			char                    code[16] = "-";

			if (m->error_code)
				(void) snprintf(code, sizeof code, "%d", m->error_code);
			printf("%-8llu  %-20s  %-14s  %-11s  %-34s  %-5s  %u\n", (unsigned long long) m->id,
			    when(m->created_at_unix_ms, t1), m->phone_masked, m->state,
			    m->message_sid[0] ? m->message_sid : "-", code, m->attempts);
		}
		if (resp->next_cursor[0])
			printf("next page: --cursor %s\n", resp->next_cursor);
	}
	pa_reply_clear(&r);
	return 0;
}

#define SYN_AUDIT "audit [--type T] [--user U] [--phone P] [--since UNIX_MS] [--limit N] [--oldest]"

static int
cmd_audit(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ListAuditEventsRequest   req = PHONEAUTH__V1__LIST_AUDIT_EVENTS_REQUEST__INIT;
	const char *const names[]  = { "--type", "--user", "--phone", "--since", "--limit", "--cursor",
		NULL };
	const char *const fnames[] = { "--oldest", NULL };
	const char       *values[6] = { NULL };
	bool              flags[1]  = { false };
	Phoneauth__V1__ListAuditEventsResponse *resp;
	struct pa_reply   r;
	char              t1[32];
	int               st;

	if ((st = opts(argc, argv, SYN_AUDIT, names, values, flags, fnames, NULL)) != 0)
		return st;
	req.event        = (char *) (values[0] ? values[0] : "");
	req.user_id      = (char *) (values[1] ? values[1] : "");
	req.phone        = (char *) (values[2] ? values[2] : "");
	req.from_unix_ms = values[3] ? strtoll(values[3], NULL, 10) : 0;
	req.page_size    = values[4] ? (uint32_t) atoi(values[4]) : 0;
	req.cursor       = (char *) (values[5] ? values[5] : "");
	req.oldest_first = flags[0];
	if ((st = admin_call(ctx, "ListAuditEvents", &req.base,
	         &phoneauth__v1__list_audit_events_response__descriptor, &r)) != 0)
		return st;
	resp = (Phoneauth__V1__ListAuditEventsResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < resp->n_events; i++) {
			Phoneauth__V1__AuditEvent *e = resp->events[i];
			json_object               *j = json_object_new_object();

			json_object_object_add(j, "id", json_object_new_int64((int64_t) e->id));
			json_object_object_add(j, "at_unix_ms", json_object_new_int64(e->at_unix_ms));
			json_object_object_add(j, "event", jstr(e->event));
			json_object_object_add(j, "actor", jstr(e->actor));
			json_object_object_add(j, "phone", jstr(e->phone_masked));
			json_object_object_add(j, "message_sid", jstr(e->message_sid));
			json_object_object_add(j, "outcome", jstr(e->outcome));
			json_object_object_add(j, "detail", jstr(e->detail_json));
			json_object_array_add(a, j);
		}
		json_object_object_add(o, "events", a);
		json_object_object_add(o, "next_cursor", jstr(resp->next_cursor));
		print_json(o);
	} else {
		printf("%-8s  %-20s  %-20s  %-10s  %-14s  %-34s  %s\n", "ID", "AT", "EVENT", "ACTOR",
		    "PHONE", "MESSAGE SID", "OUTCOME");
		for (size_t i = 0; i < resp->n_events; i++) {
			Phoneauth__V1__AuditEvent *e = resp->events[i];

			printf("%-8llu  %-20s  %-20s  %-10s  %-14s  %-34s  %s\n",
			    (unsigned long long) e->id, when(e->at_unix_ms, t1), e->event, e->actor,
			    e->phone_masked[0] ? e->phone_masked : "-",
			    e->message_sid[0] ? e->message_sid : "-", e->outcome[0] ? e->outcome : "-");
		}
		if (resp->next_cursor[0])
			printf("next page: --cursor %s\n", resp->next_cursor);
	}
	pa_reply_clear(&r);
	return 0;
}

#define SYN_STATS "stats [--window SECONDS]"

static int
cmd_stats(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__StatsRequest   req       = PHONEAUTH__V1__STATS_REQUEST__INIT;
	const char *const             names[]   = { "--window", NULL };
	const char                   *values[1] = { NULL };
	Phoneauth__V1__StatsResponse *s;
	struct pa_reply               r;
	int                           st;

	if ((st = opts(argc, argv, SYN_STATS, names, values, NULL, NULL, NULL)) != 0)
		return st;
	req.window_s = values[0] ? (uint32_t) atoi(values[0]) : 0;
	if ((st = admin_call(ctx, "Stats", &req.base, &phoneauth__v1__stats_response__descriptor,
	         &r)) != 0)
		return st;
	s = (Phoneauth__V1__StatsResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_object(),
		            *c = json_object_new_object();

		json_object_object_add(o, "window_s", json_object_new_int((int) s->window_s));
		json_object_object_add(o, "verifications_started",
		    json_object_new_int64((int64_t) s->verifications_started));
		json_object_object_add(o, "verifications_verified",
		    json_object_new_int64((int64_t) s->verifications_verified));
		json_object_object_add(o, "verifications_expired",
		    json_object_new_int64((int64_t) s->verifications_expired));
		for (size_t i = 0; i < s->n_sends_by_status; i++)
			json_object_object_add(a, s->sends_by_status[i]->key,
			    json_object_new_int64((int64_t) s->sends_by_status[i]->count));
		for (size_t i = 0; i < s->n_sends_by_country; i++)
			json_object_object_add(c, s->sends_by_country[i]->key,
			    json_object_new_int64((int64_t) s->sends_by_country[i]->count));
		json_object_object_add(o, "sends_by_status", a);
		json_object_object_add(o, "sends_by_country", c);
		print_json(o);
	} else {
		printf("window                  %u s\nverifications started   %llu\n"
		       "verified                %llu\nexpired                 %llu\nsends by status:\n",
		    s->window_s, (unsigned long long) s->verifications_started,
		    (unsigned long long) s->verifications_verified,
		    (unsigned long long) s->verifications_expired);
		for (size_t i = 0; i < s->n_sends_by_status; i++)
			printf("  %-14s %llu\n", s->sends_by_status[i]->key,
			    (unsigned long long) s->sends_by_status[i]->count);
		printf("sends by country code:\n");
		for (size_t i = 0; i < s->n_sends_by_country; i++)
			printf("  %-14s %llu\n", s->sends_by_country[i]->key,
			    (unsigned long long) s->sends_by_country[i]->count);
	}
	pa_reply_clear(&r);
	return 0;
}

const struct cli_command cli_admin_commands[] = {
	{ "users", "[--verified|--unverified] [--search S]: list users (admin)", cmd_users },
	{ "user", "PHONE_OR_EMAIL_OR_ID: one user, its verification and timeline (admin)", cmd_user },
	{ "messages", "[--status S] [--sid SID]: SMS sent, with SIDs and errors (admin)",
	    cmd_messages },
	{ "audit", "[--type T] [--user U] [--phone P] [--since MS]: the audit trail (admin)",
	    cmd_audit },
	{ "stats", "[--window SECONDS]: verifications and sends over a window (admin)", cmd_stats },
	{ NULL, NULL, NULL },
};
