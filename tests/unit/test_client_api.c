/* test_client_api.c: libphoneauth-client has one function for every method of the Auth and
 * Admin services (phoneauth_auth_<method> / phoneauth_admin_<method>, snake case), looked up
 * by name in the shared library, so an RPC added to a .proto without its client function fails
 * here; and a call to nowhere times out cleanly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>

#include "phoneauth/client.h"

/* "phoneauth_auth_start_signup" for ("auth", "StartSignup"). */
static void
fn_name(const char *svc, const char *method, char *out, size_t outsz)
{
	size_t n = (size_t) snprintf(out, outsz, "phoneauth_%s_", svc);

	for (const char *p = method; *p != '\0' && n + 2 < outsz; p++) {
		if (isupper((unsigned char) *p) && p != method)
			out[n++] = '_';
		out[n++] = (char) tolower((unsigned char) *p);
	}
	out[n] = '\0';
}

static void
test_every_method_has_a_function(void **state)
{
	const struct {
		const char                       *svc;
		const ProtobufCServiceDescriptor *desc;
	} svcs[] = { { "auth", &phoneauth__v1__auth__descriptor },
		{ "admin", &phoneauth__v1__admin__descriptor } };
	char name[128];

	(void) state;
	for (size_t s = 0; s < sizeof svcs / sizeof svcs[0]; s++) {
		assert_true(svcs[s].desc->n_methods > 0);
		for (unsigned i = 0; i < svcs[s].desc->n_methods; i++) {
			fn_name(svcs[s].svc, svcs[s].desc->methods[i].name, name, sizeof name);
			if (dlsym(RTLD_DEFAULT, name) == NULL)
				fail_msg("libphoneauth-client has no %s", name);
		}
	}
	/* And libcommon's own names stay inside the shared library. */
	assert_null(dlsym(RTLD_DEFAULT, "pa_client_open"));
}

static void
test_call_to_nowhere(void **state)
{
	struct phoneauth_client_opts   o   = { .url = "tcp://127.0.0.1:1", .timeout_ms = 200 };
	Phoneauth__V1__HealthRequest   req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	Phoneauth__V1__HealthResponse *h   = (void *) &o;
	struct phoneauth_client       *c;
	struct phoneauth_reply         r;

	(void) state;
	assert_int_equal(phoneauth_client_open(&c, &o), PHONEAUTH_OK);
	assert_int_equal(phoneauth_auth_health(c, &req, NULL, &r, &h), PHONEAUTH_ETIMEDOUT);
	assert_null(h);
	assert_string_equal(phoneauth_strerror(PHONEAUTH_ETIMEDOUT), "timed out");
	phoneauth_client_close(c);
	o.url = "tls+tcp://127.0.0.1:1"; /* no CA file */
	assert_int_equal(phoneauth_client_open(&c, &o), PHONEAUTH_EINVAL);
	assert_string_equal(phoneauth_code_name(PHONEAUTH__V1__CODE__NOT_FOUND), "NOT_FOUND");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_method_has_a_function),
		cmocka_unit_test(test_call_to_nowhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
