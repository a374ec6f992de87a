/* engine.c: the send loop. One thread owns a libcurl multi handle and this worker's database
 * connection: it claims rows (pushed ids first, then the sweep), keeps up to
 * PHONEAUTH_SEND_CONCURRENCY Twilio requests in flight over reused connections, records each
 * answer, and asks Twilio about messages whose final status never arrived. Rows are claimed only
 * when a request slot is free, so a busy worker leaves work for idle ones. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "common/log.h"
#include "common/phone.h"
#include "worker.h"

#define IDS_CAP 65536 /* pushed ids waiting for a slot; beyond, the sweep finds them */
#define CLAIM_BATCH 256
#define RECONCILE_BATCH 64
#define RECONCILE_EVERY_NS (1 * 1000000000ull)
#define RESPONSE_MAX (256 * 1024)
#define POLL_MAX_MS 200
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

enum xfer_kind { XFER_SEND, XFER_GET };

struct xfer {
	enum xfer_kind     kind;
	struct smsw_job    job; /* XFER_SEND */
	char               sid[40]; /* XFER_GET */
	CURL              *easy;
	struct curl_slist *headers;
	struct pa_strbuf   form; /* holds the code: a secret buffer */
	struct pa_strbuf   reply; /* echoes the body: a secret buffer */
	char               retry_after[32];
	char               url[512];
	uint64_t           claimed_ns; /* the lease started about then */
	uint64_t           started_ns;
	struct smsw_result result; /* an answer waiting to be recorded (database trouble) */
	int                record_tries;
	struct xfer       *next;
};

struct smsw_engine {
	struct smsw    *w;
	CURLM          *multi;
	bool            console;
	const char     *user, *pass;
	char            messages_url[512];
	int             active;
	struct xfer    *unrecorded; /* answers we could not write yet */
	pthread_mutex_t mu; /* guards ids */
	int64_t        *ids;
	size_t          ids_head, ids_count;
	uint64_t        next_sweep, early_sweep, next_beat, next_reconcile;
};

struct smsw_metrics smsw_metrics;

void
smsw_engine_push(struct smsw_engine *e, int64_t id)
{
	bool dropped = false;

	pthread_mutex_lock(&e->mu);
	if (e->ids_count < IDS_CAP) {
		e->ids[(e->ids_head + e->ids_count) % IDS_CAP] = id;
		e->ids_count++;
	} else {
		dropped = true;
	}
	smsw_metrics.queued_ids = (int_fast64_t) e->ids_count;
	pthread_mutex_unlock(&e->mu);
	if (dropped)
		pa_log_warn("job_dropped",
		    "outbox_id=%" PRId64 " note=\"queue full; the sweep will "
		    "find it\"",
		    id);
	/* curl_multi_wakeup is safe from any thread: it ends the engine's poll early. */
	(void) curl_multi_wakeup(e->multi);
}

void
smsw_engine_wakeup(struct smsw_engine *e)
{
	(void) curl_multi_wakeup(e->multi);
}

static int
take_ids(struct smsw_engine *e, int64_t *out, int max)
{
	int n = 0;

	pthread_mutex_lock(&e->mu);
	while (n < max && e->ids_count > 0) {
		out[n++]    = e->ids[e->ids_head];
		e->ids_head = (e->ids_head + 1) % IDS_CAP;
		e->ids_count--;
	}
	smsw_metrics.queued_ids = (int_fast64_t) e->ids_count;
	pthread_mutex_unlock(&e->mu);
	return n;
}

static bool
ids_waiting(struct smsw_engine *e)
{
	bool any;

	pthread_mutex_lock(&e->mu);
	any = e->ids_count > 0;
	pthread_mutex_unlock(&e->mu);
	return any;
}

pa_err
smsw_engine_new(struct smsw_engine **out, struct smsw *w)
{
	struct smsw_engine       *e = calloc(1, sizeof *e);
	const struct smsw_config *c = &w->cfg;

	if (e == NULL)
		return PA_ENOMEM;
	e->w       = w;
	e->console = strcmp(c->backend, "console") == 0;
	if ((e->ids = malloc(IDS_CAP * sizeof *e->ids)) == NULL
	    || (e->multi = curl_multi_init()) == NULL) {
		free(e->ids);
		free(e);
		return PA_ENOMEM;
	}
	pthread_mutex_init(&e->mu, NULL);
	if (curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) c->concurrency)
	        != CURLM_OK
	    || curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long) c->concurrency) != CURLM_OK
	    || curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX) != CURLM_OK) {
		smsw_engine_free(e);
		return PA_EINVAL;
	}
	if (!e->console) {
		bool key = c->api_key != NULL && *c->api_key != '\0';

		/* An API key authenticates as itself; the account stays in the URL. */
		e->user = key ? c->api_key : c->account_sid;
		e->pass = key ? c->api_secret : c->auth_token;
		if ((size_t) snprintf(e->messages_url, sizeof e->messages_url,
		        "%s/2010-04-01/Accounts/%s/Messages", c->api_base, c->account_sid)
		    >= sizeof e->messages_url - 48) {
			smsw_engine_free(e);
			return PA_EINVAL;
		}
	}
	*out = e;
	return PA_OK;
}

