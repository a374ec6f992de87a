/* cmd_admin.c: the CLI's admin views (users, user, messages, audit, stats) over the Admin service,
 * with the token from $PHONEAUTH_ADMIN_TOKEN: aligned tables for people, --json for scripts. */
#define _DEFAULT_SOURCE /* timegm */
#define _XOPEN_SOURCE 700 /* strptime */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "args.h"
#include "call.h"
#include "cmd_admin.h"
#include "common/config.h"
#include "output.h"
#include "phoneauth/v1/admin.pb-c.h"

#define SYN_USERS "users [--verified|--unverified] [--search S] [--limit N] [--cursor C]"

static int
cmd_users(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ListUsersRequest req    = PHONEAUTH__V1__LIST_USERS_REQUEST__INIT;
	const char                     *search = "", *limit = NULL, *cursor = "";
	bool                            verified = false, unverified = false;
	const struct cli_opt  opts[] = { { "--search", &search, NULL }, { "--limit", &limit, NULL },
		 { "--cursor", &cursor, NULL }, { "--verified", NULL, &verified },
		 { "--unverified", NULL, &unverified }, { NULL, NULL, NULL } };
	const struct cli_args args   = { .synopsis = SYN_USERS, .opts = opts, .strict = true };
	Phoneauth__V1__ListUsersResponse *resp;
	struct pa_reply                   r;
	char                              t1[32];
	int                               st;

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	req.verified  = verified ? PHONEAUTH__V1__VERIFIED_FILTER__VERIFIED_ONLY
	     : unverified        ? PHONEAUTH__V1__VERIFIED_FILTER__UNVERIFIED_ONLY
	                         : PHONEAUTH__V1__VERIFIED_FILTER__VERIFIED_ANY;
	req.search    = (char *) search;
	req.page_size = limit ? (uint32_t) atoi(limit) : 0;
	req.cursor    = (char *) cursor;

	st = cli_call_admin(
	    ctx, "ListUsers", &req.base, &phoneauth__v1__list_users_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__ListUsersResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < resp->n_users; i++) {
			Phoneauth__V1__UserSummary *u = resp->users[i];
			json_object                *j = json_object_new_object();

			json_object_object_add(j, "user_id", cli_json_str(u->user_id));
			json_object_object_add(j, "phone", cli_json_str(u->phone_e164));
			json_object_object_add(j, "email", cli_json_str(u->email));
			json_object_object_add(j, "verified", json_object_new_boolean(u->verified));
			json_object_object_add(j, "verified_at_unix_ms",
			    json_object_new_int64(u->verified_at_unix_ms));
			json_object_object_add(
			    j, "created_at_unix_ms", json_object_new_int64(u->created_at_unix_ms));
			json_object_object_add(j, "message_sid", cli_json_str(u->message_sid));
			json_object_array_add(a, j);
		}
		json_object_object_add(o, "users", a);
		json_object_object_add(o, "total", json_object_new_int64((int64_t) resp->total));
		json_object_object_add(o, "next_cursor", cli_json_str(resp->next_cursor));
		st = cli_out_json(o);
	} else {
		printf("%-36s  %-16s  %-28s  %-8s  %-20s  %-34s\n", "USER", "PHONE", "EMAIL",
		    "VERIFIED", "VERIFIED AT", "MESSAGE SID");
		for (size_t i = 0; i < resp->n_users; i++) {
			Phoneauth__V1__UserSummary *u = resp->users[i];

			/* The emoji is two columns wide but one "character" to printf. */
			printf("%-36s  %-16s  %-28s  %s        %-20s  %-34s\n", u->user_id,
			    u->phone_e164, u->email[0] ? u->email : "-", u->verified ? "✅" : "❌",
			    cli_out_when(u->verified_at_unix_ms, t1),
			    u->message_sid[0] ? u->message_sid : "-");
		}
		printf("%zu of %llu users%s%s\n", resp->n_users, (unsigned long long) resp->total,
		    resp->next_cursor[0] ? "; next page: --cursor " : "", resp->next_cursor);
	}
	pa_reply_clear(&r);
	return st;
}

#define SYN_USER "user PHONE_OR_EMAIL_OR_ID"

