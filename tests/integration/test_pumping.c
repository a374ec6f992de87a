/* test_pumping.c: the SMS pumping defence (issue 14) against real phoneauth-auth processes,
 * PostgreSQL and a fake captcha provider (fake_siteverify): a destination's breaker trips on
 * unverified sends and re-arms after its cool-off (doubling on a re-trip), two instances share
 * one breaker, the captcha step-up (passed, missing, bad, reused, provider down), the global
 * send budget and the per-IP countries signal. LawnFlow profile (Register needs no
 * subscription), US and Indonesian mobiles allowed; every SMS is an outbox row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_siteverify.h"
#include "harness.h"
#include "seckit.h"

#define SECRET "siteverify-secret-for-tests"
#define MSG_CHALLENGE "Please complete the security check so we can text you a code."
#define MSG_PAUSED "We can't text codes to this number right now. Please try again later."
#define MSG_BUDGET "We can't text codes right now. Please try again later."

static const struct seckit_profile profile = {
	.name       = "lawnflow",
	.db_name    = "t_pumping",
	.ip_prefix  = "198.51",
	.phone_base = 5000,
	.sms_prefix = "Your LawnFlow verification code is ",
	.sms_suffix = ". It expires in 10 minutes.",
};

static struct fake_siteverify *sv;

static int
group_setup(void **state)
{
	(void) state;
	if (seckit_group_setup(&profile) != 0)
		return -1;
	return fake_siteverify_start(&sv, harness_free_port(), SECRET);
}

static int
group_teardown(void **state)
{
	fake_siteverify_stop(sv);
	return seckit_group_teardown(state);
}

/* Each test starts with no breakers, counts or used tokens. */
static int
test_setup(void **state)
{
	PQclear(
	    seckit_q("TRUNCATE pump_events, pump_breakers, pump_daily, captcha_used", NULL, NULL));
	fake_siteverify_set_mode(sv, FAKE_SITEVERIFY_UP, 0);
	seckit_set_captcha(NULL);
	return seckit_test_setup(state);
}

/* A new Indonesian mobile in the attacked range +62 812. */
static void
id_phone(char out[20])
{
	static int n;

	(void) snprintf(out, 20, "+62812%08d", 10000000 + (int) (time(NULL) % 1000) * 10000 + ++n);
}

static long
sms_count(void)
{
	return seckit_qlong("SELECT count(*) FROM sms_outbox", NULL, NULL);
}

/* Register of a new email to phone from a new IP (ip NULL) or ip; the caller checks and clears
 * r. */
static void
reg(int i, const char *ip, const char *phone, struct pa_reply *r)
{
	char email[64], fresh[48];

	seckit_new_email(email);
	if (ip == NULL) {
		seckit_new_ip(fresh);
		ip = fresh;
	}
	seckit_register(i, ip, email, "a-long-password-1", phone, r);
}

/* reg to a new +62 812 number that must answer code/reason. */
static void
reg_id_expect(int i, pa_code code, pa_reason reason, const char *msg, const char *what)
{
	char            phone[20];
	struct pa_reply r;

	id_phone(phone);
	reg(i, NULL, phone, &r);
	SK_EXPECT(&r, code, reason, msg, what);
	pa_reply_clear(&r);
}

static const char *const env_breaker[] = { "PHONEAUTH_ALLOWED_COUNTRIES=US,ID", "PHONEAUTH_PUMP=on",
	"PHONEAUTH_PUMP_COOLOFF=2s", "PHONEAUTH_SENDS_PER_IP_HOUR=1000", NULL };

/* A new destination has 3 unverified sends an hour (PHONEAUTH_PUMP_HOUR_MIN); the 4th trips its
 * breakers and is refused with DESTINATION_PAUSED (no captcha configured), with the audit rows
 * and the metric; another country is not touched; after the cool-off the breaker re-arms by
 * itself with a fresh budget, and the next trip waits twice as long. */