void
smsw_engine_free(struct smsw_engine *e)
{
	if (e == NULL)
		return;
	if (e->multi != NULL)
		(void) curl_multi_cleanup(e->multi);
	pthread_mutex_destroy(&e->mu);
	free(e->ids);
	free(e);
}

/* ---- one request ------------------------------------------------------------------------------
 */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	if (x->reply.len + size * n > RESPONSE_MAX)
		return 0; /* aborts the transfer: no Twilio reply is this big */
	pa_strbuf_append(&x->reply, data, size * n);
	return x->reply.oom ? 0 : size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x   = arg;
	size_t       len = size * n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		size_t v
		    = len - 12 < sizeof x->retry_after - 1 ? len - 12 : sizeof x->retry_after - 1;

		memcpy(x->retry_after, data + 12, v);
		x->retry_after[v] = '\0';
	}
	return len;
}

static void
xfer_free(struct xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	pa_strbuf_free(&x->form);
	pa_strbuf_free(&x->reply);
	smsw_job_clear(&x->job);
	free(x);
}

static pa_err
xfer_start(struct smsw_engine *e, struct xfer *x)
{
	const struct smsw_config *c = &e->w->cfg;
	CURL                     *h;
	bool                      ok;

	if ((h = x->easy = curl_easy_init()) == NULL)
		return PA_ENOMEM;
	if ((x->headers = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		return PA_ENOMEM;
	ok = curl_easy_setopt(h, CURLOPT_URL, x->url) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http") == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK
	    && (c->ca_file == NULL || *c->ca_file == '\0'
	        || curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) == CURLE_OK)
	    && curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) c->connect_timeout_s * 1000L)
	        == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) c->request_timeout_s * 1000L)
	        == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_USERAGENT, "phoneauth-sms-worker/" PHONEAUTH_VERSION)
	        == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_USERNAME, e->user) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_PASSWORD, e->pass) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_WRITEDATA, x) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_HEADERDATA, x) == CURLE_OK
	    && curl_easy_setopt(h, CURLOPT_PRIVATE, x) == CURLE_OK;
	/* The body is not copied by curl (CURLOPT_POSTFIELDS), so the only copy is ours and is
	 * wiped when the request ends. */
	if (ok && x->kind == XFER_SEND)
		ok = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) x->form.len) == CURLE_OK
		    && curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->form.data) == CURLE_OK;
	if (!ok)
		return PA_EINVAL;
	x->started_ns = pa_now_ns();
	if (curl_multi_add_handle(e->multi, h) != CURLM_OK)
		return PA_EIO;
	e->active++;
	smsw_metrics.in_flight = e->active;
	return PA_OK;
}

/* Records r for x, keeping it for another try when the database is away. */
static void
record(struct smsw_engine *e, struct xfer *x, const struct smsw_result *r)
{
	char   masked[PA_PHONE_MASK_MAX];
	bool   lost = false;
	pa_err rv   = smsw_finish(e->w, &x->job, r, &lost);

