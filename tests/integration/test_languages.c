/* test_languages.c: replies and codes in the caller's language (CallerMetadata.locale) through
 * the real phoneauth-auth binary and a real PostgreSQL (Fancy Feathers): Spanish ("es-MX") and
 * Bahasa Indonesia ("id-ID") messages and SMS texts, a language the profile lacks read in
 * English, each SMS's encoding and segments (Spanish's "ó" is outside GSM-7, so UCS-2) on its
 * outbox row and in the Admin views, a WhatsApp code that carries its language for the worker's
 * template, and no secret in the logs. The SMS worker's side is test_channels.c's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc_client.h"
#include "flowkit.h"
#include "harness.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"

#define OTP_KEY_HEX "a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6"
#define OUTBOX_KEY_HEX "b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6"
#define TOKEN_KEY_HEX "c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6"
#define ADMIN_TOKEN "lang-admin-token-f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6"

#define SMS_PREFIX "Fancy Feathers: Your verification code is "
#define SMS_SUFFIX ".\nIt will expire in 5 minutes."
#define MSG_OTP_SENT "An OTP has been sent to your mobile number. Please enter it below to verify."
#define MSG_CODE_INVALID "Invalid or expired OTP. Please try again."
#define MSG_VERIFIED "OTP verified successfully!"

/* The built-in Spanish and Indonesian texts (services/auth/policy_locale.c). */
#define ES_SMS_PREFIX "Fancy Feathers: tu código de verificación es "
#define ES_SMS_SUFFIX ".\nCaduca en 5 min."
#define ES_OTP_SENT                                                                          \
	"Hemos enviado un código OTP a tu número de móvil. Introdúcelo a continuación " \
	"para verificarlo."
#define ES_CODE_INVALID "El código OTP no es válido o ha caducado. Inténtalo de nuevo."
#define ES_VERIFIED "¡Código OTP verificado correctamente!"
#define ES_TOO_SOON "Espera un momento antes de solicitar un nuevo código OTP."
#define ID_SMS_PREFIX "Fancy Feathers: Kode verifikasi Anda adalah "
#define ID_SMS_SUFFIX ".\nKode ini akan kedaluwarsa dalam 5 menit."
#define ID_OTP_SENT \
	"OTP telah dikirim ke nomor ponsel Anda. Silakan masukkan di bawah ini untuk verifikasi."
#define ID_CODE_INVALID "OTP tidak valid atau sudah kedaluwarsa. Silakan coba lagi."
#define ID_VERIFIED "OTP berhasil diverifikasi!"

#define C(x) PHONEAUTH__V1__CODE__##x
#define RS(x) PHONEAUTH__V1__REASON__##x
#define EXPECT FLOWKIT_EXPECT

enum { PRIMARY = FLOWKIT_PRIMARY, FAST = FLOWKIT_FAST };

static const char *const fast_env[]
    = { "PHONEAUTH_RESEND_COOLDOWN=1s", "PHONEAUTH_SUBSCRIPTION_REQUIRED=false",
	      "PHONEAUTH_CHANNELS=sms,whatsapp", "PHONEAUTH_FALLBACK_CHANNEL=none", NULL };

static const struct flowkit_profile profile = {
	.name                = "fancy-feathers",
	.db_name             = "t_languages",
	.tag                 = { "auth_lang", "auth_lang_fast" },
	.fast_env            = fast_env,
	.otp_key_hex         = OTP_KEY_HEX,
	.outbox_key_hex      = OUTBOX_KEY_HEX,
	.token_key_hex       = TOKEN_KEY_HEX,
	.admin_token         = ADMIN_TOKEN,
	.user_agent          = "test_languages",
	.ip_prefix           = "198.19",
	.ip_base             = 40,
	.sms_prefix          = SMS_PREFIX,
	.sms_suffix          = SMS_SUFFIX,
	.code_len            = 4,
	.code_ttl_s          = 300,
	.msg_otp_sent        = MSG_OTP_SENT,
	.msg_send_limit      = "Too many OTP requests. Try again later.",
	.msg_verified        = MSG_VERIFIED,
	.msg_code_invalid    = MSG_CODE_INVALID,
	.msg_session_invalid = NULL,
	.msg_reset_done      = NULL,
};

/* What one language should look like. */
struct lang {
	const char *tag; /* what the site sends */
	const char *stored; /* the verification's and the row's locale */
	const char *sms_prefix, *sms_suffix;
	const char *otp_sent, *code_invalid, *verified;
	const char *encoding;
};

