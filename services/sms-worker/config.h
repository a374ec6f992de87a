/* config.h: the worker's configuration: every environment variable phoneauth-sms-worker reads
 * (config.c's table), the check that the twilio backend has what it needs, and the Twilio SID
 * syntax both of them and the status endpoint use. */
#ifndef PHONEAUTH_SMSW_CONFIG_H
#define PHONEAUTH_SMSW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "common/err.h"

struct smsw_config {
	char *database_url;
	char *jobs_urls; /* comma list: one per auth instance */
	char *outbox_key;
	char *backend; /* "twilio" or "console" */
	char *log_level;
	char *http_addr; /* /healthz, /metrics, /twilio/status */
	int   lease_s;
	int   sweep_s;
	int   heartbeat_s;
	int   concurrency; /* Twilio requests in flight */
	int   max_attempts;
	int   connect_timeout_s;
	int   request_timeout_s;
	int   reconcile_after_s; /* a 'sent' row with no final status this long is asked about */
	int   callback_threads;
	bool  feedback; /* ProvideFeedback and Outcome=confirmed on verified codes */
	/* Twilio */
	char *api_base;
	char *account_sid;
	char *auth_token;
	char *api_key;
	char *api_secret;
	char *messaging_service_sid;
	char *from;
	/* WhatsApp (migration 0015's channel 'whatsapp') */
	char *whatsapp_from; /* "whatsapp:+E164" or "+E164"; else the Messaging Service's sender */
	char *whatsapp_content_sid; /* HX + 32 hex: the approved authentication template */
	char *whatsapp_content_sids; /* "es=HX...,id=HX...": the template per language */
	char *status_callback_url; /* public URL Twilio posts to; signs callbacks */
	char *ca_file;
	/* tls+tcp:// job URLs */
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *tls_server_name;
	/* Twilio Verify (verify.h, vcheck.h): on when verify_service_sid is set. */
	char *verify_service_sid; /* VA... */
	char *verify_base; /* Verify's API origin */
	char *verify_check_urls; /* comma list: every auth instance's PHONEAUTH_VERIFY_CHECK_URL */
	char *verify_check_token; /* seals the checks (32+ characters) */
};

extern const struct pa_conf_item smsw_config_items[];
extern const size_t              smsw_config_nitems;

/* Whether s is a Twilio SID: prefix ("AC", "SM" ...) and 32 hex digits. */
bool smsw_sid_ok(const char *s, const char *prefix);
/* A Message SID: SM (SMS) or MM (MMS). */
#define SMSW_MESSAGE_SID_OK(s) (smsw_sid_ok((s), "SM") || smsw_sid_ok((s), "MM"))

/* The WhatsApp template for a row in locale (BCP 47): TWILIO_WHATSAPP_CONTENT_SIDS' entry for
 * the whole tag ("es-MX"), else for its language subtag ("es"), else
 * TWILIO_WHATSAPP_CONTENT_SID; tags compare case-insensitively. Writes the SID to out and
 * returns true, or returns false when none is configured. */
bool smsw_config_content_sid(const struct smsw_config *c, const char *locale, char out[35]);

/* Checks the Twilio variables the backend needs; on failure writes one line naming every
 * missing or malformed one to err. */
/* Whether the Verify backend is on (TWILIO_VERIFY_SERVICE_SID is set). */
bool smsw_config_verify_on(const struct smsw_config *c);

pa_err smsw_config_check_twilio(const struct smsw_config *c, char *err, size_t errsz) PA_MUSTCHECK;

#endif