	if (rv != PA_OK) {
		uint64_t lease_end = x->claimed_ns + (uint64_t) e->w->cfg.lease_s * NS_PER_S;

		if (x->record_tries++ == 0)
			pa_log_warn("sms_record_failed",
			    "outbox_id=%lld sqlstate=%s note=\"will retry "
			    "while the lease lasts\"",
			    (long long) x->job.id, pa_db_sqlstate(e->w->db));
		if (pa_now_ns() < lease_end) {
			/* Keep trying until the lease runs out; after that the row is another
			 * worker's and a SENT answer is the one case that goes out twice. */
			x->result     = *r;
			x->next       = e->unrecorded;
			e->unrecorded = x;
			return;
		}
		smsw_metrics.sends[SMSW_UNRECORDED]++;
		pa_log_error("sms_unrecorded",
		    "outbox_id=%lld phone=%s outcome=%d sid=%s error=%s "
		    "note=\"lease ran out before the outcome could be "
		    "written\"",
		    (long long) x->job.id, pa_phone_mask(x->job.phone, masked), (int) r->outcome,
		    r->sid[0] ? r->sid : "-", pa_err_name(rv));
	} else if (lost) {
		smsw_metrics.sends[SMSW_UNRECORDED]++;
		pa_log_warn("sms_lease_lost",
		    "outbox_id=%lld phone=%s sid=%s note=\"another worker "
		    "took the row; it may go out twice\"",
		    (long long) x->job.id, pa_phone_mask(x->job.phone, masked),
		    r->sid[0] ? r->sid : "-");
	} else {
		smsw_metrics.sends[r->outcome]++;
		if (r->outcome == SMSW_RETRY && r->retry_after_ms >= 0) {
			/* Come back for it (or another worker will) when it is due. */
			uint64_t due = pa_now_ns() + (uint64_t) r->retry_after_ms * NS_PER_MS;

			if (e->early_sweep == 0 || due < e->early_sweep)
				e->early_sweep = due;
		}
	}
	xfer_free(x);
}

static void
retry_unrecorded(struct smsw_engine *e)
{
	struct xfer *list = e->unrecorded;

	e->unrecorded = NULL;
	while (list != NULL) {
		struct xfer *x = list;

		list    = x->next;
		x->next = NULL;
		record(e, x, &x->result);
	}
}

static void
log_result(const struct xfer *x, long http, CURLcode cc, const struct smsw_result *r)
{
	char     masked[PA_PHONE_MASK_MAX];
	uint64_t ms = (pa_now_ns() - x->started_ns) / NS_PER_MS;

	(void) pa_phone_mask(x->job.phone, masked);
	switch (r->outcome) {
	case SMSW_SENT:
		pa_log_info("sms_sent",
		    "outbox_id=%lld phone=%s sid=%s status=%s attempt=%d ms=%llu",
		    (long long) x->job.id, masked, r->sid, r->status, x->job.attempts,
		    (unsigned long long) ms);
		break;
	case SMSW_RETRY:
		if (http == 401 || http == 403)
			pa_log_error("twilio_auth_failed",
			    "http_status=%ld error_code=%d note=\"check "
			    "TWILIO_* credentials\"",
			    http, r->error_code);
		pa_log_warn("sms_retry",
		    "outbox_id=%lld phone=%s attempt=%d http_status=%ld "
		    "error_code=%d curl=\"%s\" retry_in_ms=%d",
		    (long long) x->job.id, masked, x->job.attempts, http, r->error_code,
		    cc == CURLE_OK ? "ok" : curl_easy_strerror(cc), r->retry_after_ms);
		break;
	default:
		pa_log_warn("sms_failed",
		    "outbox_id=%lld phone=%s attempt=%d http_status=%ld "
		    "error_code=%d",
		    (long long) x->job.id, masked, x->job.attempts, http, r->error_code);
		break;
	}
}

static void
finish_send(struct smsw_engine *e, struct xfer *x, CURLcode cc)
{
	struct smsw_result r;
	long               http = 0;

	if (cc == CURLE_OK)
		(void) curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
	smsw_metrics.http_status[http >= 200 && http < 600 ? http / 100 : 0]++;
	pa_hist_observe_ns(&smsw_metrics.twilio_latency, pa_now_ns() - x->started_ns);
	smsw_twilio_classify(
	    &e->w->cfg, http, x->reply.data, x->reply.len, x->retry_after, x->job.attempts, &r);
	log_result(x, http, cc, &r);
	/* The code is no longer needed in memory, whatever happens next. */
	pa_strbuf_free(&x->form);
	pa_strbuf_free(&x->reply);
	if (x->job.body != NULL) {
		sodium_memzero(x->job.body, x->job.body_len);
		free(x->job.body);
		x->job.body = NULL;
	}
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	record(e, x, &r);
}

static void
finish_get(struct smsw_engine *e, struct xfer *x, CURLcode cc)
{
	enum smsw_cb_result res;
	char                status[24];
	long                http = 0;
	int                 code = 0;

	if (cc == CURLE_OK)
		(void) curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
	if (http != 200
	    || smsw_twilio_parse_message(x->reply.data, x->reply.len, status, &code) != PA_OK) {
		pa_log_warn("reconcile_failed", "sid=%s http_status=%ld curl=\"%s\"", x->sid, http,
		    cc == CURLE_OK ? "ok" : curl_easy_strerror(cc));
	} else if (smsw_status_record(e->w->db, "sms-worker", x->sid, status, code, NULL, &res)
	    != PA_OK) {
		pa_log_warn("reconcile_failed", "sid=%s error=database", x->sid);
	} else if (res == SMSW_CB_APPLIED) {
		smsw_metrics.reconciled++;
		pa_log_info(
		    "sms_reconciled", "sid=%s status=%s error_code=%d", x->sid, status, code);
	}
	xfer_free(x);
}

