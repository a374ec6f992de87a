/* fuzz_requests.c: every Auth and Admin request decoder, and the input checks their handlers run
 * before the database. The first byte picks a method from both services' method tables (so a
 * method added to a .proto is fuzzed with no change here); the rest is unpacked as that method's
 * request. Fields then go through what the handlers call on them: pa_phone_check with the
 * default deployment ("US", no allow-list) and pa_phone_mask of its E.164, auth_email_ok,
 * auth_is_uuid, pa_policy_check_password under both built-in profiles, pa_token_hash and
 * pa_otp_check. Property: a decoded request (without unknown fields) re-encodes to bytes that
 * decode and re-encode to themselves. Not covered: what is inseparable from a handler or static in
 * admin.c (the subscription id's length, login_keys, ListUsers' cursor and search escaping, id
 * cursors). */
#include <protobuf-c/protobuf-c.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/phone.h"
#include "fuzz.h"
#include "ids.h"
#include "input.h"
#include "phoneauth/v1/admin.pb-c.h"
#include "phoneauth/v1/auth.pb-c.h"
#include "policy.h"

/* What the handlers' checks need, made once per process: libFuzzer calls the target millions of
 * times and loading the profiles each time would dominate the run. */
struct fixture {
	bool              ready;
	struct pa_policy  policy[2]; /* fancy-feathers, lawnflow */
	struct pa_keyring keys;
	unsigned char     mac[32]; /* a stored code MAC to check codes against */
};

static struct fixture fx;

static const char *
env_fancy(const char *name)
{
	return strcmp(name, "PHONEAUTH_PROFILE") == 0 ? "fancy-feathers" : NULL;
}

static const char *
env_lawn(const char *name)
{
	return strcmp(name, "PHONEAUTH_PROFILE") == 0 ? "lawnflow" : NULL;
}

