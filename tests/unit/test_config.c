/* test_config.c: pa_conf_load/free/print against a fake environment: defaults, overrides, every
 * type's bad values, required and range errors, and that secrets never show up in any output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"

/* ---- fake environment ------------------------------------------------------------------------ */

#define ENV_MAX 16

static const char *env_names[ENV_MAX];
static const char *env_values[ENV_MAX];
static size_t      env_n;

static void
env_clear(void)
{
	env_n = 0;
}

static void
env_set(const char *name, const char *value)
{
	assert_true(env_n < ENV_MAX);
	env_names[env_n]  = name;
	env_values[env_n] = value;
	env_n++;
}

static const char *
fake_getenv(const char *name)
{
	for (size_t i = 0; i < env_n; i++)
		if (strcmp(env_names[i], name) == 0)
			return env_values[i];
	return NULL;
}

/* ---- pa_conf_free's wipe, observed through -Wl,--wrap=free ---------------------------------- */

/* When the binary is linked with -Wl,--wrap=free, config.c's free() lands here first, so the
 * test can look at a secret's bytes just before they are released. Without the flag __real_free
 * stays NULL, this is never called, and test_free_wipes_secret says it skipped the check. */
void        __wrap_free(void *p);
extern void __real_free(void *p) __attribute__((weak));

static const void *watch_ptr;
static size_t      watch_len;
static int         watch_seen; /* 1 = freed wiped, -1 = freed with data left */
static bool        wrap_active;

void
__wrap_free(void *p)
{
	wrap_active = true;
	if (p != NULL && p == watch_ptr) {
		const unsigned char *b    = p;
		bool                 zero = true;

		for (size_t i = 0; i < watch_len; i++)
			zero = zero && b[i] == 0;
		watch_seen = zero ? 1 : -1;
	}
	__real_free(p);
}

/* ---- the table under test -------------------------------------------------------------------- */

struct cfg {
	char *url;
	char *token;
	int   workers;
	int   timeout_s;
	bool  tls;
	char *name;
};

static const struct pa_conf_item items[] = {
	{ "T_URL", PA_CONF_STR, offsetof(struct cfg, url), "tcp://127.0.0.1:7000", 0, 0, 0,
	    "listen URL" },
	{ "T_TOKEN", PA_CONF_SECRET, offsetof(struct cfg, token), NULL, 0, 0, PA_CONF_REQUIRED,
	    "client token" },
	{ "T_WORKERS", PA_CONF_INT, offsetof(struct cfg, workers), "8", 1, 256, 0, "workers" },
	{ "T_TIMEOUT", PA_CONF_DURATION, offsetof(struct cfg, timeout_s), "30s", 1, 86400, 0,
	    "timeout" },
	{ "T_TLS", PA_CONF_BOOL, offsetof(struct cfg, tls), "off", 0, 0, 0, "use TLS" },
	{ "T_NAME", PA_CONF_STR, offsetof(struct cfg, name), NULL, 0, 0, 0, "optional name" },
};
#define N_ITEMS (sizeof items / sizeof items[0])

#define SECRET "s3cr3t-Token-Value"

static int
setup(void **state)
{
	env_clear();
	env_set("T_TOKEN", SECRET);
	return 0;
}

/* Loads into a fresh struct; the caller frees it. */
static pa_err
load(struct cfg *c, char *err, size_t errsz)
{
	memset(c, 0, sizeof *c);
	return pa_conf_load(c, items, N_ITEMS, fake_getenv, err, errsz);
}