static int
cmd_user(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__GetUserRequest   req = PHONEAUTH__V1__GET_USER_REQUEST__INIT;
	Phoneauth__V1__GetUserResponse *resp;
	Phoneauth__V1__UserSummary     *u;
	const char                     *pos[1];
	const struct cli_args           args
	    = { .synopsis = SYN_USER, .pos = pos, .npos = 1, .strict = true };
	struct pa_reply r;
	char            t1[32];
	int             st;

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	/* Not nreq = 1: a missing user has always printed the synopsis alone. */
	if (pos[0] == NULL) {
		fprintf(stderr, "usage: phoneauth %s\n", SYN_USER);
		return 2;
	}
	req.user = (char *) pos[0];

	st = cli_call_admin(
	    ctx, "GetUser", &req.base, &phoneauth__v1__get_user_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__GetUserResponse *) r.body;
	u    = resp->user;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *tl = json_object_new_array();

		json_object_object_add(o, "user_id", cli_json_str(u->user_id));
		json_object_object_add(o, "phone", cli_json_str(u->phone_e164));
		json_object_object_add(o, "email", cli_json_str(u->email));
		json_object_object_add(o, "verified", json_object_new_boolean(u->verified));
		json_object_object_add(
		    o, "verified_at_unix_ms", json_object_new_int64(u->verified_at_unix_ms));
		json_object_object_add(o, "verification_id", cli_json_str(resp->verification_id));
		json_object_object_add(o, "message_sid", cli_json_str(u->message_sid));
		json_object_object_add(o, "delivery_status", cli_json_str(resp->delivery_status));
		json_object_object_add(o, "sessions", json_object_new_int((int) resp->sessions));
		for (size_t i = 0; i < resp->n_timeline; i++) {
			Phoneauth__V1__TimelineEntry *e = resp->timeline[i];
			json_object *j = json_object_new_object(), *s = json_object_new_array();

			json_object_object_add(j, "kind",
			    cli_json_str(e->kind == PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND
			            ? "send"
			            : "code_check"));
			json_object_object_add(
			    j, "at_unix_ms", json_object_new_int64(e->at_unix_ms));
			json_object_object_add(j, "message_sid", cli_json_str(e->message_sid));
			json_object_object_add(j, "outcome", cli_json_str(e->outcome));
			for (size_t k = 0; k < e->n_statuses; k++) {
				json_object *c = json_object_new_object();

				json_object_object_add(
				    c, "status", cli_json_str(e->statuses[k]->status));
				json_object_object_add(c, "at_unix_ms",
				    json_object_new_int64(e->statuses[k]->at_unix_ms));
				json_object_array_add(s, c);
			}
			json_object_object_add(j, "statuses", s);
			json_object_array_add(tl, j);
		}
		json_object_object_add(o, "timeline", tl);
		st = cli_out_json(o);
	} else {
		printf("user             %s\nphone            %s\nemail            %s\n"
		       "verified         %s\nverified at      %s\nmessage sid      %s\n"
		       "delivery status  %s\nsessions         %u\n",
		    u->user_id, u->phone_e164, u->email[0] ? u->email : "-",
		    u->verified ? "✅ yes" : "❌ no", cli_out_when(u->verified_at_unix_ms, t1),
		    u->message_sid[0] ? u->message_sid : "-",
		    resp->delivery_status[0] ? resp->delivery_status : "-", resp->sessions);
		printf("timeline:\n");
		for (size_t i = 0; i < resp->n_timeline; i++) {
			Phoneauth__V1__TimelineEntry *e = resp->timeline[i];

			printf("  %-20s  %-10s  %-34s  %s", cli_out_when(e->at_unix_ms, t1),
			    e->kind == PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND ? "sms"
			                                                         : "code check",
			    e->message_sid[0] ? e->message_sid : "-", e->outcome);
			for (size_t k = 0; k < e->n_statuses; k++)
				printf("%s%s", k == 0 ? "  [" : " → ", e->statuses[k]->status);
			printf("%s\n", e->n_statuses ? "]" : "");
		}
	}
	pa_reply_clear(&r);
	return st;
}

