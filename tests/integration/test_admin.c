/* test_admin.c: the Admin service and the admin CLI against the real auth service, worker and
 * fake Twilio: tokens (none, wrong, short) refused and audited, ListUsers filters and paging
 * stable while users are added, GetUser showing the message SID and "delivered" after a signed
 * callback, the audit table refusing UPDATE, the CLI's tables and JSON, `audit --follow`, and
 * `audit verify` naming the row a superuser changed or deleted behind the service's back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "common/rpc_client.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "smskit.h"

static struct smskit_worker worker;
static char                 verified_phone[16], verified_user[37], sid[40];

static int
group_setup(void **state)
{
	(void) state;
	return smskit_setup_with_worker("t_admin", &worker, "smsw_admin", NULL);
}

static int
group_teardown(void **state)
{
	(void) state;
	return smskit_teardown_with_worker(&worker);
}

static pa_code
admin(const char *token, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, struct pa_reply *r)
{
	struct pa_client_opts o
	    = { .url = smskit_admin_url(), .timeout_ms = 5000, .admin_token = token };
	struct pa_client *c;
	char              path[96];

	assert_int_equal(pa_client_open(&c, &o), PA_OK);
	(void) snprintf(path, sizeof path, "/phoneauth.v1.Admin/%s", method);
	assert_int_equal(pa_client_call(c, path, req, desc, NULL, r), PA_OK);
	pa_client_close(c);
	return r->code;
}

static void
test_tokens(void **state)
{
	Phoneauth__V1__ListUsersRequest req = PHONEAUTH__V1__LIST_USERS_REQUEST__INIT;
	struct pa_reply                 r;
	long                            before = smskit_qlong(
	                               "SELECT count(*) FROM audit_events WHERE event = 'admin_denied'", NULL, NULL);
	const char *argv[] = { PHONEAUTH_AUTH_BIN, "check-config", NULL };
	char        db[600], out[2000];
	const char *env[] = { db, HARNESS_SERVICE_ENV, "PHONEAUTH_ADMIN_TOKEN=short", NULL };

	(void) state;
	assert_int_equal(admin(NULL, "ListUsers", &req.base,
	                     &phoneauth__v1__list_users_response__descriptor, &r),
	    PHONEAUTH__V1__CODE__PERMISSION_DENIED);
	assert_int_equal(r.reason, PHONEAUTH__V1__REASON__ADMIN_TOKEN_INVALID);
	assert_null(r.body);
	pa_reply_clear(&r);
	assert_int_equal(admin(SMSKIT_ADMIN_TOKEN "x", "ListUsers", &req.base,
	                     &phoneauth__v1__list_users_response__descriptor, &r),
	    PHONEAUTH__V1__CODE__PERMISSION_DENIED);
	pa_reply_clear(&r);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'admin_denied'"
	                 " AND actor = 'admin' AND outcome = 'denied'",
	        NULL, NULL),
	    before + 2);
	assert_int_equal(admin(SMSKIT_ADMIN_TOKEN, "ListUsers", &req.base,
	                     &phoneauth__v1__list_users_response__descriptor, &r),
	    PHONEAUTH__V1__CODE__OK);
	pa_reply_clear(&r);
	/* A short token stops the service at start, with the variable's name. */
	(void) snprintf(db, sizeof db, "DATABASE_URL=%s", smskit_db_url());
	assert_int_not_equal(harness_run(argv, env, out, sizeof out), 0);
	assert_non_null(strstr(out, "PHONEAUTH_ADMIN_TOKEN must be at least 32 characters"));
	assert_null(strstr(out, "short"));
}

/* Users straight into the table: the admin reads are under test here, not signups. */
static void
add_users(int n, bool verified, const char *tag)
{
	char sql[600], count[16];

	(void) snprintf(count, sizeof count, "%d", n);
	(void) snprintf(sql, sizeof sql,
	    "INSERT INTO users (phone_e164, email, phone_verified_at, created_at)"
	    " SELECT '+1303555' || lpad((1000 + g + (SELECT count(*) FROM users))::text, 4, '0'),"
	    " '%s' || (1000 + g + (SELECT count(*) FROM users)) || '@example.com', %s, "
	    "clock_timestamp() FROM generate_series(1, $1::int) g"
	    " RETURNING id",
	    tag, verified ? "now()" : "NULL");
	free(smskit_q1(sql, count, NULL));
}

