/* test_faults.c: the auth service killed (SIGKILL) and restarted while signups pour in. Nothing is
 * half-written: an outbox row exists exactly when its verification does; every signup that was
 * answered OK is in the database; every queued message is sent once; and calls succeed again as
 * soon as the new process answers. (Worker kills are in test_sms_scale, database restarts in
 * test_db_restart, Twilio storms in test_twilio.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "common/rpc_client.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "smskit.h"

#define THREADS 6
#define MAX_PHONES 8000
/* smskit hands out 8 000 distinct numbers: at most this many signups before and after the kill. */
#define BUDGET 3000

static struct smskit_worker worker;

static struct {
	atomic_bool     stop, restarted;
	atomic_int      issued;
	pthread_mutex_t mu;
	char (*ok)[16]; /* phones whose StartSignup answered OK */
	int n_ok, n_ok_after, n_no_reply, n_other;
} load = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int
group_setup(void **state)
{
	(void) state;
	return smskit_setup_with_worker("t_faults", &worker, "smsw_faults", NULL);
}

static int
group_teardown(void **state)
{
	(void) state;
	return smskit_teardown_with_worker(&worker);
}

static void *
signup_loop(void *arg)
{
	struct pa_client_opts o = { .url = smskit_rpc_url(), .timeout_ms = 2000 };
	struct pa_client     *c;

	(void) arg;
	if (pa_client_open(&c, &o) != PA_OK)
		return NULL;
	while (!atomic_load(&load.stop)) {
		Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;
		struct pa_reply                   r;
		char                              phone[16];
		bool                              after = atomic_load(&load.restarted);
		pa_err                            rv;

		if (atomic_fetch_add(&load.issued, 1) >= (after ? 2 * BUDGET : BUDGET)) {
			atomic_fetch_sub(&load.issued, 1);
			harness_sleep_ms(10);
			continue;
		}
		smskit_phone(phone);
		req.phone = phone;
		rv        = pa_client_call(c, "/phoneauth.v1.Auth/StartSignup", &req.base,
		           &phoneauth__v1__start_signup_response__descriptor, NULL, &r);
		pthread_mutex_lock(&load.mu);
		if (rv != PA_OK) {
			load.n_no_reply++;
		} else if (r.code == PHONEAUTH__V1__CODE__OK && load.n_ok < MAX_PHONES) {
			memcpy(load.ok[load.n_ok++], phone, sizeof phone);
			load.n_ok_after += after;
		} else {
			load.n_other++;
		}
		pthread_mutex_unlock(&load.mu);
		if (rv == PA_OK)
			pa_reply_clear(&r);
	}
	pa_client_close(c);
	return NULL;
}

/* "{+1...,+1...}": the OK phones as a text[] literal. */
static char *
ok_array(void)
{
	char *s = malloc((size_t) load.n_ok * 17 + 3), *p = s;

	assert_non_null(s);
	*p++ = '{';
	for (int i = 0; i < load.n_ok; i++)
		p += sprintf(p, "%s%s", i ? "," : "", load.ok[i]);
	*p++ = '}';
	*p   = '\0';
	return s;
}

static void
test_auth_killed_under_load(void **state)
{
	pthread_t t[THREADS];
	char      n_ok[16], *phones;
	long      rows;

	(void) state;
	load.ok = calloc(MAX_PHONES, sizeof *load.ok);
	assert_non_null(load.ok);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, signup_loop, NULL), 0);
	/* Kill once the load is well under way (and before its budget runs out), so SIGKILL lands
	 * in the middle of transactions: PostgreSQL must roll each back whole. */
	for (int i = 0; i < 300; i++) {
		int n;

		pthread_mutex_lock(&load.mu);
		n = load.n_ok;
		pthread_mutex_unlock(&load.mu);
		if (n >= 800)
			break;
		harness_sleep_ms(20);
	}
	assert_int_equal(smskit_restart_auth(SIGKILL), 0);
	atomic_store(&load.restarted, true);
	harness_sleep_ms(2000);
	atomic_store(&load.stop, true);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "signups: %d OK (%d after the restart), %d without a reply, %d refused\n",
	    load.n_ok, load.n_ok_after, load.n_no_reply, load.n_other);
	assert_true(load.n_ok > 0);
	assert_true(load.n_ok_after > 0);
	assert_int_equal(load.n_other, 0);

	/* The outbox row exists iff its verification does. */
	assert_int_equal(smskit_qlong("SELECT count(*) FROM verifications v WHERE NOT v.phantom AND"
	                              " NOT EXISTS (SELECT 1 FROM sms_outbox o"
	                              " WHERE o.verification_id = v.id)",
	                     NULL, NULL),
	    0);
	assert_int_equal(
	    smskit_qlong("SELECT count(*) FROM sms_outbox o WHERE NOT EXISTS"
	                 " (SELECT 1 FROM verifications v WHERE v.id = o.verification_id)",
	        NULL, NULL),
	    0);
	/* Every signup answered OK was committed. */
	phones = ok_array();
	(void) snprintf(n_ok, sizeof n_ok, "%d", load.n_ok);
	assert_int_equal(smskit_qlong("SELECT count(DISTINCT phone_e164) FROM verifications"
	                              " WHERE phone_e164 = ANY($1::text[])",
	                     phones, NULL),
	    load.n_ok);
	free(phones);
	/* And every queued message goes out, once. */
	rows = smskit_qlong("SELECT count(*) FROM sms_outbox", NULL, NULL);
	if (!smskit_wait_q(
	        "SELECT count(*)::text FROM sms_outbox WHERE state IN ('queued', 'sending')", NULL,
	        "0", 60000))
		fail_msg("messages still unsent 60 s after the load stopped");
	assert_true(smskit_wait_fake_count((int) rows, 10000));
	assert_int_equal(fake_twilio_count(smskit_fake()), (int) rows);
	assert_int_equal(fake_twilio_max_per_number(smskit_fake()), 1);
	free(load.ok);
	smskit_check_audit_chain();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_killed_under_load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