/* Loads with one variable set to value and expects EINVAL with err naming the variable. */
static void
expect_bad(const char *name, const char *value)
{
	struct cfg c;
	char       err[256];

	env_set(name, value);
	assert_int_equal(load(&c, err, sizeof err), PA_EINVAL);
	if (strncmp(err, name, strlen(name)) != 0 || err[strlen(name)] != ' ')
		fail_msg("error line does not start with %s: %s", name, err);
	assert_null(strstr(err, SECRET));
	pa_conf_free(&c, items, N_ITEMS);
	env_n--;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void
test_defaults(void **state)
{
	struct cfg c;
	char       err[256];

	assert_int_equal(load(&c, err, sizeof err), PA_OK);
	assert_string_equal(err, "");
	assert_string_equal(c.url, "tcp://127.0.0.1:7000");
	assert_string_equal(c.token, SECRET);
	assert_int_equal(c.workers, 8);
	assert_int_equal(c.timeout_s, 30);
	assert_false(c.tls);
	assert_null(c.name);
	pa_conf_free(&c, items, N_ITEMS);
	assert_null(c.url);
	assert_null(c.token);
}

static void
test_overrides(void **state)
{
	struct cfg c;
	char       err[256];

	env_set("T_URL", "ipc:///tmp/x");
	env_set("T_WORKERS", "256");
	env_set("T_TIMEOUT", "2h");
	env_set("T_TLS", "Yes");
	env_set("T_NAME", "alpha");
	assert_int_equal(load(&c, err, sizeof err), PA_OK);
	assert_string_equal(c.url, "ipc:///tmp/x");
	assert_int_equal(c.workers, 256);
	assert_int_equal(c.timeout_s, 7200);
	assert_true(c.tls);
	assert_string_equal(c.name, "alpha");
	pa_conf_free(&c, items, N_ITEMS);
}

static void
test_empty_is_unset(void **state)
{
	struct cfg c;
	char       err[256];

	env_set("T_URL", "");
	env_set("T_WORKERS", "");
	assert_int_equal(load(&c, err, sizeof err), PA_OK);
	assert_string_equal(c.url, "tcp://127.0.0.1:7000");
	assert_int_equal(c.workers, 8);
	pa_conf_free(&c, items, N_ITEMS);
}

static void
test_null_default_keeps_field(void **state)
{
	/* def == NULL and unset: the field keeps what the caller put there (policy overrides). */
	static const struct pa_conf_item keep[] = {
		{ "K_INT", PA_CONF_INT, offsetof(struct cfg, workers), NULL, 0, 100, 0, "" },
		{ "K_DUR", PA_CONF_DURATION, offsetof(struct cfg, timeout_s), NULL, 0, 100, 0, "" },
		{ "K_BOOL", PA_CONF_BOOL, offsetof(struct cfg, tls), NULL, 0, 0, 0, "" },
		{ "K_STR", PA_CONF_STR, offsetof(struct cfg, name), NULL, 0, 0, 0, "" },
	};
	struct cfg c = { .workers = 42, .timeout_s = 17, .tls = true };
	char       err[64];

	c.name = strdup("kept");
	assert_non_null(c.name);
	assert_int_equal(pa_conf_load(&c, keep, 4, fake_getenv, err, sizeof err), PA_OK);
	assert_int_equal(c.workers, 42);
	assert_int_equal(c.timeout_s, 17);
	assert_true(c.tls);
	assert_string_equal(c.name, "kept");

	/* A set variable replaces the heap string (ASan would report the old one leaking). */
	env_set("K_STR", "replaced");
	env_set("K_BOOL", "0");
	assert_int_equal(pa_conf_load(&c, keep, 4, fake_getenv, err, sizeof err), PA_OK);
	assert_string_equal(c.name, "replaced");
	assert_false(c.tls);
	pa_conf_free(&c, keep, 4);
	assert_null(c.name);
}

static void
test_durations(void **state)
{
	static const struct {
		const char *text;
		int         secs;
	} ok[] = { { "90", 90 }, { "90s", 90 }, { "10m", 600 }, { "2h", 7200 }, { "1", 1 },
		{ "86400", 86400 }, { "1440m", 86400 } };
	struct cfg c;
	char       err[256];

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		env_set("T_TIMEOUT", ok[i].text);
		assert_int_equal(load(&c, err, sizeof err), PA_OK);
		assert_int_equal(c.timeout_s, ok[i].secs);
		pa_conf_free(&c, items, N_ITEMS);
		env_n--;
	}
}

