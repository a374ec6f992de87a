/* health.c: the smallest program on libphoneauth-client: asks an Auth service whether it is up.
 *
 *   cc health.c $(pkg-config --cflags --libs phoneauth-client) -o health
 *   ./health tcp://127.0.0.1:7400
 *
 * Prints "OK version=0.1.0 database=up sms_worker=alive" and exits 0 when the service answers
 * OK; otherwise one line on stderr and exit 1. PHONEAUTH_CLIENT_TOKEN, PHONEAUTH_TLS_CA and
 * PHONEAUTH_TLS_SERVER_NAME are read like the phoneauth CLI reads them. */
#include <stdio.h>
#include <stdlib.h>

#include <phoneauth/client.h>

int
main(int argc, char **argv)
{
	struct phoneauth_client_opts o = {
		.url             = argc > 1 ? argv[1] : "tcp://127.0.0.1:7400",
		.timeout_ms      = 5000,
		.client_token    = getenv("PHONEAUTH_CLIENT_TOKEN"),
		.tls_ca_file     = getenv("PHONEAUTH_TLS_CA"),
		.tls_server_name = getenv("PHONEAUTH_TLS_SERVER_NAME"),
	};
	Phoneauth__V1__HealthRequest   req = PHONEAUTH__V1__HEALTH_REQUEST__INIT;
	Phoneauth__V1__HealthResponse *h;
	struct phoneauth_client       *c;
	struct phoneauth_reply         r;
	phoneauth_err                  rv;
	int                            st = 1;

	if ((rv = phoneauth_client_open(&c, &o)) != PHONEAUTH_OK) {
		fprintf(stderr, "health: cannot open %s: %s\n", o.url, phoneauth_strerror(rv));
		return 1;
	}
	if ((rv = phoneauth_auth_health(c, &req, NULL, &r, &h)) != PHONEAUTH_OK) {
		fprintf(stderr, "health: %s: %s\n", o.url, phoneauth_strerror(rv));
	} else if (h == NULL) {
		fprintf(stderr, "health: %s (%s): %s\n", phoneauth_code_name(r.code),
		    phoneauth_reason_name(r.reason), r.message);
		phoneauth_reply_clear(&r);
	} else {
		printf("OK version=%s database=%s sms_worker=%s (client %s)\n", h->version,
		    h->database_ok ? "up" : "down", h->sms_worker_alive ? "alive" : "none",
		    phoneauth_client_version());
		phoneauth_reply_clear(&r);
		st = 0;
	}
	phoneauth_client_close(c);
	return st;
}
