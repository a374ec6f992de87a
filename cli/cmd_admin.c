/* cmd_admin.c: the CLI's admin views (users, user, messages, stats; audit is cmd_audit.c's) over
 * the Admin service: aligned tables for people, --json for scripts. */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "args.h"
#include "call.h"
#include "cmd_admin.h"
#include "cmd_audit.h"
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

			json_object_object_add(j, "user_id", cli_out_json_str(u->user_id));
			json_object_object_add(j, "phone", cli_out_json_str(u->phone_e164));
			json_object_object_add(j, "email", cli_out_json_str(u->email));
			json_object_object_add(j, "verified", json_object_new_boolean(u->verified));
			json_object_object_add(j, "verified_at_unix_ms",
			    json_object_new_int64(u->verified_at_unix_ms));
			json_object_object_add(
			    j, "created_at_unix_ms", json_object_new_int64(u->created_at_unix_ms));
			json_object_object_add(j, "message_sid", cli_out_json_str(u->message_sid));
			json_object_object_add(j, "channel", cli_out_json_str(u->channel));
			json_object_array_add(a, j);
		}
		json_object_object_add(o, "users", a);
		json_object_object_add(o, "total", json_object_new_int64((int64_t) resp->total));
		json_object_object_add(o, "next_cursor", cli_out_json_str(resp->next_cursor));
		st = cli_out_json(o);
	} else {
		printf("%-36s  %-16s  %-28s  %-8s  %-20s  %-34s  %s\n", "USER", "PHONE", "EMAIL",
		    "VERIFIED", "VERIFIED AT", "MESSAGE SID", "CHANNEL");
		for (size_t i = 0; i < resp->n_users; i++) {
			Phoneauth__V1__UserSummary *u = resp->users[i];

			/* The emoji is two columns wide but one "character" to printf. */
			printf("%-36s  %-16s  %-28s  %s        %-20s  %-34s  %s\n", u->user_id,
			    u->phone_e164, u->email[0] ? u->email : "-", u->verified ? "✅" : "❌",
			    cli_out_when(u->verified_at_unix_ms, t1),
			    u->message_sid[0] ? u->message_sid : "-",
			    u->channel[0] ? u->channel : "-");
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

		json_object_object_add(o, "user_id", cli_out_json_str(u->user_id));
		json_object_object_add(o, "phone", cli_out_json_str(u->phone_e164));
		json_object_object_add(o, "email", cli_out_json_str(u->email));
		json_object_object_add(o, "verified", json_object_new_boolean(u->verified));
		json_object_object_add(
		    o, "verified_at_unix_ms", json_object_new_int64(u->verified_at_unix_ms));
		json_object_object_add(
		    o, "verification_id", cli_out_json_str(resp->verification_id));
		json_object_object_add(o, "message_sid", cli_out_json_str(u->message_sid));
		json_object_object_add(o, "channel", cli_out_json_str(u->channel));
		json_object_object_add(
		    o, "delivery_status", cli_out_json_str(resp->delivery_status));
		json_object_object_add(o, "sessions", json_object_new_int((int) resp->sessions));
		for (size_t i = 0; i < resp->n_timeline; i++) {
			Phoneauth__V1__TimelineEntry *e = resp->timeline[i];
			json_object *j = json_object_new_object(), *s = json_object_new_array();

			json_object_object_add(j, "kind",
			    cli_out_json_str(e->kind == PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND
			            ? "send"
			            : "code_check"));
			json_object_object_add(
			    j, "at_unix_ms", json_object_new_int64(e->at_unix_ms));
			json_object_object_add(j, "message_sid", cli_out_json_str(e->message_sid));
			json_object_object_add(j, "channel", cli_out_json_str(e->channel));
			json_object_object_add(j, "outcome", cli_out_json_str(e->outcome));
			for (size_t k = 0; k < e->n_statuses; k++) {
				json_object *c = json_object_new_object();

				json_object_object_add(
				    c, "status", cli_out_json_str(e->statuses[k]->status));
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
		       "channel          %s\ndelivery status  %s\nsessions         %u\n",
		    u->user_id, u->phone_e164, u->email[0] ? u->email : "-",
		    u->verified ? "✅ yes" : "❌ no", cli_out_when(u->verified_at_unix_ms, t1),
		    u->message_sid[0] ? u->message_sid : "-", u->channel[0] ? u->channel : "-",
		    resp->delivery_status[0] ? resp->delivery_status : "-", resp->sessions);
		printf("timeline:\n");
		for (size_t i = 0; i < resp->n_timeline; i++) {
			Phoneauth__V1__TimelineEntry *e = resp->timeline[i];

			/* A send shows its channel; rows from before channels were SMS. */
			printf("  %-20s  %-10s  %-34s  %s", cli_out_when(e->at_unix_ms, t1),
			    e->kind != PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND ? "code check"
			        : e->channel[0] != '\0'                          ? e->channel
			                                                         : "sms",
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
			json_object_object_add(j, "phone", cli_out_json_str(m->phone_masked));
			json_object_object_add(j, "state", cli_out_json_str(m->state));
			json_object_object_add(j, "message_sid", cli_out_json_str(m->message_sid));
			json_object_object_add(
			    j, "twilio_status", cli_out_json_str(m->twilio_status));
			json_object_object_add(j, "error_code", json_object_new_int(m->error_code));
			json_object_object_add(
			    j, "attempts", json_object_new_int((int) m->attempts));
			json_object_object_add(
			    j, "created_at_unix_ms", json_object_new_int64(m->created_at_unix_ms));
			json_object_object_add(j, "channel", cli_out_json_str(m->channel));
			json_object_object_add(j, "kind", cli_out_json_str(m->kind));
			json_object_object_add(j, "encoding", cli_out_json_str(m->encoding));
			json_object_object_add(
			    j, "segments", json_object_new_int64((int64_t) m->segments));
			json_object_object_add(j, "locale", cli_out_json_str(m->locale));
			json_object_object_add(
			    j, "fallback_for", json_object_new_int64((int64_t) m->fallback_for));
			json_object_array_add(a, j);
		}
		json_object_object_add(o, "messages", a);
		json_object_object_add(o, "next_cursor", cli_out_json_str(resp->next_cursor));
		st = cli_out_json(o);
	} else {
		printf(
		    "%-8s  %-20s  %-14s  %-8s  %-7s  %-11s  %-34s  %-5s  %-5s  %-8s  %-4s  %-6s  "
		    "%s\n",
		    "ID", "CREATED", "PHONE", "CHANNEL", "KIND", "STATE", "MESSAGE SID", "ERROR",
		    "TRIES", "ENCODING", "SEGS", "LOCALE", "FALLBACK FOR");
		for (size_t i = 0; i < resp->n_messages; i++) {
			Phoneauth__V1__Message *m        = resp->messages[i];
			char                    code[16] = "-", segs[16] = "-", fb[24] = "-";

			if (m->error_code)
				(void) snprintf(code, sizeof code, "%d", m->error_code);
			if (m->segments)
				(void) snprintf(segs, sizeof segs, "%u", m->segments);
			if (m->fallback_for)
				(void) snprintf(
				    fb, sizeof fb, "%llu", (unsigned long long) m->fallback_for);
			printf("%-8llu  %-20s  %-14s  %-8s  %-7s  %-11s  %-34s  %-5s  %-5u  %-8s  "
			       "%-4s  "
			       "%-6s  %s\n",
			    (unsigned long long) m->id, cli_out_when(m->created_at_unix_ms, t1),
			    m->phone_masked, m->channel[0] ? m->channel : "sms",
			    m->kind[0] ? m->kind : "message", m->state,
			    m->message_sid[0] ? m->message_sid : "-", code, m->attempts,
			    m->encoding[0] ? m->encoding : "-", segs,
			    m->locale[0] ? m->locale : "-", fb);
		}
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
		{
			json_object *ch = json_object_new_object();

			for (size_t i = 0; i < s->n_sends_by_channel; i++)
				json_object_object_add(ch, s->sends_by_channel[i]->key,
				    json_object_new_int64((int64_t) s->sends_by_channel[i]->count));
			json_object_object_add(o, "sends_by_channel", ch);
		}
		json_object_object_add(o, "test_verifications_started",
		    json_object_new_int64((int64_t) s->test_verifications_started));
		json_object_object_add(o, "test_verifications_verified",
		    json_object_new_int64((int64_t) s->test_verifications_verified));
		{
			json_object *v = json_object_new_array();

			for (size_t i = 0; i < s->n_conversion_by_country; i++) {
				const Phoneauth__V1__CountryConversion *k
				    = s->conversion_by_country[i];
				json_object *e = json_object_new_object();

				json_object_object_add(
				    e, "country", json_object_new_string(k->country));
				json_object_object_add(
				    e, "sends", json_object_new_int64((int64_t) k->sends));
				json_object_object_add(
				    e, "verified", json_object_new_int64((int64_t) k->verified));
				json_object_object_add(
				    e, "conversion", json_object_new_double(k->conversion));
				json_object_array_add(v, e);
			}
			json_object_object_add(o, "conversion_by_country", v);
		}
		st = cli_out_json(o);
	} else {
		printf("window                  %u s\n"
		       "verifications started   %llu\n"
		       "verified                %llu\n"
		       "expired                 %llu\n"
		       "sends by status:\n",
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
		if (s->n_sends_by_channel > 0)
			printf("sends by channel:\n");
		for (size_t i = 0; i < s->n_sends_by_channel; i++)
			printf("  %-14s %llu\n", s->sends_by_channel[i]->key,
			    (unsigned long long) s->sends_by_channel[i]->count);
		/* Test numbers (PHONEAUTH_TEST_NUMBERS) are never in the counts above. */
		if (s->test_verifications_started > 0)
			printf("test numbers            %llu started, %llu verified\n",
			    (unsigned long long) s->test_verifications_started,
			    (unsigned long long) s->test_verifications_verified);
		if (s->n_conversion_by_country > 0)
			printf("conversion by country (pumping defence): sends verified rate\n");
		for (size_t i = 0; i < s->n_conversion_by_country; i++)
			printf("  %-14s %llu %llu %.1f%%\n", s->conversion_by_country[i]->country,
			    (unsigned long long) s->conversion_by_country[i]->sends,
			    (unsigned long long) s->conversion_by_country[i]->verified,
			    100.0 * s->conversion_by_country[i]->conversion);
	}
	pa_reply_clear(&r);
	return st;
}

#define SYN_BREAKERS "breakers [--tripped] [--limit N]"

static int
cmd_breakers(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__ListBreakersRequest req     = PHONEAUTH__V1__LIST_BREAKERS_REQUEST__INIT;
	const char                        *limit   = NULL;
	bool                               tripped = false;
	const struct cli_opt               opts[]  = { { "--tripped", NULL, &tripped },
		               { "--limit", &limit, NULL }, { NULL, NULL, NULL } };
	const struct cli_args args = { .synopsis = SYN_BREAKERS, .opts = opts, .strict = true };
	Phoneauth__V1__ListBreakersResponse *resp;
	struct pa_reply                      r;
	char                                 t1[32], t2[32];
	int                                  st;

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	if (limit != NULL) {
		char *end;
		long  n = strtol(limit, &end, 10);

		if (*end != '\0' || n < 1 || n > 500) {
			fprintf(stderr, "phoneauth: --limit takes 1 to 500\n");
			return 2;
		}
		req.limit = (uint32_t) n;
	}
	req.tripped_only = tripped;
	st               = cli_call_admin(
	                  ctx, "ListBreakers", &req.base, &phoneauth__v1__list_breakers_response__descriptor, &r);
	if (st != 0)
		return st;
	resp = (Phoneauth__V1__ListBreakersResponse *) r.body;
	if (ctx->json) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < resp->n_breakers; i++) {
			const Phoneauth__V1__Breaker *b = resp->breakers[i];
			json_object                  *e = json_object_new_object();

			json_object_object_add(e, "level", json_object_new_string(b->level));
			json_object_object_add(e, "key", json_object_new_string(b->key));
			json_object_object_add(e, "state", json_object_new_string(b->state));
			json_object_object_add(e, "trips", json_object_new_int((int) b->trips));
			json_object_object_add(
			    e, "since_unix_ms", json_object_new_int64(b->since_unix_ms));
			json_object_object_add(
			    e, "rearm_at_unix_ms", json_object_new_int64(b->rearm_at_unix_ms));
			json_object_object_add(
			    e, "rearmed_by", json_object_new_string(b->rearmed_by));
			json_object_object_add(
			    e, "sends_day", json_object_new_int64((int64_t) b->sends_day));
			json_object_object_add(
			    e, "verified_day", json_object_new_int64((int64_t) b->verified_day));
			json_object_object_add(
			    e, "conversion_day", json_object_new_double(b->conversion_day));
			json_object_array_add(a, e);
		}
		st = cli_out_json(a);
	} else {
		printf("%-8s %-10s %-8s %5s %6s %8s %6s  %-20s %s\n", "LEVEL", "KEY", "STATE",
		    "TRIPS", "SENDS", "VERIFIED", "CONV", "SINCE", "RE-ARMS");
		for (size_t i = 0; i < resp->n_breakers; i++) {
			const Phoneauth__V1__Breaker *b = resp->breakers[i];

			printf("%-8s %-10s %-8s %5u %6llu %8llu %5.1f%%  %-20s %s\n", b->level,
			    b->key, b->state, b->trips, (unsigned long long) b->sends_day,
			    (unsigned long long) b->verified_day, 100.0 * b->conversion_day,
			    cli_out_when(b->since_unix_ms, t1),
			    b->rearm_at_unix_ms ? cli_out_when(b->rearm_at_unix_ms, t2) : "-");
		}
	}
	pa_reply_clear(&r);
	return st;
}

#define SYN_REARM "rearm country|prefix KEY"

static int
cmd_rearm(struct cli_ctx *ctx, int argc, char **argv)
{
	Phoneauth__V1__RearmBreakerRequest req = PHONEAUTH__V1__REARM_BREAKER_REQUEST__INIT;
	const char                        *pos[2];
	const struct cli_args              args
	    = { .synopsis = SYN_REARM, .pos = pos, .npos = 2, .nreq = 2, .strict = true };
	struct pa_reply r;
	int             st;

	if ((st = cli_args_parse(&args, argc, argv)) != CLI_ARGS_RUN)
		return st;
	req.level = (char *) pos[0];
	req.key   = (char *) pos[1];
	st        = cli_call_admin(
	           ctx, "RearmBreaker", &req.base, &phoneauth__v1__rearm_breaker_response__descriptor, &r);
	if (st != 0)
		return st;
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "rearmed",
		    json_object_new_boolean(
		        ((Phoneauth__V1__RearmBreakerResponse *) r.body)->rearmed));
		st = cli_out_json(o);
	} else {
		printf("%s\n", r.message != NULL ? r.message : "");
		st = ((Phoneauth__V1__RearmBreakerResponse *) r.body)->rearmed ? 0 : 1;
	}
	pa_reply_clear(&r);
	return st;
}

const struct cli_command cli_admin_commands[] = {
	{ "users", "[--verified|--unverified] [--search S]: list users (admin)", cmd_users },
	{ "user", "PHONE_OR_EMAIL_OR_ID: one user, its verification and timeline (admin)",
	    cmd_user },
	{ "messages",
	    "[--status S] [--sid SID]: messages sent: channel, SID, errors, encoding, segments "
	    "(admin)",
	    cmd_messages },
	{ "audit", "[--type T] [--user U] [--since 24h] [--follow]: the audit trail (admin)",
	    cli_cmd_audit },
	{ "audit verify", "[--head HASH]: recheck the signed audit chain; names the first bad row",
	    NULL },
	{ "stats", "[--window 24h]: verifications and sends over a window (admin)", cmd_stats },
	{ "breakers", "[--tripped] [--limit N]: the SMS pumping breakers (admin)", cmd_breakers },
	{ "rearm", "country|prefix KEY: re-arm a tripped pumping breaker (admin)", cmd_rearm },
	{ NULL, NULL, NULL },
};