#define SYN_MESSAGES "messages [--status S] [--sid SID] [--limit N] [--cursor C]"

static int
cmd_messages(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ListMessagesRequest req   = PHONEAUTH__V1__LIST_MESSAGES_REQUEST__INIT;
	const char                        *state = "", *sid = "", *limit = NULL, *cursor = "";
	const struct cli_opt  opts[] = { { "--status", &state, NULL }, { "--sid", &sid, NULL },
		 { "--limit", &limit, NULL }, { "--cursor", &cursor, NULL }, { NULL, NULL, NULL } };
	const struct cli_args args   = { .synopsis = SYN_MESSAGES, .opts = opts, .strict = true };
	Phoneauth__V1__ListMessagesResponse *resp;
	struct pa_reply                      r;
	char                                 t1[32];
	int                                  st;

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	req.state       = (char *) state;
	req.message_sid = (char *) sid;
	req.page_size   = limit ? (uint32_t) atoi(limit) : 0;
	req.cursor      = (char *) cursor;

	st = cli_call_admin(
	    ctx, "ListMessages", &req.base, &phoneauth__v1__list_messages_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__ListMessagesResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < resp->n_messages; i++) {
			Phoneauth__V1__Message *m = resp->messages[i];
			json_object            *j = json_object_new_object();

			json_object_object_add(j, "id", json_object_new_int64((int64_t) m->id));
			json_object_object_add(j, "phone", cli_json_str(m->phone_masked));
			json_object_object_add(j, "state", cli_json_str(m->state));
			json_object_object_add(j, "message_sid", cli_json_str(m->message_sid));
			json_object_object_add(j, "twilio_status", cli_json_str(m->twilio_status));
			json_object_object_add(j, "error_code", json_object_new_int(m->error_code));
			json_object_object_add(
			    j, "attempts", json_object_new_int((int) m->attempts));
			json_object_object_add(
			    j, "created_at_unix_ms", json_object_new_int64(m->created_at_unix_ms));
			json_object_array_add(a, j);
		}
		json_object_object_add(o, "messages", a);
		json_object_object_add(o, "next_cursor", cli_json_str(resp->next_cursor));
		st = cli_out_json(o);
	} else {
		printf("%-8s  %-20s  %-14s  %-11s  %-34s  %-5s  %s\n", "ID", "CREATED", "PHONE",
		    "STATE", "MESSAGE SID", "ERROR", "TRIES");
		for (size_t i = 0; i < resp->n_messages; i++) {
			Phoneauth__V1__Message *m        = resp->messages[i];
			char                    code[16] = "-";

			if (m->error_code)
				(void) snprintf(code, sizeof code, "%d", m->error_code);
			printf("%-8llu  %-20s  %-14s  %-11s  %-34s  %-5s  %u\n",
			    (unsigned long long) m->id, cli_out_when(m->created_at_unix_ms, t1),
			    m->phone_masked, m->state, m->message_sid[0] ? m->message_sid : "-",
			    code, m->attempts);
		}
		if (resp->next_cursor[0])
			printf("next page: --cursor %s\n", resp->next_cursor);
	}
	pa_reply_clear(&r);
	return st;
}

/* A --since value as unix ms: "24h"/"30m"/"7d" ago, "2026-11-21" or "2026-11-21T10:00:00Z"
 * (UTC), or unix milliseconds. False for anything else. */
static bool
parse_since(const char *s, int64_t *out)
{
	struct tm   tm = { 0 };
	const char *end;
	long        ago;

	if (pa_duration_parse(s, &ago)) {
		*out = ((int64_t) time(NULL) - ago) * 1000;
		/* Twelve digits or more is a timestamp, not a number of seconds ago. */
		if (strlen(s) >= 12 && strspn(s, "0123456789") == strlen(s))
			*out = strtoll(s, NULL, 10);
		return true;
	}
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return false;
	if (*end == 'T' || *end == ' ')
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return false;
	*out = (int64_t) timegm(&tm) * 1000;
	return true;
}