static void
test_list_users_paging(void **state)
{
	Phoneauth__V1__ListUsersRequest req        = PHONEAUTH__V1__LIST_USERS_REQUEST__INIT;
	char                            cursor[96] = "", seen[64][37];
	int                             nseen = 0, pages = 0;
	uint64_t                        total = 0;

	(void) state;
	add_users(23, true, "pv");
	add_users(11, false, "pu");
	req.verified  = PHONEAUTH__V1__VERIFIED_FILTER__VERIFIED_ONLY;
	req.search    = (char *) "pv";
	req.page_size = 5;
	do {
		struct pa_reply                   r;
		Phoneauth__V1__ListUsersResponse *resp;

		req.cursor = cursor;
		assert_int_equal(admin(SMSKIT_ADMIN_TOKEN, "ListUsers", &req.base,
		                     &phoneauth__v1__list_users_response__descriptor, &r),
		    PHONEAUTH__V1__CODE__OK);
		resp = (Phoneauth__V1__ListUsersResponse *) r.body;
		assert_true(resp->n_users <= 5);
		if (pages == 0)
			total = resp->total;
		for (size_t i = 0; i < resp->n_users; i++) {
			assert_true(resp->users[i]->verified);
			assert_memory_equal(resp->users[i]->email, "pv", 2);
			assert_true(nseen < 64);
			for (int k = 0; k < nseen; k++)
				assert_string_not_equal(seen[k], resp->users[i]->user_id);
			(void) snprintf(seen[nseen++], 37, "%s", resp->users[i]->user_id);
		}
		(void) snprintf(cursor, sizeof cursor, "%s", resp->next_cursor);
		pa_reply_clear(&r);
		/* Newer users arrive between pages: they sort before the cursor, so the walk
		 * neither repeats nor skips anyone it started with. */
		add_users(2, true, "pv");
		pages++;
	} while (cursor[0] != '\0' && pages < 20);
	assert_int_equal(total, 23);
	assert_int_equal(nseen, 23);
	assert_int_equal(pages, 5);

	/* The unverified filter sees exactly the others. */
	req.verified  = PHONEAUTH__V1__VERIFIED_FILTER__UNVERIFIED_ONLY;
	req.search    = (char *) "pu";
	req.page_size = 100;
	req.cursor    = (char *) "";
	{
		struct pa_reply r;

		assert_int_equal(admin(SMSKIT_ADMIN_TOKEN, "ListUsers", &req.base,
		                     &phoneauth__v1__list_users_response__descriptor, &r),
		    PHONEAUTH__V1__CODE__OK);
		assert_int_equal(((Phoneauth__V1__ListUsersResponse *) r.body)->n_users, 11);
		assert_int_equal(((Phoneauth__V1__ListUsersResponse *) r.body)->total, 11);
		pa_reply_clear(&r);
	}
	/* Each admin call left an audit row with its filters. */
	assert_true(
	    smskit_qlong("SELECT count(*) FROM audit_events WHERE event = 'admin_call'"
	                 " AND detail->>'method' = 'ListUsers' AND detail->>'search' = 'pu'",
	        NULL, NULL)
	    == 1);
}