static const struct lang es = { "es-MX", "es", ES_SMS_PREFIX, ES_SMS_SUFFIX, ES_OTP_SENT,
	ES_CODE_INVALID, ES_VERIFIED, "UCS-2" };
static const struct lang id = { "id-ID", "id", ID_SMS_PREFIX, ID_SMS_SUFFIX, ID_OTP_SENT,
	ID_CODE_INVALID, ID_VERIFIED, "GSM-7" };
static const struct lang fr = { "fr-FR", "en", SMS_PREFIX, SMS_SUFFIX, MSG_OTP_SENT,
	MSG_CODE_INVALID, MSG_VERIFIED, "GSM-7" };

static void
start(const char *phone, int channel, struct pa_reply *r)
{
	Phoneauth__V1__StartSignupRequest req = PHONEAUTH__V1__START_SIGNUP_REQUEST__INIT;

	req.phone   = (char *) phone;
	req.channel = channel;
	flowkit_rpc(
	    FAST, "StartSignup", &req.base, &phoneauth__v1__start_signup_response__descriptor, r);
}

static void
verify(const char *vid, const char *code, struct pa_reply *r)
{
	Phoneauth__V1__VerifyCodeRequest req = PHONEAUTH__V1__VERIFY_CODE_REQUEST__INIT;

	req.verification_id = (char *) vid;
	req.code            = (char *) code;
	flowkit_rpc(
	    FAST, "VerifyCode", &req.base, &phoneauth__v1__verify_code_response__descriptor, r);
}

/* A signup in language l, end to end: the reply, the SMS text, its row, a wrong and a right
 * code. */
static void
signup_in(const struct lang *l)
{
	struct pa_reply r;
	char            phone[16], vid[37], body[256], code[8], want[256], wrong[8];

	flowkit_set_locale(l->tag);
	flowkit_next_phone(phone);
	start(phone, PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), l->otp_sent);
	(void) snprintf(vid, sizeof vid, "%s",
	    ((Phoneauth__V1__StartSignupResponse *) r.body)->sent->verification_id);
	pa_reply_clear(&r);

	flowkit_outbox_body(vid, "sms", NULL, body, sizeof body);
	assert_true(strlen(body) > strlen(l->sms_prefix) + 4);
	memcpy(code, body + strlen(l->sms_prefix), 4);
	code[4] = '\0';
	flowkit_add_secret(code);
	(void) snprintf(want, sizeof want, "%s%s%s", l->sms_prefix, code, l->sms_suffix);
	assert_string_equal(body, want);
	assert_int_equal(
	    flowkit_qlong("SELECT count(*) FROM sms_outbox WHERE verification_id = "
	                  "$1::uuid AND locale = $2 AND segments = 1 AND channel = 'sms'",
	        vid, l->stored),
	    1);
	{
		char *enc = flowkit_q1(
		    "SELECT encoding FROM sms_outbox WHERE verification_id = $1::uuid", vid, NULL);
		assert_string_equal(enc, l->encoding);
		free(enc);
	}
	assert_int_equal(flowkit_qlong("SELECT count(*) FROM verifications WHERE id = $1::uuid"
	                               " AND locale = $2",
	                     vid, l->stored),
	    1);

	flowkit_wrong_code(code, wrong, 1);
	verify(vid, wrong, &r);
	EXPECT(&r, C(INVALID_ARGUMENT), RS(CODE_INVALID), l->code_invalid);
	pa_reply_clear(&r);
	verify(vid, code, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), l->verified);
	flowkit_add_secret(((Phoneauth__V1__VerifyCodeResponse *) r.body)->signup_token);
	pa_reply_clear(&r);
	flowkit_set_locale("");
}

static void
spanish(void **state)
{
	(void) state;
	signup_in(&es);
}

static void
bahasa_indonesia(void **state)
{
	(void) state;
	signup_in(&id);
}

static void
a_language_the_profile_lacks_reads_in_english(void **state)
{
	(void) state;
	signup_in(&fr);
}