static json_object *
event_json(const Phoneauth__V1__AuditEvent *e)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "id", json_object_new_int64((int64_t) e->id));
	json_object_object_add(j, "at_unix_ms", json_object_new_int64(e->at_unix_ms));
	json_object_object_add(j, "event", cli_json_str(e->event));
	json_object_object_add(j, "actor", cli_json_str(e->actor));
	json_object_object_add(j, "phone", cli_json_str(e->phone_masked));
	json_object_object_add(j, "message_sid", cli_json_str(e->message_sid));
	json_object_object_add(j, "outcome", cli_json_str(e->outcome));
	json_object_object_add(j, "detail", cli_json_str(e->detail_json));
	return j;
}

static void
print_event(struct cli_ctx *ctx, const Phoneauth__V1__AuditEvent *e)
{
	char t1[32];

	if (ctx->json) {
		(void) cli_out_json(event_json(e)); /* a line lost to memory is said on stderr */
		return;
	}
	printf("%-8llu  %-20s  %-20s  %-10s  %-14s  %-34s  %s\n", (unsigned long long) e->id,
	    cli_out_when(e->at_unix_ms, t1), e->event, e->actor,
	    e->phone_masked[0] ? e->phone_masked : "-", e->message_sid[0] ? e->message_sid : "-",
	    e->outcome[0] ? e->outcome : "-");
}

static void
print_event_header(struct cli_ctx *ctx)
{
	if (!ctx->json)
		printf("%-8s  %-20s  %-20s  %-10s  %-14s  %-34s  %s\n", "ID", "AT", "EVENT",
		    "ACTOR", "PHONE", "MESSAGE SID", "OUTCOME");
}

static volatile sig_atomic_t follow_stop;

static void
on_follow_signal(int sig)
{
	(void) sig;
	follow_stop = 1;
}

/* --follow: the newest page (or everything since --since), then new rows as they come, oldest
 * first, one poll every two seconds until interrupted. JSON is one object per line. */
static int
audit_follow(struct cli_ctx *ctx, Phoneauth__V1__ListAuditEventsRequest *req)
{
	char            follow_id[17], cursor[24] = "";
	unsigned char   rnd[8];
	struct pa_reply r;
	int             st = 0;

	randombytes_buf(rnd, sizeof rnd);
	(void) sodium_bin2hex(follow_id, sizeof follow_id, rnd, sizeof rnd);
	req->follow_id = follow_id;
	signal(SIGINT, on_follow_signal);
	signal(SIGTERM, on_follow_signal);
	print_event_header(ctx);
	if (req->from_unix_ms == 0) {
		/* No --since: start from the newest page, printed oldest first. */
		Phoneauth__V1__ListAuditEventsResponse *resp;

		req->oldest_first = false;

		st = cli_call_admin(ctx, "ListAuditEvents", &req->base,
		    &phoneauth__v1__list_audit_events_response__descriptor, &r);
		if (st != 0)
			return st;
		resp = (Phoneauth__V1__ListAuditEventsResponse *) r.body;
		for (size_t i = resp->n_events; i > 0; i--)
			print_event(ctx, resp->events[i - 1]);
		if (resp->n_events > 0)
			(void) snprintf(cursor, sizeof cursor, "%llu",
			    (unsigned long long) resp->events[0]->id);
		pa_reply_clear(&r);
	}
	req->oldest_first = true;
	while (!follow_stop) {
		Phoneauth__V1__ListAuditEventsResponse *resp;
		bool                                    more;

		req->cursor = cursor;
		st          = cli_call_admin(ctx, "ListAuditEvents", &req->base,
		             &phoneauth__v1__list_audit_events_response__descriptor, &r);
		if (st != 0)
			break;
		resp = (Phoneauth__V1__ListAuditEventsResponse *) r.body;
		for (size_t i = 0; i < resp->n_events; i++)
			print_event(ctx, resp->events[i]);
		if (resp->n_events > 0)
			(void) snprintf(cursor, sizeof cursor, "%llu",
			    (unsigned long long) resp->events[resp->n_events - 1]->id);
		more = resp->next_cursor[0] != '\0';
		pa_reply_clear(&r);
		(void) fflush(stdout);
		for (int i = 0; !more && i < 20 && !follow_stop; i++) {
			struct timespec ts = { 0, 100 * 1000000L };

			(void) nanosleep(&ts, NULL);
		}
	}
	return follow_stop ? 0 : st;
}