static void
test_get_user_delivered(void **state)
{
	struct fake_twilio_msg          m;
	Phoneauth__V1__GetUserRequest   gu = PHONEAUTH__V1__GET_USER_REQUEST__INIT;
	Phoneauth__V1__GetUserResponse *u;
	struct pa_reply                 r;
	char                            vid[37], code[8], user_id[40];
	bool                            delivered = false;

	(void) state;
	smskit_phone(verified_phone);
	smskit_signup(verified_phone, vid);
	assert_true(smskit_wait_q(
	    "SELECT state FROM sms_outbox WHERE verification_id = $1::uuid", vid, "sent", 10000));
	assert_true(fake_twilio_last_to(smskit_fake(), verified_phone, &m));
	(void) snprintf(sid, sizeof sid, "%s", m.sid);
	(void) snprintf(code, sizeof code, "%.4s",
	    m.body + strlen("Fancy Feathers: Your verification code is "));
	fake_twilio_msg_free(&m);
	smskit_create_account(vid, code, "Correct-Horse-9", user_id);
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "sent", 0, NULL, 1), 200);
	assert_int_equal(fake_twilio_callback(smskit_fake(), sid, "delivered", 0, NULL, 1), 200);

	gu.user = verified_phone;
	for (int t = 0; t < 50 && !delivered; t++) {
		assert_int_equal(admin(SMSKIT_ADMIN_TOKEN, "GetUser", &gu.base,
		                     &phoneauth__v1__get_user_response__descriptor, &r),
		    PHONEAUTH__V1__CODE__OK);
		u         = (Phoneauth__V1__GetUserResponse *) r.body;
		delivered = strcmp(u->delivery_status, "delivered") == 0;
		if (delivered) {
			assert_true(u->user->verified);
			assert_true(u->user->verified_at_unix_ms > 0);
			assert_string_equal(u->user->message_sid, sid);
			assert_string_equal(u->verification_id, vid);
			assert_string_equal(u->user->phone_e164, verified_phone);
			(void) snprintf(
			    verified_user, sizeof verified_user, "%s", u->user->user_id);
			/* The timeline: the send with its statuses, then the code check. */
			assert_true(u->n_timeline >= 2);
			assert_int_equal(
			    u->timeline[0]->kind, PHONEAUTH__V1__TIMELINE_ENTRY__KIND__SEND);
			assert_string_equal(u->timeline[0]->message_sid, sid);
			assert_int_equal(u->timeline[0]->n_statuses, 2);
			assert_string_equal(u->timeline[0]->statuses[1]->status, "delivered");
			assert_int_equal(u->timeline[u->n_timeline - 1]->kind,
			    PHONEAUTH__V1__TIMELINE_ENTRY__KIND__CODE_CHECK);
		}
		pa_reply_clear(&r);
		if (!delivered)
			harness_sleep_ms(100);
	}
	assert_true(delivered);
}

static void
test_audit_is_append_only(void **state)
{
	PGconn   *pg = PQconnectdb(smskit_db_url());
	PGresult *r;

	(void) state;
	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	r = PQexec(pg,
	    "UPDATE audit_events SET outcome = 'x' WHERE id = (SELECT min(id) FROM"
	    " audit_events)");
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	r = PQexec(pg, "DELETE FROM audit_events");
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	PQfinish(pg);
}