static void
test_trip_and_rearm(void **state)
{
	struct pa_reply r;
	char            us[16];
	long            before = sms_count();
	int             retry;

	(void) state;
	seckit_start(0, "breaker", env_breaker);
	for (int k = 0; k < 3; k++)
		reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "a send within the budget");
	SK_CHECK(sms_count() == before + 3, "3 SMS went out (saw %ld)", sms_count() - before);
	{
		char phone[20];

		id_phone(phone);
		reg(0, NULL, phone, &r);
		SK_EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(DESTINATION_PAUSED), MSG_PAUSED,
		    "the 4th unverified send to +62 812");
		retry = (int) r.retry_after_s;
		SK_CHECK(retry >= 1 && retry <= 2, "retry_after_s is the cool-off (saw %d)", retry);
		pa_reply_clear(&r);
	}
	SK_CHECK(sms_count() == before + 3, "the refused send cost no SMS");
	SK_CHECK(
	    seckit_qlong("SELECT count(*) FROM pump_breakers WHERE state = 'tripped'", NULL, NULL)
	        == 2,
	    "the country and the prefix breaker tripped");
	SK_CHECK(seckit_qlong("SELECT count(*) FROM audit_events WHERE event = 'breaker_tripped'"
	                      " AND detail->>'key' IN ('ID', '+62812')",
	             NULL, NULL)
	        >= 2,
	    "an audit row per trip");
	SK_CHECK(seckit_metric(0, "phoneauth_pump_trips_total{level=\"prefix\"}") == 1,
	    "phoneauth_pump_trips_total{level=prefix} is 1");
	seckit_new_phone(us);
	reg(0, NULL, us, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "a US send while +62 812 is paused");
	pa_reply_clear(&r);

	/* The cool-off ends: a fresh budget of 3, then a re-trip for twice as long. */
	harness_sleep_ms(2300);
	for (int k = 0; k < 3; k++)
		reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "a send after the re-arm");
	SK_CHECK(seckit_qlong("SELECT count(*) FROM audit_events WHERE event = 'breaker_rearmed'"
	                      " AND detail->>'by' = 'auto'",
	             NULL, NULL)
	        >= 2,
	    "an audit row per re-arm");
	{
		char phone[20];

		id_phone(phone);
		reg(0, NULL, phone, &r);
		SK_EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(DESTINATION_PAUSED), MSG_PAUSED,
		    "the 4th send after the re-arm");
		SK_CHECK(r.retry_after_s >= 3 && r.retry_after_s <= 4,
		    "the second cool-off doubled to 4 s (retry_after_s %u)", r.retry_after_s);
		pa_reply_clear(&r);
	}
	SK_CHECK(seckit_qlong("SELECT max(trips) FROM pump_breakers", NULL, NULL) == 2,
	    "two trips in a row");
	SK_CHECK(seckit_metric(0, "phoneauth_pump_rearms_total{level=\"prefix\",by=\"auto\"}") == 1,
	    "phoneauth_pump_rearms_total{level=prefix,by=auto} is 1");
	seckit_done();
}

/* Two instances on one database share the breaker: sends alternate between them, and the 4th
 * is refused whichever instance takes it. */
static void
test_two_instances_share_one_breaker(void **state)
{
	(void) state;
	seckit_start(0, "share-a", env_breaker);
	seckit_start(1, "share-b", env_breaker);
	reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "send 1 on instance a");
	reg_id_expect(1, C(OK), RS(REASON_UNSPECIFIED), NULL, "send 2 on instance b");
	reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "send 3 on instance a");
	reg_id_expect(
	    1, C(RESOURCE_EXHAUSTED), RS(DESTINATION_PAUSED), MSG_PAUSED, "send 4 on instance b");
	reg_id_expect(
	    0, C(RESOURCE_EXHAUSTED), RS(DESTINATION_PAUSED), MSG_PAUSED, "send 5 on instance a");
	SK_CHECK(
	    seckit_qlong("SELECT count(*) FROM pump_events WHERE kind = 'send'", NULL, NULL) == 3,
	    "3 sends counted in all");
	seckit_done();
}