static void
fixture_init(void)
{
	char err[256];

	if (fx.ready)
		return;
	FUZZ_CHECK(pa_crypto_init() == PA_OK);
	FUZZ_CHECK(pa_policy_load(&fx.policy[0], env_fancy, err, sizeof err) == PA_OK);
	FUZZ_CHECK(pa_policy_load(&fx.policy[1], env_lawn, err, sizeof err) == PA_OK);
	FUZZ_CHECK(pa_keyring_parse(
	               &fx.keys, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	    == PA_OK);
	pa_otp_mac(fx.mac, &fx.keys, "7d444840-9dc0-11d1-b245-5ffdce74fad2", "123456");
	fx.ready = true;
}

/* A phone as LinkSubscription, StartSignup and Register take it (auth_phone_accept), masked as
 * their replies and logs mask it. */
static void
check_phone(const char *s)
{
	struct pa_phone       p;
	enum pa_phone_verdict v = pa_phone_check(&p, s, "US", "");
	char                  masked[PA_PHONE_MASK_MAX];

	FUZZ_CHECK(pa_phone_verdict_text(v) != NULL);
	if (v == PA_PHONE_UNPARSEABLE || v == PA_PHONE_INVALID)
		return;
	FUZZ_CHECK(p.e164[0] == '+' && strlen(p.e164) < sizeof p.e164);
	FUZZ_CHECK(strlen(pa_phone_mask(p.e164, masked)) < sizeof masked);
}

/* A login: an email when it has '@' (looked up as typed), else a phone. */
static void
check_login(const char *s)
{
	if (strchr(s, '@') == NULL)
		check_phone(s);
}

static void
check_password(const char *pw)
{
	for (size_t i = 0; i < 2; i++) {
		enum pa_pw_verdict v = pa_policy_check_password(&fx.policy[i], pw, strlen(pw));

		char  *nfc;
		size_t len;
		pa_err rv;

		FUZZ_CHECK(v >= PA_PW_OK && v <= PA_PW_NOMEM);
		if (v == PA_PW_NOMEM)
			continue;
		/* Not UTF-8 is refused; otherwise the character cap before Argon2 comes first. */
		rv = pa_policy_password_nfc(pw, strlen(pw), &nfc, &len);
		FUZZ_CHECK(rv != PA_EINVAL || v == PA_PW_INVALID || v == PA_PW_TOO_LONG);
		if (rv != PA_OK)
			continue;
		FUZZ_CHECK(v != PA_PW_INVALID);
		if (pa_policy_password_chars(nfc, len) > (size_t) fx.policy[i].password_max_len)
			FUZZ_CHECK(v == PA_PW_TOO_LONG);
		pa_policy_password_nfc_free(nfc, len);
	}
}

static void
check_email(const char *s)
{
	if (auth_email_ok(s))
		FUZZ_CHECK(strchr(s, '@') != NULL && strlen(s) <= 254);
}

static void
check_uuid(const char *s)
{
	if (auth_is_uuid(s))
		FUZZ_CHECK(strlen(s) == 36);
}

/* Session, signup and reset tokens are only ever hashed. */
static void
check_token(const char *s)
{
	unsigned char h[32];

	pa_token_hash(h, &fx.keys, s);
}

static void
check_auth(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (d == &phoneauth__v1__link_subscription_request__descriptor) {
		check_phone(((const Phoneauth__V1__LinkSubscriptionRequest *) m)->phone);
	} else if (d == &phoneauth__v1__start_signup_request__descriptor) {
		check_phone(((const Phoneauth__V1__StartSignupRequest *) m)->phone);
	} else if (d == &phoneauth__v1__resend_code_request__descriptor) {
		check_uuid(((const Phoneauth__V1__ResendCodeRequest *) m)->verification_id);
	} else if (d == &phoneauth__v1__verify_code_request__descriptor) {
		const Phoneauth__V1__VerifyCodeRequest *r = (const void *) m;

		check_uuid(r->verification_id);
		(void) pa_otp_check(&fx.keys, r->verification_id, r->code, fx.mac);
	} else if (d == &phoneauth__v1__create_account_request__descriptor) {
		const Phoneauth__V1__CreateAccountRequest *r = (const void *) m;

		check_password(r->password);
		check_email(r->email);
		check_token(r->signup_token);
	} else if (d == &phoneauth__v1__register_request__descriptor) {
		const Phoneauth__V1__RegisterRequest *r = (const void *) m;

		check_email(r->email);
		check_phone(r->phone);
		check_password(r->password);
	} else if (d == &phoneauth__v1__login_request__descriptor) {
		check_login(((const Phoneauth__V1__LoginRequest *) m)->login);
	} else if (d == &phoneauth__v1__validate_session_request__descriptor) {
		check_token(((const Phoneauth__V1__ValidateSessionRequest *) m)->session_token);
	} else if (d == &phoneauth__v1__logout_request__descriptor) {
		check_token(((const Phoneauth__V1__LogoutRequest *) m)->session_token);
	} else if (d == &phoneauth__v1__start_password_reset_request__descriptor) {
		check_login(((const Phoneauth__V1__StartPasswordResetRequest *) m)->login);
	} else if (d == &phoneauth__v1__complete_password_reset_request__descriptor) {
		const Phoneauth__V1__CompletePasswordResetRequest *r = (const void *) m;

		check_password(r->password);
		check_token(r->reset_token);
	}
}

static void
check_admin(const ProtobufCMessage *m)
{
	if (m->descriptor == &phoneauth__v1__list_audit_events_request__descriptor) {
		const Phoneauth__V1__ListAuditEventsRequest *r = (const void *) m;
		char                                         masked[PA_PHONE_MASK_MAX];

		/* The handler masks a phone filter as typed, to match the stored masked form. */
		FUZZ_CHECK(strlen(pa_phone_mask(r->phone, masked)) < sizeof masked);
		check_uuid(r->user_id);
		check_uuid(r->verification_id);
	}
}

/* Packs m, and checks that the bytes decode and pack again to the same bytes. Not for a message
 * with unknown fields: protobuf-c 1.4 accepts field number 0 written in two bytes ("80 00"), keeps
 * it as an unknown field, writes it back in one byte, and then refuses that. The handlers never
 * look at unknown fields, so this is no bug of ours. */
static void
check_reencoded(const ProtobufCMessage *m)
{
	size_t            len = protobuf_c_message_get_packed_size(m), len2;
	uint8_t          *a, *b = NULL;
	ProtobufCMessage *again;

	if (m->n_unknown_fields > 0 || (a = malloc(len ? len : 1)) == NULL)
		return;
	FUZZ_CHECK(protobuf_c_message_pack(m, a) == len);
	again = protobuf_c_message_unpack(m->descriptor, NULL, len, a);
	FUZZ_CHECK(again != NULL);
	len2 = protobuf_c_message_get_packed_size(again);
	FUZZ_CHECK(len2 == len);
	if ((b = malloc(len2 ? len2 : 1)) != NULL) {
		FUZZ_CHECK(protobuf_c_message_pack(again, b) == len2);
		FUZZ_CHECK(memcmp(a, b, len) == 0);
	}
	protobuf_c_message_free_unpacked(again, NULL);
	free(b);
	free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCServiceDescriptor *auth  = &phoneauth__v1__auth__descriptor;
	const ProtobufCServiceDescriptor *admin = &phoneauth__v1__admin__descriptor;
	const ProtobufCMethodDescriptor  *method;
	ProtobufCMessage                 *m;
	bool                              is_auth;
	unsigned                          pick;

	if (size < 1 || size > PA_RPC_DEFAULT_MAX_MSG)
		return 0;
	fixture_init();
	pick    = data[0] % (auth->n_methods + admin->n_methods);
	is_auth = pick < auth->n_methods;
	method  = is_auth ? &auth->methods[pick] : &admin->methods[pick - auth->n_methods];
	if ((m = protobuf_c_message_unpack(method->input, NULL, size - 1, data + 1)) == NULL)
		return 0;
	if (is_auth)
		check_auth(m);
	else
		check_admin(m);
	check_reencoded(m);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