static void
cli(const char *const *args, char *out, size_t outsz, int want_status)
{
	char        admin_url[96];
	const char *argv[16] = { PHONEAUTH_CLI_BIN, "--admin-url", admin_url };
	const char *env[]    = { "PHONEAUTH_ADMIN_TOKEN=" SMSKIT_ADMIN_TOKEN, NULL };
	int         n        = 3;

	(void) snprintf(admin_url, sizeof admin_url, "%s", smskit_admin_url());
	for (int i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(harness_run(argv, env, out, outsz), want_status);
}

static void
test_cli(void **state)
{
	static char out[65536];
	char        line[256];

	(void) state;
	cli((const char *[]) { "users", "--verified", "--search", verified_phone, NULL }, out,
	    sizeof out, 0);
	assert_non_null(strstr(out, "USER "));
	assert_non_null(strstr(out, "VERIFIED AT"));
	(void) snprintf(
	    line, sizeof line, "%s  %-16s  %-28s  ✅", verified_user, verified_phone, "-");
	if (strstr(out, line) == NULL)
		fail_msg("no line \"%s\" in:\n%s", line, out);
	assert_non_null(strstr(out, sid));
	assert_non_null(strstr(out, "1 of 1 users\n"));

	cli((const char *[]) { "--json", "users", "--unverified", "--search", "pu1", NULL }, out,
	    sizeof out, 0);
	assert_non_null(strstr(out, "\"verified\":false"));
	assert_null(strstr(out, "\"verified\":true"));

	cli((const char *[]) { "user", verified_phone, NULL }, out, sizeof out, 0);
	assert_non_null(strstr(out, "verified         ✅ yes\n"));
	assert_non_null(strstr(out, "delivery status  delivered\n"));
	assert_non_null(strstr(out, "[sent → delivered]"));

	cli((const char *[]) { "messages", "--sid", sid, NULL }, out, sizeof out, 0);
	assert_non_null(strstr(out, "delivered"));
	assert_non_null(strstr(out, "+1******"));
	assert_null(strstr(out, verified_phone));

	cli((const char *[]) { "--json", "audit", "--type", "sms_status", "--limit", "5", NULL },
	    out, sizeof out, 0);
	assert_non_null(strstr(out, "\"event\":\"sms_status\""));
	cli((const char *[]) { "audit", "--type", "sms_status", "--since", "1h", NULL }, out,
	    sizeof out, 0);
	assert_non_null(strstr(out, "sms_status "));
	cli((const char *[]) { "audit", "--type", "sms_status", "--since", "2001-01-01T00:00:00Z",
	        NULL },
	    out, sizeof out, 0);
	assert_non_null(strstr(out, "sms_status "));
	cli((const char *[]) { "audit", "--since", "yesterday", NULL }, out, sizeof out, 2);
	assert_non_null(strstr(out, "--since takes"));

	cli((const char *[]) { "stats", "--window", "24h", NULL }, out, sizeof out, 0);
	assert_non_null(strstr(out, "window                  86400 s\n"));
	assert_non_null(strstr(out, "verifications started"));
	assert_non_null(strstr(out, "  +1 "));

	/* Wrong token and unreachable service: one clear line, exit 1. */
	{
		const char *argv[]
		    = { PHONEAUTH_CLI_BIN, "--admin-url", smskit_admin_url(), "users", NULL };
		const char *env[] = { "PHONEAUTH_ADMIN_TOKEN=nope", NULL };

		assert_int_equal(harness_run(argv, env, out, sizeof out), 1);
		assert_string_equal(
		    out, "PERMISSION_DENIED (ADMIN_TOKEN_INVALID): admin token missing or wrong\n");
	}
	cli((const char *[]) { "--admin-url", "tcp://127.0.0.1:1", "--timeout", "300", "users",
	        NULL },
	    out, sizeof out, 1);
	assert_non_null(strstr(out, "no answer from tcp://127.0.0.1:1 within 300 ms"));
}

/* Runs the CLI against both listeners with the admin token (and env_extra, may be NULL);
 * returns its exit status, output (stdout and stderr) in out. */
static int
cli_both(const char *const *args, const char *env_extra, char *out, size_t outsz)
{
	char        admin_url[96], rpc_url[96];
	const char *argv[24] = { PHONEAUTH_CLI_BIN, "--admin-url", admin_url, "--url", rpc_url };
	const char *env[]    = { "PHONEAUTH_ADMIN_TOKEN=" SMSKIT_ADMIN_TOKEN, env_extra, NULL };
	int         n        = 5;

	(void) snprintf(admin_url, sizeof admin_url, "%s", smskit_admin_url());
	(void) snprintf(rpc_url, sizeof rpc_url, "%s", smskit_rpc_url());
	for (int i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return harness_run(argv, env, out, outsz);
}

/* out, the whole of it, is one JSON object (json-c parses it and nothing is left over). */
static void
assert_json(const char *what, const char *out)
{
	struct json_tokener *tok = json_tokener_new();
	json_object         *o   = json_tokener_parse_ex(tok, out, (int) strlen(out));
	size_t               end = json_tokener_get_parse_end(tok);

	if (o == NULL || !json_object_is_type(o, json_type_object)
	    || strspn(out + end, "\n") != strlen(out + end) || out[strlen(out) - 1] != '\n')
		fail_msg("%s: not one JSON object and a newline:\n%s", what, out);
	json_object_put(o);
	json_tokener_free(tok);
}

/* Admin lookups read a phone like the Auth RPCs do (national formats, the default region), an
 * email in any case, or an id; a miss says what was looked for; every table ends with a
 * newline; every command's --json (before or after the command, OK or not) is one JSON
 * object. */
static void
test_cli_lookups_and_json(void **state)
{
	static char out[65536];
	char        phone[16], national[3][32], vid[37], code[8], token[128], user_id[37];
	char        args_user[64], want[160], *p;
	struct fake_twilio_msg m;

	(void) state;
	/* A user with an email, through the CLI's own flow commands. */
	smskit_phone(phone);
	assert_int_equal(strncmp(phone, "+1", 2), 0);
	smskit_signup(phone, vid);
	assert_true(smskit_wait_q(
	    "SELECT state FROM sms_outbox WHERE verification_id = $1::uuid", vid, "sent", 10000));
	assert_true(fake_twilio_last_to(smskit_fake(), phone, &m));
	(void) snprintf(code, sizeof code, "%.4s",
	    m.body + strlen("Fancy Feathers: Your verification code is "));
	fake_twilio_msg_free(&m);
	assert_int_equal(
	    cli_both((const char *[]) { "verify", vid, code, NULL }, NULL, out, sizeof out), 0);
	assert_non_null(p = strstr(out, "signup_token: "));
	(void) sscanf(p + strlen("signup_token: "), "%127s", token);
	assert_int_equal(cli_both((const char *[]) { "create-account", token, "--email",
	                              "Mixed.Case@Example.COM", NULL },
	                     "PHONEAUTH_PASSWORD=Correct-Horse-9", out, sizeof out),
	    0);
	assert_non_null(p = strstr(out, "user_id: "));
	(void) snprintf(user_id, sizeof user_id, "%.36s", p + strlen("user_id: "));

	/* The same user by every way a person writes the number, the email and the id. */
	(void) snprintf(
	    national[0], sizeof national[0], "(%.3s) %.3s-%.4s", phone + 2, phone + 5, phone + 8);
	(void) snprintf(
	    national[1], sizeof national[1], "%.3s.%.3s.%.4s", phone + 2, phone + 5, phone + 8);
	(void) snprintf(
	    national[2], sizeof national[2], " 1 %.3s %.3s %.4s ", phone + 2, phone + 5, phone + 8);
	(void) snprintf(want, sizeof want, "user             %s\n", user_id);
	{
		const char *whos[] = { national[0], national[1], national[2], phone,
			"mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM", user_id };

		for (size_t i = 0; i < sizeof whos / sizeof whos[0]; i++) {
			if (cli_both(
			        (const char *[]) { "user", whos[i], NULL }, NULL, out, sizeof out)
			        != 0
			    || strstr(out, want) == NULL)
				fail_msg("user \"%s\":\n%s", whos[i], out);
		}
	}
	cli_both(
	    (const char *[]) { "users", "--search", national[0], NULL }, NULL, out, sizeof out);
	if (strstr(out, user_id) == NULL || strstr(out, "1 of 1 users\n") == NULL)
		fail_msg("users --search \"%s\":\n%s", national[0], out);

	/* A miss names what was looked for. */
	(void) snprintf(args_user, sizeof args_user, "(%.3s) %.3s-%.4s", "201", "555", "0100");
	assert_int_equal(
	    cli_both((const char *[]) { "user", args_user, NULL }, NULL, out, sizeof out), 1);
	assert_string_equal(out,
	    "NOT_FOUND (REASON_UNSPECIFIED): no user with phone +12015550100"
	    " (read from \"(201) 555-0100\")\n");
	assert_int_equal(cli_both((const char *[]) { "user", "No.One@Example.com", NULL }, NULL,
	                     out, sizeof out),
	    1);
	assert_string_equal(
	    out, "NOT_FOUND (REASON_UNSPECIFIED): no user with email no.one@example.com\n");
	assert_int_equal(
	    cli_both((const char *[]) { "user", "nobody", NULL }, NULL, out, sizeof out), 1);
	assert_non_null(strstr(out, "no user matches \"nobody\""));

	/* Every table and view ends with a newline. */
	{
		const char *const cmds[][6] = { { "users", NULL },
			{ "users", "--limit", "1", NULL }, { "user", phone, NULL },
			{ "messages", NULL }, { "messages", "--limit", "1", NULL },
			{ "stats", NULL }, { "audit", "--limit", "3", NULL }, { "health", NULL } };

		for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
			if (cli_both(cmds[i], NULL, out, sizeof out) != 0 || out[0] == '\0'
			    || out[strlen(out) - 1] != '\n')
				fail_msg("%s: no newline at the end:\n[%s]", cmds[i][0], out);
		}
	}

	/* --json: one JSON object for every command, before or after it, OK or refused. */
	{
		const char *const cmds[][8] = { { "--json", "health", NULL },
			{ "health", "--json", NULL }, { "--json", "users", NULL },
			{ "users", "--json", "--search", phone, NULL },
			{ "--json", "user", national[0], NULL }, { "user", phone, "--json", NULL },
			{ "--json", "user", "nobody", NULL }, { "--json", "messages", NULL },
			{ "messages", "--limit", "2", "--json", NULL }, { "--json", "stats", NULL },
			{ "--json", "audit", "--limit", "5", NULL },
			{ "--json", "audit", "verify", NULL }, { "--json", "signup", "12", NULL },
			{ "--json", "verify", vid, "0000", NULL },
			{ "--json", "login", phone, NULL }, { "--json", "session", "nope", NULL },
			{ "--json", "logout", "nope", NULL }, { "--json", "resend", vid, NULL },
			{ "--json", "link-subscription", "sub_json", phone, NULL },
			{ "--json", "reset-password", phone, NULL },
			{ "--json", "register", "a@example.com", phone, NULL },
			{ "--json", "create-account", "nope", NULL },
			{ "--json", "complete-reset", "nope", NULL } };

		for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
			char what[128];

			(void) cli_both(
			    cmds[i], "PHONEAUTH_PASSWORD=Correct-Horse-9", out, sizeof out);
			(void) snprintf(what, sizeof what, "%s %s", cmds[i][0], cmds[i][1]);
			assert_json(what, out);
		}
	}
}