/* A resend is a send: it passes the gate and the breakers like a start. */
static void
test_resend_counts(void **state)
{
	char            phone[20], vid[40];
	struct pa_reply r;

	(void) state;
	seckit_start(0, "resend", env_breaker);
	id_phone(phone);
	reg(0, NULL, phone, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "the first send");
	seckit_vid(((Phoneauth__V1__RegisterResponse *) r.body)->sent, vid);
	pa_reply_clear(&r);
	reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "send 2");
	harness_sleep_ms(1100); /* the kit's resend cooldown is 1 s */
	seckit_resend(0, "198.51.200.1", vid, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "a resend: send 3");
	pa_reply_clear(&r);
	harness_sleep_ms(1100);
	seckit_resend(0, "198.51.200.1", vid, &r);
	SK_EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(DESTINATION_PAUSED), MSG_PAUSED,
	    "a resend that would be the 4th unverified send");
	pa_reply_clear(&r);
	SK_CHECK(
	    seckit_qlong("SELECT count(*) FROM pump_events WHERE kind = 'send'", NULL, NULL) == 3,
	    "3 sends counted, the resend among them");
	seckit_done();
}

/* Verified codes raise the budget: a destination whose users verify keeps sending. */
static void
test_verified_volume_keeps_sending(void **state)
{
	char            email[64], phone[20], ip[48];
	struct pa_reply r;

	(void) state;
	seckit_start(0, "verified", env_breaker);
	for (int k = 0; k < 10; k++) {
		id_phone(phone);
		seckit_new_email(email);
		seckit_new_ip(ip);
		seckit_lf_user(0, ip, email, "a-long-password-1", phone);
	}
	reg(0, NULL, "+6281299990001", &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "an 11th send after 10 verified");
	pa_reply_clear(&r);
	SK_CHECK(
	    seckit_qlong("SELECT count(*) FROM pump_breakers WHERE state = 'tripped'", NULL, NULL)
	        == 0,
	    "no breaker tripped");
	SK_CHECK(
	    seckit_qlong("SELECT count(*) FROM pump_events WHERE kind = 'verified'", NULL, NULL)
	        == 10,
	    "10 verifications counted");
	seckit_done();
}

static char env_url[128];

/* The captcha step-up: once the breaker tripped, a send needs a token the provider accepts, used
 * once; the end user's IP goes with it; a provider that is down answers UNAVAILABLE (with
 * retry_after_s) only to the calls that need a token, and the token stays usable. */