#define SYN_AUDIT_VERIFY "audit verify [--head HASH]"

/* Exit status: 0 when the chain matches, 3 when it does not (so scripts can tell tampering from
 * an unreachable service). */
static int
audit_verify(struct cli_ctx *ctx, const char *known_head)
{
	Phoneauth__V1__VerifyAuditRequest   req = PHONEAUTH__V1__VERIFY_AUDIT_REQUEST__INIT;
	Phoneauth__V1__VerifyAuditResponse *v;
	struct pa_reply                     r;
	int                                 st, saved = ctx->timeout_ms;

	req.known_hash_hex = (char *) (known_head ? known_head : "");
	/* A long trail takes a while to rehash; wait longer unless --timeout said otherwise. */
	if (ctx->timeout_ms == CLI_DEFAULT_TIMEOUT_MS)
		ctx->timeout_ms = 10 * 60 * 1000;

	st = cli_call_admin(
	    ctx, "VerifyAudit", &req.base, &phoneauth__v1__verify_audit_response__descriptor, &r);
	ctx->timeout_ms = saved;
	if (st != 0)
		return st;
	v = (Phoneauth__V1__VerifyAuditResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "ok", json_object_new_boolean(v->ok));
		json_object_object_add(
		    o, "checkpoints", json_object_new_int64((int64_t) v->checkpoints));
		json_object_object_add(
		    o, "rows_checked", json_object_new_int64((int64_t) v->rows_checked));
		json_object_object_add(
		    o, "rows_unsigned", json_object_new_int64((int64_t) v->rows_unsigned));
		json_object_object_add(
		    o, "last_signed_row", json_object_new_int64((int64_t) v->last_signed_row));
		json_object_object_add(o, "last_hash", cli_json_str(v->last_hash_hex));
		json_object_object_add(o, "public_key", cli_json_str(v->public_key_hex));
		json_object_object_add(o, "bad_row", json_object_new_int64((int64_t) v->bad_row));
		json_object_object_add(
		    o, "bad_checkpoint", json_object_new_int64((int64_t) v->bad_checkpoint));
		json_object_object_add(o, "problem", cli_json_str(v->problem));
		st = cli_out_json(o);
	} else if (v->ok) {
		printf("✅ audit trail intact: %llu rows in %llu signed checkpoints (through row "
		       "%llu), "
		       "%llu newer rows not signed yet\nkey  %s\nhead %s\n",
		    (unsigned long long) v->rows_checked, (unsigned long long) v->checkpoints,
		    (unsigned long long) v->last_signed_row, (unsigned long long) v->rows_unsigned,
		    v->public_key_hex, v->last_hash_hex);
	} else {
		printf("❌ audit trail does not match: %s\n", v->problem);
		if (v->bad_row != 0)
			printf("first bad row: %llu\n", (unsigned long long) v->bad_row);
		printf("checkpoint: %llu (the %llu before it match)\nkey  %s\n",
		    (unsigned long long) v->bad_checkpoint, (unsigned long long) v->checkpoints,
		    v->public_key_hex);
	}
	if (st == 0 && !v->ok)
		st = 3;
	pa_reply_clear(&r);
	return st;
}

#define SYN_AUDIT                                                             \
	"audit [--type T] [--user U] [--phone P] [--since 24h|DATE|UNIX_MS] " \
	"[--limit N] [--oldest] [--follow]"

