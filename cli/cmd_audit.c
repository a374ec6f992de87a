/* cmd_audit.c: `phoneauth audit`: the audit trail a page at a time, --follow for new rows as
 * they come, and `audit verify`, which rechecks the signed hash chain. */
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
#include "cmd_audit.h"
#include "common/config.h"
#include "output.h"
#include "phoneauth/v1/admin.pb-c.h"

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
	json_object_object_add(j, "event", cli_out_json_str(e->event));
	json_object_object_add(j, "actor", cli_out_json_str(e->actor));
	json_object_object_add(j, "phone", cli_out_json_str(e->phone_masked));
	json_object_object_add(j, "message_sid", cli_out_json_str(e->message_sid));
	json_object_object_add(j, "outcome", cli_out_json_str(e->outcome));
	json_object_object_add(j, "detail", cli_out_json_str(e->detail_json));
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

		st = cli_call_admin(ctx, "ListAuditEvents", &req->base,
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
		json_object_object_add(o, "last_hash", cli_out_json_str(v->last_hash_hex));
		json_object_object_add(o, "public_key", cli_out_json_str(v->public_key_hex));
		json_object_object_add(o, "bad_row", json_object_new_int64((int64_t) v->bad_row));
		json_object_object_add(
		    o, "bad_checkpoint", json_object_new_int64((int64_t) v->bad_checkpoint));
		json_object_object_add(o, "problem", cli_out_json_str(v->problem));
		st = cli_out_json(o);
	} else if (v->ok) {
		printf("✅ audit trail intact: %llu rows in %llu signed checkpoints "
		       "(through row %llu), %llu newer rows not signed yet\n"
		       "key  %s\nhead %s\n",
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

int
cli_cmd_audit(struct cli_ctx *ctx, int argc, char **argv)
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
		json_object_object_add(o, "next_cursor", cli_out_json_str(resp->next_cursor));
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