static void
test_captcha_step_up(void **state)
{
	const char *const env[] = { "PHONEAUTH_ALLOWED_COUNTRIES=US,ID", "PHONEAUTH_PUMP=on",
		"PHONEAUTH_SENDS_PER_IP_HOUR=1000", "PHONEAUTH_CAPTCHA=on-risk",
		"PHONEAUTH_CAPTCHA_SECRET=" SECRET, env_url, "PHONEAUTH_CAPTCHA_TIMEOUT=1s", NULL };
	struct pa_reply   r;
	char              phone[20], us[16], seen_ip[64];
	long              before;
	int               asked;

	(void) state;
	(void) snprintf(
	    env_url, sizeof env_url, "PHONEAUTH_CAPTCHA_VERIFY_URL=%s", fake_siteverify_url(sv));
	seckit_start(0, "captcha", env);
	for (int k = 0; k < 3; k++)
		reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "a send within the budget");
	SK_CHECK(fake_siteverify_requests(sv) == 0, "no captcha asked while the budget lasts");
	reg_id_expect(0, C(FAILED_PRECONDITION), RS(CHALLENGE_REQUIRED), MSG_CHALLENGE,
	    "the send that trips the breaker");
	reg_id_expect(0, C(FAILED_PRECONDITION), RS(CHALLENGE_REQUIRED), MSG_CHALLENGE,
	    "a send without a token while tripped");
	SK_CHECK(fake_siteverify_requests(sv) == 0, "a missing token asks no provider");

	seckit_set_captcha("fail-token-1");
	reg_id_expect(0, C(FAILED_PRECONDITION), RS(CHALLENGE_REQUIRED), MSG_CHALLENGE,
	    "a token the provider refuses");
	SK_CHECK(fake_siteverify_requests(sv) == 1, "the bad token was checked once");

	before = sms_count();
	seckit_set_captcha("pass-token-1");
	id_phone(phone);
	reg(0, "203.0.113.77", phone, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "a send with a good token");
	pa_reply_clear(&r);
	SK_CHECK(sms_count() == before + 1, "the captcha-passed send cost one SMS");
	fake_siteverify_last_ip(sv, seen_ip, sizeof seen_ip);
	SK_CHECK(
	    strcmp(seen_ip, "203.0.113.77") == 0, "remoteip is the end user's (saw %s)", seen_ip);
	asked = fake_siteverify_requests(sv);
	reg_id_expect(0, C(FAILED_PRECONDITION), RS(CHALLENGE_REQUIRED), MSG_CHALLENGE,
	    "the same token again");
	SK_CHECK(fake_siteverify_requests(sv) == asked, "a reused token asks no provider");

	/* The provider is down: 503, then too slow for the 1 s timeout. */
	fake_siteverify_set_mode(sv, FAKE_SITEVERIFY_503, 0);
	seckit_set_captcha("pass-token-2");
	id_phone(phone);
	reg(0, NULL, phone, &r);
	SK_EXPECT(&r, C(UNAVAILABLE), RS(CHALLENGE_UNAVAILABLE), NULL, "the provider answers 503");
	SK_CHECK(r.retry_after_s == 10, "retry_after_s is PHONEAUTH_CAPTCHA_RETRY_AFTER (saw %u)",
	    r.retry_after_s);
	pa_reply_clear(&r);
	fake_siteverify_set_mode(sv, FAKE_SITEVERIFY_STALL, 2500);
	{
		double t0 = seckit_now_ms();

		reg(0, NULL, phone, &r);
		SK_EXPECT(&r, C(UNAVAILABLE), RS(CHALLENGE_UNAVAILABLE), NULL,
		    "the provider stalls past the timeout");
		SK_CHECK(seckit_now_ms() - t0 < 2400, "the call gave up after about 1 s (%.0f ms)",
		    seckit_now_ms() - t0);
		pa_reply_clear(&r);
	}
	seckit_set_captcha(NULL);
	seckit_new_phone(us);
	reg(0, NULL, us, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL,
	    "a US send needs no token while the provider is down");
	pa_reply_clear(&r);
	fake_siteverify_set_mode(sv, FAKE_SITEVERIFY_UP, 0);
	seckit_set_captcha("pass-token-2");
	reg(0, NULL, phone, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL,
	    "the token the provider could not judge works once it is back");
	pa_reply_clear(&r);
	SK_CHECK(seckit_metric(0, "phoneauth_captcha_verifications_total{verdict=\"reused\"}") == 1,
	    "one reused token counted");
	SK_CHECK(seckit_metric(0, "phoneauth_captcha_verifications_total{verdict=\"passed\"}") == 2,
	    "two passed tokens counted");
	seckit_done();
}

/* The global budget: above PHONEAUTH_SEND_BUDGET_HOUR sends are refused (no captcha) or need one,
 * and the alert gauge is 1. */