static int
cmd_audit(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ListAuditEventsRequest req = PHONEAUTH__V1__LIST_AUDIT_EVENTS_REQUEST__INIT;
	const char *type = "", *user = "", *phone = "", *since = NULL, *limit = NULL, *cursor = "";
	const char *head   = NULL, *pos[1];
	bool        oldest = false, follow = false;
	const struct cli_opt  opts[] = { { "--type", &type, NULL }, { "--user", &user, NULL },
		 { "--phone", &phone, NULL }, { "--since", &since, NULL },
		 { "--limit", &limit, NULL }, { "--cursor", &cursor, NULL },
		 { "--head", &head, NULL }, { "--oldest", NULL, &oldest },
		 { "--follow", NULL, &follow }, { NULL, NULL, NULL } };
	const struct cli_args args
	    = { .synopsis = SYN_AUDIT, .opts = opts, .pos = pos, .npos = 1, .strict = true };
	Phoneauth__V1__ListAuditEventsResponse *resp;
	struct pa_reply                         r;
	int                                     st;

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	if (pos[0] != NULL) {
		/* "audit verify" takes --head and nothing else. */
		if (strcmp(pos[0], "verify") != 0 || argc != (head ? 3 : 1)) {
			fprintf(stderr, "usage: phoneauth %s\n       phoneauth %s\n", SYN_AUDIT,
			    SYN_AUDIT_VERIFY);
			return 2;
		}
		return audit_verify(ctx, head);
	}
	req.event        = (char *) type;
	req.user_id      = (char *) user;
	req.phone        = (char *) phone;
	req.page_size    = limit ? (uint32_t) atoi(limit) : 0;
	req.cursor       = (char *) cursor;
	req.oldest_first = oldest;
	if (since != NULL && !parse_since(since, &req.from_unix_ms)) {
		fprintf(stderr,
		    "phoneauth: --since takes 90s, 30m, 24h or 7d (ago), a date like "
		    "2026-11-21 or 2026-11-21T10:00:00Z (UTC), or unix milliseconds\n");
		return 2;
	}
	if (follow)
		return audit_follow(ctx, &req);

	st = cli_call_admin(ctx, "ListAuditEvents", &req.base,
	    &phoneauth__v1__list_audit_events_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__ListAuditEventsResponse *) r.body;
	if (ctx->json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < resp->n_events; i++)
			json_object_array_add(a, event_json(resp->events[i]));
		json_object_object_add(o, "events", a);
		json_object_object_add(o, "next_cursor", cli_json_str(resp->next_cursor));
		st = cli_out_json(o);
	} else {
		print_event_header(ctx);
		for (size_t i = 0; i < resp->n_events; i++)
			print_event(ctx, resp->events[i]);
		if (resp->next_cursor[0])
			printf("next page: --cursor %s\n", resp->next_cursor);
	}
	pa_reply_clear(&r);
	return st;
}

#define SYN_STATS "stats [--window 24h]"

static int
cmd_stats(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__StatsRequest req    = PHONEAUTH__V1__STATS_REQUEST__INIT;
	const char                 *window = NULL;
	const struct cli_opt  opts[] = { { "--window", &window, NULL }, { NULL, NULL, NULL } };
	const struct cli_args args   = { .synopsis = SYN_STATS, .opts = opts, .strict = true };
	Phoneauth__V1__StatsResponse *s;
	struct pa_reply               r;
	int                           st;

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	if (window != NULL) {
		long w;

		if (!pa_duration_parse(window, &w) || w <= 0 || w > 366L * 86400) {
			fprintf(stderr,
			    "phoneauth: --window takes a duration like 3600, 90m, 24h or 7d "
			    "(at most 366d)\n");
			return 2;
		}
		req.window_s = (uint32_t) w;
	}
	st = cli_call_admin(
	    ctx, "Stats", &req.base, &phoneauth__v1__stats_response__descriptor, &r);
	if (st != 0)
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
		st = cli_out_json(o);
	} else {
		printf("window                  %u s\nverifications started   %llu\n"
		       "verified                %llu\nexpired                 %llu\nsends by "
		       "status:\n",
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
	return st;
}

const struct cli_command cli_admin_commands[] = {
	{ "users", "[--verified|--unverified] [--search S]: list users (admin)", cmd_users },
	{ "user", "PHONE_OR_EMAIL_OR_ID: one user, its verification and timeline (admin)",
	    cmd_user },
	{ "messages", "[--status S] [--sid SID]: SMS sent, with SIDs and errors (admin)",
	    cmd_messages },
	{ "audit", "[--type T] [--user U] [--since 24h] [--follow]: the audit trail (admin)",
	    cmd_audit },
	{ "audit verify", "[--head HASH]: recheck the signed audit chain; names the first bad row",
	    NULL },
	{ "stats", "[--window 24h]: verifications and sends over a window (admin)", cmd_stats },
	{ NULL, NULL, NULL },
};