/* The superuser's URL for the test database: only it may switch the audit triggers off. */
static PGconn *
superuser(void)
{
	char    url[1024], *p;
	PGconn *pg;

	(void) snprintf(url, sizeof url, "%s", smskit_db_url());
	assert_non_null(p = strstr(url, "user=phoneauth"));
	memmove(p + strlen("user=postgres"), p + strlen("user=phoneauth"),
	    strlen(p + strlen("user=phoneauth")) + 1);
	memcpy(p, "user=postgres", strlen("user=postgres"));
	pg = PQconnectdb(url);
	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	return pg;
}

static void
sql_ok(PGconn *pg, const char *sql, const char *p1)
{
	PGresult *r = PQexecParams(pg, sql, p1 ? 1 : 0, NULL, &p1, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(pg));
	PQclear(r);
}

static void
test_audit_follow(void **state)
{
	struct harness_proc f;
	char                admin_url[96];
	const char *argv[] = { PHONEAUTH_CLI_BIN, "--admin-url", admin_url, "audit", "--follow",
		"--limit", "3", NULL };
	const char *env[]  = { "PHONEAUTH_ADMIN_TOKEN=" SMSKIT_ADMIN_TOKEN, NULL };
	char       *log    = NULL;
	size_t      lines_before = 0, lines_after = 0;

	(void) state;
	(void) snprintf(admin_url, sizeof admin_url, "%s", smskit_admin_url());
	assert_int_equal(harness_spawn(&f, argv, env, "cli_follow"), 0);
	/* The newest 3 rows, then nothing new for 5 s: its own polls (audited) stay out of its
	 * view, so the output does not grow. */
	harness_sleep_ms(1500);
	free(log);
	log = harness_read_log(&f);
	for (char *p = log; p && (p = strchr(p, '\n')) != NULL; p++)
		lines_before++;
	harness_sleep_ms(5000);
	free(log);
	log = harness_read_log(&f);
	for (char *p = log; p && (p = strchr(p, '\n')) != NULL; p++)
		lines_after++;
	assert_int_equal(lines_before, 1 + 3);
	assert_int_equal(lines_after, lines_before);
	/* A refused admin call shows up within a poll or two. */
	{
		Phoneauth__V1__StatsRequest req = PHONEAUTH__V1__STATS_REQUEST__INIT;
		struct pa_reply             r;

		assert_int_equal(admin("not-the-token", "Stats", &req.base,
		                     &phoneauth__v1__stats_response__descriptor, &r),
		    PHONEAUTH__V1__CODE__PERMISSION_DENIED);
		pa_reply_clear(&r);
	}
	for (int i = 0; i < 50 && (log == NULL || strstr(log, "admin_denied") == NULL); i++) {
		harness_sleep_ms(100);
		free(log);
		log = harness_read_log(&f);
	}
	if (log == NULL || strstr(log, "admin_denied") == NULL)
		fail_msg("audit --follow did not print the new row:\n%s", log ? log : "");
	assert_int_equal(harness_stop(&f, SIGINT, 5000, NULL), 0);
	free(log);
}