static void
test_send_budget(void **state)
{
	const char *const env_off[] = { "PHONEAUTH_ALLOWED_COUNTRIES=US,ID", "PHONEAUTH_PUMP=on",
		"PHONEAUTH_SENDS_PER_IP_HOUR=1000", "PHONEAUTH_PUMP_HOUR_MIN=1000",
		"PHONEAUTH_PUMP_DAY_MIN=1000", "PHONEAUTH_SEND_BUDGET_HOUR=3", NULL };
	const char *const env_on[]  = { "PHONEAUTH_ALLOWED_COUNTRIES=US,ID", "PHONEAUTH_PUMP=on",
		 "PHONEAUTH_SENDS_PER_IP_HOUR=1000", "PHONEAUTH_PUMP_HOUR_MIN=1000",
		 "PHONEAUTH_PUMP_DAY_MIN=1000", "PHONEAUTH_SEND_BUDGET_HOUR=3",
		 "PHONEAUTH_CAPTCHA=on-risk", "PHONEAUTH_CAPTCHA_SECRET=" SECRET, env_url, NULL };
	struct pa_reply   r;
	char              us[16];

	(void) state;
	(void) snprintf(
	    env_url, sizeof env_url, "PHONEAUTH_CAPTCHA_VERIFY_URL=%s", fake_siteverify_url(sv));
	seckit_start(0, "budget", env_off);
	for (int k = 0; k < 3; k++) {
		seckit_new_phone(us);
		reg(0, NULL, us, &r);
		SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "a send within the budget");
		pa_reply_clear(&r);
	}
	SK_CHECK(seckit_metric(0, "phoneauth_send_budget_exceeded") == 0, "no alert yet");
	seckit_new_phone(us);
	reg(0, NULL, us, &r);
	SK_EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(SEND_BUDGET), MSG_BUDGET,
	    "a send over the hourly budget, no captcha configured");
	pa_reply_clear(&r);
	SK_CHECK(seckit_metric(0, "phoneauth_send_budget_exceeded") == 1, "the alert gauge is 1");
	seckit_stop(0);

	seckit_start(0, "budget-captcha", env_on);
	seckit_new_phone(us);
	reg(0, NULL, us, &r);
	SK_EXPECT(&r, C(FAILED_PRECONDITION), RS(CHALLENGE_REQUIRED), MSG_CHALLENGE,
	    "over the budget with a captcha configured, no token");
	pa_reply_clear(&r);
	seckit_set_captcha("pass-budget-1");
	reg(0, NULL, us, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "over the budget with a good token");
	pa_reply_clear(&r);
	seckit_done();
}

/* One IP key sending to more countries than PHONEAUTH_PUMP_IP_COUNTRIES a day is refused
 * (IP_LIMIT, no captcha); another IP is not. */
static void
test_ip_countries(void **state)
{
	const char *const env[] = { "PHONEAUTH_ALLOWED_COUNTRIES=US,ID", "PHONEAUTH_PUMP=on",
		"PHONEAUTH_SENDS_PER_IP_HOUR=1000", "PHONEAUTH_PUMP_IP_COUNTRIES=1", NULL };
	struct pa_reply   r;
	char              us[16], phone[20];

	(void) state;
	seckit_start(0, "ip", env);
	seckit_new_phone(us);
	reg(0, "2001:db8:77:1::1", us, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "a first country from one /64");
	pa_reply_clear(&r);
	id_phone(phone);
	reg(0, "2001:db8:77:1::2", phone, &r);
	SK_EXPECT(
	    &r, C(RESOURCE_EXHAUSTED), RS(IP_LIMIT), NULL, "a second country from the same /64");
	pa_reply_clear(&r);
	reg(0, "2001:db8:77:2::1", phone, &r);
	SK_EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), NULL, "the same number from another /64");
	pa_reply_clear(&r);
	seckit_done();
}

#define ADMIN_TOKEN "pumping-admin-token-for-tests-only-0123456789"

