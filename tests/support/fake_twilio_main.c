/* fake_twilio_main.c: phoneauth-fake-twilio, the fake Twilio Messages and Verify APIs as a process
 * of its own, so that `make run` and manual tests can point TWILIO_API_BASE (and
 * TWILIO_VERIFY_BASE) at it. Credentials come from the same environment variables the SMS worker
 * reads; it prints each message it accepts and each Verify code it sends. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_twilio.h"

#define DEFAULT_LISTEN "127.0.0.1:7490"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: phoneauth-fake-twilio [--listen HOST:PORT] [--auto-callback-ms MS]\n"
	    "                             [--verify-service-sid VA...]\n"
	    "\n"
	    "A fake of Twilio's Messages (SMS, WhatsApp) and Verify v2 APIs for local runs. It\n"
	    "checks Basic auth and the form fields like Twilio, answers with Twilio-shaped JSON\n"
	    "and prints each accepted message and each Verify code it sends.\n"
	    "\n"
	    "  --listen HOST:PORT      address to serve on (default " DEFAULT_LISTEN ")\n"
	    "  --auto-callback-ms MS   post \"sent\" then \"delivered\" status callbacks, MS "
	    "apart,\n"
	    "                          for messages with a StatusCallback (default 0: never)\n"
	    "  --verify-service-sid SID  the only Verify service (VA + 32 hex) accepted\n"
	    "                          (default: TWILIO_VERIFY_SERVICE_SID, else any VA SID)\n"
	    "  --help                  this text\n"
	    "  --version               the phoneauth version it came with\n"
	    "\n"
	    "environment:\n"
	    "  TWILIO_ACCOUNT_SID      required: the account the URL must name (AC + 32 hex)\n"
	    "  TWILIO_AUTH_TOKEN       required: its Basic password; signs the callbacks\n"
	    "  TWILIO_API_KEY          optional: an API key (SK...) accepted as Basic user\n"
	    "  TWILIO_API_SECRET       its secret (required with TWILIO_API_KEY)\n"
	    "  TWILIO_VERIFY_SERVICE_SID  optional: see --verify-service-sid\n");
}

/* An environment variable, NULL when unset or empty. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool
is_service_sid(const char *s)
{
	if (strlen(s) != 34 || strncmp(s, "VA", 2) != 0)
		return false;
	for (size_t i = 2; i < 34; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return false;
	return true;
}

static bool
parse_ms(const char *s, int *out)
{
	char *end;
	long  v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > 3600000)
		return false;
	*out = (int) v;
	return true;
}

int
main(int argc, char **argv)
{
	struct fake_twilio_opts o = { .listen = DEFAULT_LISTEN, .print = true };
	struct fake_twilio     *f;
	sigset_t                set;
	int                     sig;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("phoneauth-fake-twilio %s\n", PHONEAUTH_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			o.listen = argv[++i];
		} else if (strcmp(argv[i], "--auto-callback-ms") == 0 && i + 1 < argc) {
			if (!parse_ms(argv[++i], &o.auto_callback_ms)) {
				fprintf(stderr,
				    "phoneauth-fake-twilio: bad --auto-callback-ms '%s'\n",
				    argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--verify-service-sid") == 0 && i + 1 < argc) {
			o.verify_service_sid = argv[++i];
		} else {
			fprintf(stderr, "phoneauth-fake-twilio: bad option '%s' (see --help)\n",
			    argv[i]);
			return 2;
		}
	}
	o.account_sid = env("TWILIO_ACCOUNT_SID");
	o.auth_token  = env("TWILIO_AUTH_TOKEN");
	o.api_key     = env("TWILIO_API_KEY");
	o.api_secret  = env("TWILIO_API_SECRET");
	if (o.verify_service_sid == NULL)
		o.verify_service_sid = env("TWILIO_VERIFY_SERVICE_SID");
	if (o.verify_service_sid != NULL && !is_service_sid(o.verify_service_sid)) {
		fprintf(stderr,
		    "phoneauth-fake-twilio: the Verify service SID '%s' is not VA + 32 hex\n",
		    o.verify_service_sid);
		return 2;
	}
	if (o.account_sid == NULL || o.auth_token == NULL) {
		fprintf(stderr,
		    "phoneauth-fake-twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
		    "(the credentials the SMS worker will send)\n");
		return 2;
	}
	if ((o.api_key == NULL) != (o.api_secret == NULL)) {
		fprintf(stderr,
		    "phoneauth-fake-twilio: set TWILIO_API_KEY and TWILIO_API_SECRET "
		    "together, or neither\n");
		return 2;
	}

	/* Block the stop signals before any thread starts, so that every thread inherits the mask
	 * and only sigwait below sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		fprintf(stderr, "phoneauth-fake-twilio: cannot block SIGINT/SIGTERM\n");
		return 1;
	}
	if (fake_twilio_start(&f, &o) != 0) {
		fprintf(stderr,
		    "phoneauth-fake-twilio: cannot serve on %s (in use, or a bad address?)\n",
		    o.listen);
		return 1;
	}
	printf("phoneauth-fake-twilio: serving TWILIO_API_BASE=%s for account %s%s\n",
	    fake_twilio_base(f), o.account_sid, o.api_key != NULL ? " (API key accepted too)" : "");
	printf("phoneauth-fake-twilio: serving TWILIO_VERIFY_BASE=%s for %s\n",
	    fake_twilio_verify_base(f),
	    o.verify_service_sid != NULL ? o.verify_service_sid : "any Verify service");
	(void) fflush(stdout);
	if (sigwait(&set, &sig) != 0)
		sig = 0;
	printf("phoneauth-fake-twilio: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	(void) fflush(stdout);
	fake_twilio_stop(f);
	return 0;
}