static void
drain_done(struct smsw_engine *e)
{
	CURLMsg *m;
	int      left;

	while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
		struct xfer *x = NULL;
		CURLcode     cc;

		if (m->msg != CURLMSG_DONE)
			continue;
		cc = m->data.result;
		(void) curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &x);
		(void) curl_multi_remove_handle(e->multi, m->easy_handle);
		e->active--;
		smsw_metrics.in_flight = e->active;
		if (x->kind == XFER_SEND)
			finish_send(e, x, cc);
		else
			finish_get(e, x, cc);
	}
}

/* ---- feeding it ------------------------------------------------------------------------------ */

/* Console backend: shows the message to the developer; nothing leaves the machine. */
static void
send_console(struct smsw_engine *e, struct xfer *x)
{
	struct smsw_result r = { .outcome = SMSW_SENT, .status = "console" };
	char               masked[PA_PHONE_MASK_MAX];

	printf("----- SMS NOT SENT (console mode) -----\nto:   %s\n%s\n"
	       "---------------------------------------\n",
	    pa_phone_mask(x->job.phone, masked), x->job.body);
	(void) fflush(stdout);
	pa_log_info(
	    "sms_sent", "outbox_id=%lld phone=%s backend=console", (long long) x->job.id, masked);
	record(e, x, &r);
}

static void
start_jobs(struct smsw_engine *e, struct smsw_job *jobs, int n, uint64_t claimed_ns)
{
	for (int i = 0; i < n; i++) {
		struct xfer *x = calloc(1, sizeof *x);
		pa_err       rv;

		if (x == NULL) {
			/* The lease runs out and another try picks it up. */
			smsw_job_clear(&jobs[i]);
			continue;
		}
		x->kind         = XFER_SEND;
		x->job          = jobs[i];
		x->claimed_ns   = claimed_ns;
		x->form.secret  = true;
		x->reply.secret = true;
		if (e->console) {
			send_console(e, x);
			continue;
		}
		if ((size_t) snprintf(x->url, sizeof x->url, "%s.json", e->messages_url)
		    >= sizeof x->url)
			rv = PA_EINVAL; /* cannot happen: smsw_engine_new checked the length */
		else
			rv = PA_OK;
		if (rv == PA_OK)
			rv = smsw_twilio_form(&e->w->cfg, &x->job, x->job.ttl_left_s, &x->form);
		if (rv == PA_OK)
			rv = xfer_start(e, x);
		if (rv != PA_OK) {
			pa_log_error("send_start_failed", "outbox_id=%lld error=%s",
			    (long long) x->job.id, pa_err_name(rv));
			xfer_free(x);
		}
	}
}

static int
free_slots(const struct smsw_engine *e)
{
	int n = e->w->cfg.concurrency - e->active;

	return n > CLAIM_BATCH ? CLAIM_BATCH : n;
}

static void
claim_pushed(struct smsw_engine *e)
{
	int64_t         ids[CLAIM_BATCH];
	struct smsw_job jobs[CLAIM_BATCH];
	int             slots, nids, n;

	while ((slots = free_slots(e)) > 0 && (nids = take_ids(e, ids, slots)) > 0) {
		if (smsw_claim(e->w, ids, nids, slots, jobs, &n) != PA_OK) {
			/* The database is away: the sweep finds these rows once it is back. */
			pa_log_warn(
			    "claim_failed", "ids=%d sqlstate=%s", nids, pa_db_sqlstate(e->w->db));
			return;
		}
		start_jobs(e, jobs, n, pa_now_ns());
	}
}

static void
sweep(struct smsw_engine *e, uint64_t now)
{
	struct smsw_job jobs[CLAIM_BATCH];
	int             slots = free_slots(e), n = 0;

	if (slots <= 0)
		return;
	if (smsw_claim(e->w, NULL, 0, slots, jobs, &n) != PA_OK) {
		pa_log_warn("sweep_failed", "sqlstate=%s", pa_db_sqlstate(e->w->db));
		e->next_sweep = now + (uint64_t) e->w->cfg.sweep_s * NS_PER_S;
		return;
	}
	if (n > 0)
		pa_log_debug("swept", "claimed=%d", n);
	start_jobs(e, jobs, n, pa_now_ns());
	e->early_sweep = 0;
	/* A full batch means more may be due: look again at once. */
	e->next_sweep = n == slots ? now : now + (uint64_t) e->w->cfg.sweep_s * NS_PER_S;
}