static void
test_bad_durations(void **state)
{
	static const char *const bad[] = { "abc", "10x", "m", "-5", "+5", " 5", "5 ", "1.5m",
		"10mm", "0", "25h", "86401", "99999999999999999999h", "5S" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_bad("T_TIMEOUT", bad[i]);
}

static void
test_bad_ints(void **state)
{
	static const char *const bad[] = { "abc", "0", "257", "-1", "8x", " 8", "8 ", "0x10", "1e2",
		"99999999999999999999999", "-" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_bad("T_WORKERS", bad[i]);
}

static void
test_int_error_text(void **state)
{
	struct cfg c;
	char       err[256];

	env_set("T_WORKERS", "abc");
	assert_int_equal(load(&c, err, sizeof err), PA_EINVAL);
	assert_string_equal(err, "T_WORKERS must be an integer from 1 to 256 (got \"abc\")");
	/* Items before the failure stay set; pa_conf_free releases them. */
	assert_non_null(c.url);
	pa_conf_free(&c, items, N_ITEMS);
}

static void
test_bools(void **state)
{
	static const char *const t[]   = { "1", "true", "TRUE", "yes", "on", "On" };
	static const char *const f[]   = { "0", "false", "no", "off", "OFF" };
	static const char *const bad[] = { "2", "y", "n", "enable", "truee", "-1" };
	struct cfg               c;
	char                     err[256];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		env_set("T_TLS", t[i]);
		assert_int_equal(load(&c, err, sizeof err), PA_OK);
		assert_true(c.tls);
		pa_conf_free(&c, items, N_ITEMS);
		env_n--;
	}
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		env_set("T_TLS", f[i]);
		assert_int_equal(load(&c, err, sizeof err), PA_OK);
		assert_false(c.tls);
		pa_conf_free(&c, items, N_ITEMS);
		env_n--;
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_bad("T_TLS", bad[i]);
}

static void
test_required_missing(void **state)
{
	struct cfg c;
	char       err[256];

	env_clear();
	assert_int_equal(load(&c, err, sizeof err), PA_EINVAL);
	assert_string_equal(err, "T_TOKEN is required but not set");
	pa_conf_free(&c, items, N_ITEMS);

	env_set("T_TOKEN", "");
	assert_int_equal(load(&c, err, sizeof err), PA_EINVAL);
	assert_string_equal(err, "T_TOKEN is required but not set");
	pa_conf_free(&c, items, N_ITEMS);
}

static void
test_bad_default_is_internal(void **state)
{
	static const struct pa_conf_item bad[] = {
		{ "B_INT", PA_CONF_INT, offsetof(struct cfg, workers), "lots", 1, 10, 0, "" },
	};
	struct cfg c = { 0 };
	char       err[256];

	assert_int_equal(pa_conf_load(&c, bad, 1, fake_getenv, err, sizeof err), PA_EINTERNAL);
	assert_non_null(strstr(err, "B_INT"));
	assert_non_null(strstr(err, "the default"));
}

static void
test_error_quotes_are_escaped_and_cut(void **state)
{
	struct cfg c;
	char       err[512];
	char       big[300];

	env_set("T_WORKERS", "a\"b\n");
	assert_int_equal(load(&c, err, sizeof err), PA_EINVAL);
	assert_non_null(strstr(err, "(got \"a\\\"b\\x0a\")"));
	assert_null(strchr(err, '\n'));
	pa_conf_free(&c, items, N_ITEMS);
	env_n--;

	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	env_set("T_WORKERS", big);
	assert_int_equal(load(&c, err, sizeof err), PA_EINVAL);
	assert_non_null(strstr(err, "...\")"));
	assert_true(strlen(err) < 200);
	pa_conf_free(&c, items, N_ITEMS);

	/* A tiny or absent buffer is fine too. */
	assert_int_equal(load(&c, err, 8), PA_EINVAL);
	assert_true(strlen(err) == 7);
	pa_conf_free(&c, items, N_ITEMS);
	assert_int_equal(load(&c, NULL, 0), PA_EINVAL);
	pa_conf_free(&c, items, N_ITEMS);
}

static void
test_secret_never_in_err(void **state)
{
	/* Every failing variable after the secret has been loaded. */
	expect_bad("T_WORKERS", "nope");
	expect_bad("T_TIMEOUT", "nope");
	expect_bad("T_TLS", "nope");
}

static char *
print_to_string(const struct cfg *c)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f   = open_memstream(&buf, &len);

	assert_non_null(f);
	pa_conf_print(f, c, items, N_ITEMS);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
test_print(void **state)
{
	struct cfg c;
	char       err[256];
	char      *out;

	env_set("T_URL", "line1\nline2\\");
	env_set("T_TLS", "on");
	assert_int_equal(load(&c, err, sizeof err), PA_OK);
	out = print_to_string(&c);
	assert_string_equal(out,
	    "T_URL=line1\\nline2\\\\\n"
	    "T_TOKEN=set\n"
	    "T_WORKERS=8\n"
	    "T_TIMEOUT=30s\n"
	    "T_TLS=true\n"
	    "T_NAME=\n");
	assert_null(strstr(out, SECRET));
	free(out);
	pa_conf_free(&c, items, N_ITEMS);

	/* After free the secret is missing. */
	out = print_to_string(&c);
	assert_non_null(strstr(out, "T_TOKEN=missing\n"));
	free(out);
}

static void
test_free_wipes_secret(void **state)
{
	struct cfg c;
	char       err[256];

	assert_int_equal(load(&c, err, sizeof err), PA_OK);
	watch_ptr  = c.token;
	watch_len  = strlen(SECRET);
	watch_seen = 0;
	pa_conf_free(&c, items, N_ITEMS);
	watch_ptr = NULL;
	assert_null(c.token);
	assert_null(c.url);
	if (!wrap_active) {
		print_message("  (wipe not observed: link with -Wl,--wrap=free to check it)\n");
		return;
	}
	assert_int_equal(watch_seen, 1);

	/* Replacing a set secret wipes the old value too. */
	c.token = strdup("old-secret");
	assert_non_null(c.token);
	watch_ptr  = c.token;
	watch_len  = strlen("old-secret");
	watch_seen = 0;
	assert_int_equal(pa_conf_load(&c, items, N_ITEMS, fake_getenv, err, sizeof err), PA_OK);
	watch_ptr = NULL;
	assert_int_equal(watch_seen, 1);
	pa_conf_free(&c, items, N_ITEMS);
}

static void
test_free_null_and_zeroed(void **state)
{
	struct cfg c = { 0 };

	pa_conf_free(NULL, items, N_ITEMS);
	pa_conf_free(&c, items, N_ITEMS);
	pa_conf_free(&c, items, N_ITEMS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_overrides, setup),
		cmocka_unit_test_setup(test_empty_is_unset, setup),
		cmocka_unit_test_setup(test_null_default_keeps_field, setup),
		cmocka_unit_test_setup(test_durations, setup),
		cmocka_unit_test_setup(test_bad_durations, setup),
		cmocka_unit_test_setup(test_bad_ints, setup),
		cmocka_unit_test_setup(test_int_error_text, setup),
		cmocka_unit_test_setup(test_bools, setup),
		cmocka_unit_test_setup(test_required_missing, setup),
		cmocka_unit_test_setup(test_bad_default_is_internal, setup),
		cmocka_unit_test_setup(test_error_quotes_are_escaped_and_cut, setup),
		cmocka_unit_test_setup(test_secret_never_in_err, setup),
		cmocka_unit_test_setup(test_print, setup),
		cmocka_unit_test_setup(test_free_wipes_secret, setup),
		cmocka_unit_test_setup(test_free_null_and_zeroed, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