/* The CLI against instance 0's Admin listener; its exit status. */
static int
cli(const char *const *args, char *out, size_t outsz)
{
	const char *argv[16] = { PHONEAUTH_CLI_BIN, "--admin-url", seckit_admin_url(0) };
	const char *env[]    = { "PHONEAUTH_ADMIN_TOKEN=" ADMIN_TOKEN, NULL };
	int         n        = 3;

	for (int i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return harness_run(argv, env, out, outsz);
}

/* An admin sees the tripped breakers (destination, state, counts, conversion, next re-arm) and
 * re-arms one: audited, counted, and the destination gets its budget back at once. Stats shows
 * the conversion by country. */
static void
test_admin_list_and_rearm(void **state)
{
	const char *const env[] = { "PHONEAUTH_ALLOWED_COUNTRIES=US,ID", "PHONEAUTH_PUMP=on",
		"PHONEAUTH_SENDS_PER_IP_HOUR=1000", "PHONEAUTH_ADMIN_TOKEN=" ADMIN_TOKEN, NULL };
	static char       out[65536];
	int               st;

	(void) state;
	seckit_start(0, "admin", env);
	for (int k = 0; k < 3; k++)
		reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "a send within the budget");
	reg_id_expect(0, C(RESOURCE_EXHAUSTED), RS(DESTINATION_PAUSED), MSG_PAUSED, "the trip");
	st = cli((const char *[]) { "breakers", "--tripped", NULL }, out, sizeof out);
	SK_CHECK(st == 0, "breakers exits 0 (%d): %s", st, out);
	SK_CHECK(strstr(out, "prefix   +62812     tripped      1      3        0") != NULL,
	    "the prefix breaker is listed tripped with 3 sends, 0 verified:\n%s", out);
	SK_CHECK(strstr(out, "country  ID ") != NULL, "the country breaker is listed:\n%s", out);
	st = cli((const char *[]) { "--json", "breakers", NULL }, out, sizeof out);
	SK_CHECK(
	    st == 0 && strstr(out, "\"rearm_at_unix_ms\"") != NULL, "breakers --json: %s", out);
	st = cli((const char *[]) { "rearm", "prefix", "+62812", NULL }, out, sizeof out);
	SK_CHECK(st == 0 && strstr(out, "Re-armed.") != NULL, "rearm prefix exits 0: %s", out);
	st = cli((const char *[]) { "rearm", "country", "ID", NULL }, out, sizeof out);
	SK_CHECK(st == 0, "rearm country exits 0: %s", out);
	st = cli((const char *[]) { "rearm", "country", "ID", NULL }, out, sizeof out);
	SK_CHECK(st == 1 && strstr(out, "not tripped") != NULL,
	    "re-arming an armed breaker exits 1: %d %s", st, out);
	SK_CHECK(seckit_qlong("SELECT count(*) FROM audit_events WHERE event = 'breaker_rearmed'"
	                      " AND actor = 'admin'",
	             NULL, NULL)
	        == 2,
	    "two admin re-arms audited");
	SK_CHECK(
	    seckit_metric(0, "phoneauth_pump_rearms_total{level=\"prefix\",by=\"admin\"}") == 1,
	    "phoneauth_pump_rearms_total{level=prefix,by=admin} is 1");
	reg_id_expect(0, C(OK), RS(REASON_UNSPECIFIED), NULL, "a send right after the re-arm");
	st = cli((const char *[]) { "stats", NULL }, out, sizeof out);
	SK_CHECK(st == 0 && strstr(out, "  ID             4 0 0.0%") != NULL,
	    "stats shows ID's conversion:\n%s", out);
	seckit_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_trip_and_rearm, test_setup, seckit_test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_two_instances_share_one_breaker, test_setup, seckit_test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resend_counts, test_setup, seckit_test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_verified_volume_keeps_sending, test_setup, seckit_test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_captcha_step_up, test_setup, seckit_test_teardown),
		cmocka_unit_test_setup_teardown(test_send_budget, test_setup, seckit_test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ip_countries, test_setup, seckit_test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_admin_list_and_rearm, test_setup, seckit_test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