static void
refusals_speak_the_language_too(void **state)
{
	struct pa_reply r;
	char            phone[16];

	(void) state;
	flowkit_set_locale("es");
	flowkit_next_phone(phone);
	start(phone, PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), ES_OTP_SENT);
	pa_reply_clear(&r);
	start(phone, PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED, &r);
	EXPECT(&r, C(RESOURCE_EXHAUSTED), RS(RESEND_TOO_SOON), ES_TOO_SOON);
	pa_reply_clear(&r);
	/* Past the cooldown, the restart sends again, in Spanish. */
	harness_sleep_ms(1100);
	start(phone, PHONEAUTH__V1__CHANNEL__CHANNEL_UNSPECIFIED, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), ES_OTP_SENT);
	{
		char body[256];

		flowkit_outbox_body(
		    ((Phoneauth__V1__StartSignupResponse *) r.body)->sent->verification_id, "sms",
		    NULL, body, sizeof body);
		assert_memory_equal(body, ES_SMS_PREFIX, strlen(ES_SMS_PREFIX));
		body[strlen(ES_SMS_PREFIX) + 4] = '\0';
		flowkit_add_secret(body + strlen(ES_SMS_PREFIX));
	}
	pa_reply_clear(&r);
	flowkit_set_locale("");
}

static void
whatsapp_code_carries_its_language(void **state)
{
	struct pa_reply r;
	char            phone[16], vid[37], body[64];

	(void) state;
	flowkit_set_locale("id");
	flowkit_next_phone(phone);
	start(phone, PHONEAUTH__V1__CHANNEL__CHANNEL_WHATSAPP, &r);
	EXPECT(&r, C(OK), RS(REASON_UNSPECIFIED), ID_OTP_SENT);
	(void) snprintf(vid, sizeof vid, "%s",
	    ((Phoneauth__V1__StartSignupResponse *) r.body)->sent->verification_id);
	pa_reply_clear(&r);
	/* The template's words are Meta's, in the language the worker picks by this locale. */
	flowkit_outbox_body(vid, "whatsapp", NULL, body, sizeof body);
	assert_memory_equal(body, "{\"1\":\"", 6);
	flowkit_add_secret(body + 6);
	assert_int_equal(flowkit_qlong("SELECT count(*) FROM sms_outbox WHERE verification_id = "
	                               "$1::uuid AND locale = 'id' AND encoding IS NULL"
	                               " AND segments IS NULL",
	                     vid, NULL),
	    1);
	flowkit_set_locale("");
}

static void
admin_shows_encoding_and_segments(void **state)
{
	Phoneauth__V1__ListMessagesRequest   req = PHONEAUTH__V1__LIST_MESSAGES_REQUEST__INIT;
	Phoneauth__V1__ListMessagesResponse *resp;
	struct pa_reply                      r;
	int                                  ucs2 = 0, gsm = 0, wa = 0;

	(void) state;
	req.page_size = 100;
	flowkit_admin(FAST, "ListMessages", &req.base,
	    &phoneauth__v1__list_messages_response__descriptor, &r);
	resp = (Phoneauth__V1__ListMessagesResponse *) r.body;
	for (size_t i = 0; i < resp->n_messages; i++) {
		const Phoneauth__V1__Message *m = resp->messages[i];

		assert_string_equal(m->kind, "message");
		if (strcmp(m->channel, "whatsapp") == 0) {
			wa++;
			assert_string_equal(m->encoding, "");
			assert_int_equal(m->segments, 0);
			assert_string_equal(m->locale, "id");
		} else if (strcmp(m->encoding, "UCS-2") == 0) {
			ucs2++;
			assert_string_equal(m->locale, "es");
			assert_int_equal(m->segments, 1);
		} else {
			gsm++;
			assert_string_equal(m->encoding, "GSM-7");
			assert_int_equal(m->segments, 1);
		}
	}
	assert_int_equal(wa, 1);
	assert_int_equal(ucs2, 3); /* the Spanish signup and the refusal test's two starts */
	assert_int_equal(gsm, 2); /* Indonesian and the English fallback */
	pa_reply_clear(&r);
}

static void
no_secret_in_the_logs(void **state)
{
	(void) state;
	flowkit_check_logs();
}

static int
group_setup(void **state)
{
	(void) state;
	return flowkit_group_setup(&profile);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, flowkit_test_setup)
	const struct CMUnitTest tests[] = {
		T(spanish),
		T(bahasa_indonesia),
		T(a_language_the_profile_lacks_reads_in_english),
		T(refusals_speak_the_language_too),
		T(whatsapp_code_carries_its_language),
		T(admin_shows_encoding_and_segments),
		T(no_secret_in_the_logs),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, flowkit_group_teardown);
}