static void
reconcile(struct smsw_engine *e)
{
	char sids[RECONCILE_BATCH][40];
	int  n = 0, slots = free_slots(e);

	if (slots <= 0)
		return;
	if (smsw_reconcile_take(e->w, slots < RECONCILE_BATCH ? slots : RECONCILE_BATCH, sids, &n)
	    != PA_OK) {
		pa_log_warn("reconcile_failed", "sqlstate=%s", pa_db_sqlstate(e->w->db));
		return;
	}
	for (int i = 0; i < n; i++) {
		struct xfer *x = calloc(1, sizeof *x);

		if (x == NULL)
			return;
		x->kind         = XFER_GET;
		x->reply.secret = true;
		(void) snprintf(x->sid, sizeof x->sid, "%s", sids[i]);
		if ((size_t) snprintf(x->url, sizeof x->url, "%s/%s.json", e->messages_url, x->sid)
		        >= sizeof x->url
		    || xfer_start(e, x) != PA_OK)
			xfer_free(x);
	}
}

static void
tick(struct smsw_engine *e, bool stopping)
{
	uint64_t now = pa_now_ns();

	if (now >= e->next_beat) {
		if (smsw_heartbeat(e->w) != PA_OK) {
			smsw_metrics.last_heartbeat_ms = 0;
			pa_log_warn("heartbeat_failed", "sqlstate=%s", pa_db_sqlstate(e->w->db));
		} else {
			smsw_metrics.last_heartbeat_ms = pa_unix_ms();
		}
		e->next_beat = now + (uint64_t) e->w->cfg.heartbeat_s * NS_PER_S;
	}
	if (e->unrecorded != NULL)
		retry_unrecorded(e);
	if (stopping)
		return;
	claim_pushed(e);
	if (now >= e->next_sweep || (e->early_sweep != 0 && now >= e->early_sweep))
		sweep(e, now);
	if (!e->console && now >= e->next_reconcile) {
		reconcile(e);
		e->next_reconcile = now + RECONCILE_EVERY_NS;
	}
}

/* Milliseconds until the next timer, capped. */
static int
poll_ms(const struct smsw_engine *e)
{
	uint64_t now = pa_now_ns(), next = e->next_beat;

	/* With every slot busy a due sweep cannot claim anything: wait for a transfer to end (the
	 * poll wakes for it) rather than spin on a timer that stays due. */
	if (free_slots(e) > 0) {
		if (e->next_sweep < next)
			next = e->next_sweep;
		if (e->early_sweep != 0 && e->early_sweep < next)
			next = e->early_sweep;
	}
	if (e->unrecorded != NULL)
		next = now + 100 * NS_PER_MS;
	if (next <= now)
		return 0;
	return (next - now) / NS_PER_MS > POLL_MAX_MS ? POLL_MAX_MS
	                                              : (int) ((next - now) / NS_PER_MS);
}

void
smsw_engine_run(struct smsw_engine *e, atomic_bool *stop)
{
	int running = 0;

	while (!atomic_load(stop)) {
		tick(e, false);
		if (curl_multi_perform(e->multi, &running) != CURLM_OK)
			pa_log_error("curl_multi_failed", "%s", "");
		drain_done(e);
		if (atomic_load(stop))
			break;
		/* Pushed ids wake the poll (curl_multi_wakeup); an empty queue sleeps until the
		 * next timer or network event. */
		if (free_slots(e) <= 0 || !ids_waiting(e))
			(void) curl_multi_poll(e->multi, NULL, 0, poll_ms(e), NULL);
	}
	/* Stopping: claim nothing more, let the requests in flight end (each has a timeout) and
	 * record them, so no row waits for its lease to run out. */
	pa_log_info("draining", "in_flight=%d", e->active);
	while (e->active > 0 || e->unrecorded != NULL) {
		if (curl_multi_perform(e->multi, &running) != CURLM_OK)
			break;
		drain_done(e);
		tick(e, true);
		if (e->active > 0)
			(void) curl_multi_poll(e->multi, NULL, 0, 100, NULL);
		else if (e->unrecorded != NULL)
			(void) curl_multi_poll(e->multi, NULL, 0, 100, NULL);
	}
	/* The heartbeat row stays: the auth service keeps queueing codes for
	 * PHONEAUTH_WORKER_ALIVE, so a restart loses nothing. */
}