static void
test_audit_verify(void **state)
{
	static char out[8192];
	char        want[96], head_hex[65], *head, *row, *orig;
	PGconn     *pg = superuser();

	(void) state;
	free(smskit_wait_audit_signed(10000));
	cli((const char *[]) { "audit", "verify", NULL }, out, sizeof out, 0);
	if (strstr(out, "✅ audit trail intact: ") == NULL
	    || (head = strstr(out, "\nhead ")) == NULL)
		fail_msg("verify:\n%s", out);
	(void) snprintf(head_hex, sizeof head_hex, "%.64s", head + strlen("\nhead "));

	/* Cutting off the newest link with its rows leaves a valid shorter chain: only a head kept
	 * elsewhere shows it. */
	sql_ok(pg, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete", NULL);
	sql_ok(pg,
	    "ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_update_delete",
	    NULL);
	/* From that link on: the checkpointer may have added one since. */
	sql_ok(pg,
	    "WITH h AS (SELECT first_id FROM audit_checkpoints WHERE hash = decode($1, 'hex')),"
	    " c AS (DELETE FROM audit_checkpoints WHERE first_id >= (SELECT first_id FROM h))"
	    " DELETE FROM audit_events WHERE id >= (SELECT first_id FROM h)",
	    head_hex);
	cli((const char *[]) { "audit", "verify", NULL }, out, sizeof out, 0);
	cli((const char *[]) { "audit", "verify", "--head", head_hex, NULL }, out, sizeof out, 3);
	assert_non_null(strstr(out, "no longer reaches the head recorded earlier"));

	/* A superuser switches the trigger off and rewrites one signed row. */
	row = smskit_q1(
	    "SELECT id::text FROM audit_events WHERE id <= (SELECT max(last_id)"
	    " FROM audit_checkpoints) AND outcome IS NOT NULL ORDER BY id OFFSET 7 LIMIT 1",
	    NULL, NULL);
	orig = smskit_q1("SELECT outcome FROM audit_events WHERE id = $1::bigint", row, NULL);
	assert_non_null(row);
	sql_ok(pg, "UPDATE audit_events SET outcome = 'forged' WHERE id = $1::bigint", row);
	cli((const char *[]) { "audit", "verify", NULL }, out, sizeof out, 3);
	(void) snprintf(
	    want, sizeof want, "❌ audit trail does not match: row %s was changed\n", row);
	if (strstr(out, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, out);
	(void) snprintf(want, sizeof want, "first bad row: %s\n", row);
	assert_non_null(strstr(out, want));
	cli((const char *[]) { "--json", "audit", "verify", NULL }, out, sizeof out, 3);
	(void) snprintf(want, sizeof want, "\"bad_row\":%s,", row);
	assert_non_null(strstr(out, "\"ok\":false"));
	assert_non_null(strstr(out, want));

	/* Putting the exact value back makes it match again: the digest is of the content. */
	sql_ok(pg,
	    "UPDATE audit_events SET outcome = $1 WHERE id = (SELECT min(id) FROM audit_events"
	    " WHERE outcome = 'forged')",
	    orig);
	cli((const char *[]) { "audit", "verify", NULL }, out, sizeof out, 0);

	/* Deleting a signed row is found too, and named. */
	sql_ok(pg, "DELETE FROM audit_events WHERE id = $1::bigint + 3", row);
	sql_ok(pg, "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete", NULL);
	sql_ok(pg,
	    "ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_no_update_delete",
	    NULL);
	cli((const char *[]) { "audit", "verify", NULL }, out, sizeof out, 3);
	(void) snprintf(want, sizeof want, "row %lld was deleted", strtoll(row, NULL, 10) + 3);
	if (strstr(out, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, out);
	free(row);
	free(orig);
	PQfinish(pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_list_users_paging),
		cmocka_unit_test(test_get_user_delivered),
		cmocka_unit_test(test_audit_is_append_only),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_cli_lookups_and_json),
		cmocka_unit_test(test_audit_follow),
		/* Last: it leaves the trail broken on purpose. */
		cmocka_unit_test(test_audit_verify),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
