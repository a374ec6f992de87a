/* test_cli.c: the phoneauth CLI's arguments for channels, languages and the second factor
 * (--channel, --locale, verify --remember-device, login --device-token), run as the real binary:
 * their --help texts, the usage errors (exit 2) for bad values, and valid ones reaching the call
 * (exit 1: nothing listens). The replies' new fields are test_admin's and the flows' (a live
 * service). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

/* Nothing listens there: a command that gets as far as its call fails with exit 1. */
#define NOWHERE "tcp://127.0.0.1:1"

static char out[16384];

/* Runs the CLI with args (NULL-terminated) and a password in the environment; returns its exit
 * status, with stdout and stderr in out. */
static int
cli(const char *const *args)
{
	const char *argv[24] = { PHONEAUTH_CLI_BIN, "--url", NOWHERE, "--timeout", "200" };
	const char *env[]    = { "PHONEAUTH_PASSWORD=Correct-Horse-9", NULL };
	int         n        = 5;

	for (int i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return harness_run(argv, env, out, sizeof out);
}

#define CLI(...) cli((const char *[]) { __VA_ARGS__, NULL })

static void
assert_out(const char *want)
{
	if (strstr(out, want) == NULL)
		fail_msg("no \"%s\" in:\n%s", want, out);
}

static void
test_help(void **state)
{
	assert_int_equal(CLI("--help"), 0);
	assert_out("[--locale TAG]");
	assert_out("  --locale TAG    the person's language (BCP 47: es, es-MX, id-ID)");
	assert_out("signup             PHONE [--subscription ID] [--channel C]");
	assert_out("resend             VERIFICATION_ID [--channel C]");
	assert_out("verify             VERIFICATION_ID CODE [--remember-device]");
	assert_out("register           EMAIL PHONE [--channel C]");
	assert_out("login              LOGIN [--device-token T] [--channel C]");
	assert_out("reset-password     LOGIN [--channel C]");
	assert_out("--channel C: sms or whatsapp");
	assert_out("messages           [--status S] [--sid SID]: messages sent: channel");

	assert_int_equal(CLI("signup", "--help"), 0);
	assert_string_equal(
	    out, "usage: phoneauth signup PHONE [--subscription ID] [--channel sms|whatsapp]\n");
	assert_int_equal(CLI("resend", "-h"), 0);
	assert_string_equal(
	    out, "usage: phoneauth resend VERIFICATION_ID [--channel sms|whatsapp]\n");
	assert_int_equal(CLI("verify", "--help"), 0);
	assert_string_equal(
	    out, "usage: phoneauth verify VERIFICATION_ID CODE [--remember-device]\n");
	assert_int_equal(CLI("register", "--help"), 0);
	assert_string_equal(
	    out, "usage: phoneauth register EMAIL PHONE [--channel sms|whatsapp]\n");
	assert_int_equal(CLI("login", "--help"), 0);
	assert_string_equal(
	    out, "usage: phoneauth login LOGIN [--device-token T] [--channel sms|whatsapp]\n");
	assert_int_equal(CLI("reset-password", "--help"), 0);
	assert_string_equal(
	    out, "usage: phoneauth reset-password LOGIN [--channel sms|whatsapp]\n");
}

/* A channel other than sms or whatsapp is a usage error, named, before any call. */
static void
test_bad_channel(void **state)
{
	static const char *const cmds[][4] = {
		{ "signup", "+12015550100", NULL, NULL },
		{ "resend", "0b7c3a52-8f55-4a4e-9a8e-5a1a0d3c2b11", NULL, NULL },
		{ "register", "ana@example.com", "+12015550100", NULL },
		{ "login", "+12015550100", NULL, NULL },
		{ "reset-password", "ana@example.com", NULL, NULL },
	};

	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const char *args[8];
		int         n = 0;

		for (int k = 0; k < 4 && cmds[i][k] != NULL; k++)
			args[n++] = cmds[i][k];
		args[n++] = "--channel";
		args[n++] = "fax";
		args[n]   = NULL;
		if (cli(args) != 2
		    || strstr(out, "--channel takes sms or whatsapp (got 'fax')") == NULL
		    || strstr(out, "usage: phoneauth ") == NULL)
			fail_msg("%s --channel fax:\n%s", cmds[i][0], out);
		/* Case matters, as for the service's names. */
		args[n - 1] = "SMS";
		assert_int_equal(cli(args), 2);
		/* An option without its value. */
		args[n - 1] = NULL;
		assert_int_equal(cli(args), 2);
		assert_out("missing value for '--channel'");
	}
	assert_int_equal(CLI("signup", "+12015550100", "--channel="), 2);
	assert_out("(got '')");
	assert_int_equal(CLI("login", "+12015550100", "--device-token"), 2);
	assert_out("missing value for '--device-token'");
	/* The admin commands take no --channel. */
	assert_int_equal(CLI("messages", "--channel", "sms"), 2);
	assert_out("unexpected argument '--channel'");
}

static void
test_bad_locale(void **state)
{
	static const char *const bad[] = { "", "e", "english", "es-", "-es", "es--MX", "es MX",
		"es_MX", "es-abcdefghi", "12", "es-MX-aaaaaaaa-bbbbbbbb-cccccccc-ddd" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (CLI("--locale", bad[i], "health") != 2
		    || strstr(out, "--locale takes a BCP 47 language tag") == NULL)
			fail_msg("--locale '%s':\n%s", bad[i], out);
	assert_int_equal(CLI("--locale"), 2);
}

/* Valid flags get past the parser to the call, which finds nobody (exit 1). */
static void
test_valid_flags_reach_the_call(void **state)
{
	const char *const *runs[] = {
		(const char *[]) {
		    "--locale", "es", "signup", "+12015550100", "--channel", "whatsapp", NULL },
		(const char *[]) { "--locale", "id-ID", "signup", "+12015550100", "--subscription",
		    "sub_1", "--channel=sms", NULL },
		(const char *[]) {
		    "--locale", "zh-Hant-TW", "resend", "v", "--channel", "sms", NULL },
		(const char *[]) { "verify", "v", "1234", "--remember-device", NULL },
		(const char *[]) { "--locale", "ES-mx", "register", "ana@example.com",
		    "+12015550100", "--channel", "whatsapp", NULL },
		(const char *[]) { "login", "+12015550100", "--device-token", "-tok_en",
		    "--channel", "sms", NULL },
		(const char *[]) {
		    "--json", "reset-password", "ana@example.com", "--channel", "whatsapp", NULL },
		(const char *[]) { "--locale", "es", "health", NULL },
	};

	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
		if (cli(runs[i]) != 1 || strstr(out, "no answer from " NOWHERE) == NULL)
			fail_msg("run %zu:\n%s", i, out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_bad_channel),
		cmocka_unit_test(test_bad_locale),
		cmocka_unit_test(test_valid_flags_reach_the_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
