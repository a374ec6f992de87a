/* worker.h: what the phoneauth-sms-worker modules share: configuration, the outbox claim/finish
 * operations, and the send backends. */
#ifndef PHONEAUTH_SMSW_WORKER_H
#define PHONEAUTH_SMSW_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"

struct smsw_config {
	char *database_url;
	char *jobs_urls;   /* comma list: one per auth instance */
	char *outbox_key;
	char *backend;     /* "twilio" or "console" */
	char *log_level;
	int   lease_s;
	int   sweep_s;
	int   heartbeat_s;
};

extern const struct pa_conf_item smsw_config_items[];
extern const size_t              smsw_config_nitems;

/* One claimed outbox row; body is the plaintext SMS (wiped by smsw_job_clear). */
struct smsw_job {
	int64_t id;
	char    verification_id[37];
	char    phone[17];
	char   *body;
	size_t  body_len;
	int     ttl_left_s; /* the code's remaining life, Twilio's ValidityPeriod */
};

struct smsw {
	struct smsw_config cfg;
	struct pa_keyring  outbox_keys;
	struct pa_db      *db;
	char               id[96]; /* host:pid:random, the lease owner */
	char               host[64];
};

/* Claims row id if it is queued, or leased by a worker whose lease ran out. PA_ENOTFOUND when
 * another worker has it or it is done; an expired code is marked expired and never sent. */
pa_err smsw_claim(struct smsw *w, int64_t id, struct smsw_job *out) PA_MUSTCHECK;
/* Claims up to max rows a push never delivered or a dead worker left; ids into out. */
pa_err smsw_sweep(struct smsw *w, int64_t *out, int max, int *n) PA_MUSTCHECK;
/* Records the outcome of a send and audits it. */
pa_err smsw_finish_sent(struct smsw *w, const struct smsw_job *j, const char *sid,
    const char *status) PA_MUSTCHECK;
void   smsw_job_clear(struct smsw_job *j);
/* Records this worker as alive (host, pid, start, last seen). */
pa_err smsw_heartbeat(struct smsw *w) PA_MUSTCHECK;

#endif
