/* engine.c: the send loop. Rows are claimed only when a request slot is free, so a busy worker
 * leaves work for idle ones. The store only reads and writes rows: what to do with each one it
 * hands back (send it, audit it as ended, fail it because its body does not open), what to log
 * and what to count is decided here. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/phone.h"
#include "common/ring.h"
#include "engine.h"
#include "fallback.h"
#include "feedback.h"
#include "reconcile.h"
#include "store.h"
#include "twilio.h"
#include "verify.h"
#include "wmetrics.h"
#include "xfer.h"

#define IDS_CAP 65536 /* pushed ids waiting for a slot; beyond, the sweep finds them */
#define CLAIM_BATCH 256
#define RECONCILE_EVERY_NS (1 * 1000000000ull)
#define POLL_MAX_MS 200
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

struct smsw_engine {
	struct smsw       *w;
	struct smsw_http  *http;
	bool               console;
	struct smsw_xfer  *unrecorded; /* answers we could not write yet */
	struct smsw_lessee lessee;
	/* Pushed ids (int64_t), filled by the job socket's callbacks and drained by the loop in
	 * batches between polls: a pa_ring, as under libcommon's workq, whose threads would not
	 * own this loop's connection and transfers. */
	pthread_mutex_t mu; /* guards ids */
	struct pa_ring  ids;
	uint64_t        next_sweep, early_sweep, next_beat, next_reconcile;
	uint64_t        next_feedback; /* the next look for owed conversion feedback */
};

void
smsw_engine_push(struct smsw_engine *e, int64_t id)
{
	bool dropped;

	pthread_mutex_lock(&e->mu);
	dropped                 = !pa_ring_push(&e->ids, &id);
	smsw_metrics.queued_ids = (int_fast64_t) e->ids.count;
	pthread_mutex_unlock(&e->mu);
	if (dropped)
		pa_log_warn("job_dropped",
		    "outbox_id=%" PRId64 " note=\"queue full; the sweep will "
		    "find it\"",
		    id);
	smsw_http_wakeup(e->http);
}

void
smsw_engine_wakeup(struct smsw_engine *e)
{
	smsw_http_wakeup(e->http);
}

static int
take_ids(struct smsw_engine *e, int64_t *out, int max)
{
	int n = 0;

	pthread_mutex_lock(&e->mu);
	while (n < max && pa_ring_pop(&e->ids, &out[n]))
		n++;
	smsw_metrics.queued_ids = (int_fast64_t) e->ids.count;
	pthread_mutex_unlock(&e->mu);
	return n;
}

static bool
ids_waiting(struct smsw_engine *e)
{
	bool any;

	pthread_mutex_lock(&e->mu);
	any = e->ids.count > 0;
	pthread_mutex_unlock(&e->mu);
	return any;
}

pa_err
smsw_engine_new(struct smsw_engine **out, struct smsw *w)
{
	struct smsw_engine *e = calloc(1, sizeof *e);
	pa_err              rv;

	if (e == NULL)
		return PA_ENOMEM;
	e->w       = w;
	e->console = strcmp(w->cfg.backend, "console") == 0;
	e->lessee  = (struct smsw_lessee) { .owner = w->id, .lease_s = w->cfg.lease_s };
	if ((rv = pa_ring_init(&e->ids, IDS_CAP, sizeof(int64_t))) != PA_OK) {
		free(e);
		return rv;
	}
	if ((rv = smsw_http_new(&e->http, &w->cfg)) != PA_OK) {
		pa_ring_fini(&e->ids);
		free(e);
		return rv;
	}
	pthread_mutex_init(&e->mu, NULL);
	*out = e;
	return PA_OK;
}

void
smsw_engine_free(struct smsw_engine *e)
{
	if (e == NULL)
		return;
	smsw_http_free(e->http);
	pthread_mutex_destroy(&e->mu);
	pa_ring_fini(&e->ids);
	free(e);
}

static void
count_in_flight(const struct smsw_engine *e)
{
	smsw_metrics.in_flight = smsw_http_active(e->http);
}

/* ---- answers ---------------------------------------------------------------------------------
 */

/* A held fallback the store moved with a final status: counted and logged (fallback.c); a queued
 * one is pushed to this loop, so the same code goes out on the other channel now rather than at
 * the next sweep. */
static void
note_fallback(struct smsw_engine *e, const struct smsw_job *j, const struct smsw_fallback *fb)
{
	if (smsw_fallback_note(j->id, j->phone, j->channel, fb))
		smsw_engine_push(e, fb->id);
}

/* Records r for x, keeping it for another try when the database is away. */
static void
record(struct smsw_engine *e, struct smsw_xfer *x, const struct smsw_result *r)
{
	char                 masked[PA_PHONE_MASK_MAX];
	bool                 lost = false;
	struct smsw_fallback fb;
	pa_err               rv = smsw_store_finish(e->w->db, e->w->id, &x->job, r, &lost, &fb);

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
		note_fallback(e, &x->job, &fb);
		if (r->outcome == SMSW_RETRY && r->retry_after_ms >= 0) {
			/* Come back for it (or another worker will) when it is due. */
			uint64_t due = pa_now_ns() + (uint64_t) r->retry_after_ms * NS_PER_MS;

			if (e->early_sweep == 0 || due < e->early_sweep)
				e->early_sweep = due;
		}
	}
	smsw_xfer_free(x);
}

static void
retry_unrecorded(struct smsw_engine *e)
{
	struct smsw_xfer *list = e->unrecorded;

	e->unrecorded = NULL;
	while (list != NULL) {
		struct smsw_xfer *x = list;

		list    = x->next;
		x->next = NULL;
		record(e, x, &x->result);
	}
}

static void
log_result(const struct smsw_xfer *x, long http, CURLcode cc, const struct smsw_result *r)
{
	char     masked[PA_PHONE_MASK_MAX];
	uint64_t ms = (pa_now_ns() - x->started_ns) / NS_PER_MS;

	(void) pa_phone_mask(x->job.phone, masked);
	switch (r->outcome) {
	case SMSW_SENT:
		pa_log_info("sms_sent",
		    "outbox_id=%lld phone=%s channel=%s sid=%s status=%s attempt=%d ms=%llu",
		    (long long) x->job.id, masked, x->job.channel, r->sid, r->status,
		    x->job.attempts, (unsigned long long) ms);
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
		    "outbox_id=%lld phone=%s channel=%s attempt=%d http_status=%ld "
		    "error_code=%d",
		    (long long) x->job.id, masked, x->job.channel, x->job.attempts, http,
		    r->error_code);
		break;
	}
}

static void
finish_send(struct smsw_engine *e, struct smsw_xfer *x, CURLcode cc, long http)
{
	struct smsw_result r;

	smsw_metrics.http_status[http >= 200 && http < 600 ? http / 100 : 0]++;
	pa_hist_observe_ns(&smsw_metrics.twilio_latency, pa_now_ns() - x->started_ns);
	if (strcmp(x->job.kind, "verify") == 0)
		smsw_verify_classify(&e->w->cfg, http, x->reply.data, x->reply.len, x->retry_after,
		    x->job.attempts, &r);
	else
		smsw_twilio_classify(&e->w->cfg, http, x->reply.data, x->reply.len, x->retry_after,
		    x->job.attempts, &r);
	log_result(x, http, cc, &r);
	/* The code is no longer needed in memory, whatever happens next. */
	smsw_xfer_wipe(x);
	record(e, x, &r);
}

static void
drain_done(struct smsw_engine *e)
{
	struct smsw_xfer *x;
	CURLcode          cc;
	long              http;

	while ((x = smsw_http_done(e->http, &cc, &http)) != NULL) {
		int64_t queued;

		count_in_flight(e);
		if (x->kind == SMSW_XFER_SEND)
			finish_send(e, x, cc, http);
		else if (x->kind == SMSW_XFER_FEEDBACK)
			smsw_feedback_answer(
			    e->w->db, &e->w->cfg, e->w->id, x, cc, http, &e->next_feedback);
		else if ((queued = smsw_reconcile_answer(e->w->db, x, cc, http)) != 0)
			smsw_engine_push(e, queued);
	}
}

/* ---- feeding it ------------------------------------------------------------------------------ */

/* Console backend: shows the message to the developer; nothing leaves the machine. */
static void
send_console(struct smsw_engine *e, struct smsw_xfer *x)
{
	struct smsw_result r = { .outcome = SMSW_SENT, .status = "console" };
	char               masked[PA_PHONE_MASK_MAX];

	/* A WhatsApp row's body is its template's variables ({"1":"123456"}). */
	printf("----- SMS NOT SENT (console mode) -----\nto:   %s%s\n%s\n"
	       "---------------------------------------\n",
	    strcmp(x->job.channel, "whatsapp") == 0 ? "whatsapp:" : "",
	    pa_phone_mask(x->job.phone, masked),
	    x->job.body != NULL ? x->job.body : "(a Twilio Verify code: Verify makes it)");
	(void) fflush(stdout);
	pa_log_info(
	    "sms_sent", "outbox_id=%lld phone=%s backend=console", (long long) x->job.id, masked);
	record(e, x, &r);
}

/* A row the claim ended unsent: counted, logged and audited. */
static void
end_unsent(struct smsw_engine *e, const struct smsw_job *j)
{
	char   masked[PA_PHONE_MASK_MAX];
	pa_err rv;

	(void) pa_phone_mask(j->phone, masked);
	if (j->state == SMSW_CLAIM_CANCELLED) {
		smsw_metrics.cancelled++;
		pa_log_info("sms_cancelled", "outbox_id=%lld phone=%s attempts=%d reason=%s",
		    (long long) j->id, masked, j->attempts, j->why);
	} else {
		smsw_metrics.sends[SMSW_EXPIRED]++;
		pa_log_info("sms_expired", "outbox_id=%lld phone=%s attempts=%d", (long long) j->id,
		    masked, j->attempts);
	}
	if ((rv = smsw_store_audit_unsent(e->w->db, j)) != PA_OK)
		pa_log_warn(
		    "audit_failed", "outbox_id=%lld error=%s", (long long) j->id, pa_err_name(rv));
}

/* Fails a leased row for good before Twilio sees it (r: FAILED, with its message); its held
 * fallback, if any, is queued by the same statement. */
static void
fail_unsent(struct smsw_engine *e, struct smsw_job *j, const struct smsw_result *r)
{
	bool                 lost;
	struct smsw_fallback fb;

	if (smsw_store_finish(e->w->db, e->w->id, j, r, &lost, &fb) == PA_OK && !lost) {
		smsw_metrics.sends[SMSW_FAILED]++;
		note_fallback(e, j, &fb);
	}
}

/* A WhatsApp row this worker cannot send (no template for its locale, no sender): failed for
 * good with the reason, which the log and the audit row show, and never POSTed. */
static bool
sendable(struct smsw_engine *e, struct smsw_job *j)
{
	struct smsw_result r = { .outcome = SMSW_FAILED, .status = "failed" };
	char               masked[PA_PHONE_MASK_MAX];

	if (e->console || (r.reason = smsw_twilio_unsendable(&e->w->cfg, j)) == NULL)
		return true;
	(void) snprintf(r.error_message, sizeof r.error_message, "%s", r.reason);
	pa_log_error("sms_failed", "outbox_id=%lld phone=%s channel=%s locale=%s reason=\"%s\"",
	    (long long) j->id, pa_phone_mask(j->phone, masked), j->channel, j->locale, r.reason);
	fail_unsent(e, j, &r);
	return false;
}

/* Opens a leased row's body; one that does not open now never will (its key was dropped from
 * PHONEAUTH_OUTBOX_KEY, or it was altered): the row is failed instead of retried. */
static bool
open_body(struct smsw_engine *e, struct smsw_job *j)
{
	static const struct smsw_result unreadable = { .outcome = SMSW_FAILED,
		.status                                         = "failed",
		.error_message = "sealed body does not open with PHONEAUTH_OUTBOX_KEY",
		.reason        = "sealed body does not open with PHONEAUTH_OUTBOX_KEY" };
	pa_err                          rv         = PA_EINVAL;

	if (j->sealed != NULL)
		rv = pa_open(&j->body, &j->body_len, &e->w->outbox_keys, j->verification_id,
		    strlen(j->verification_id), j->sealed, j->sealed_len);
	if (rv == PA_OK) {
		free(j->sealed); /* opened: only the body is needed now */
		j->sealed     = NULL;
		j->sealed_len = 0;
		return true;
	}
	pa_log_error(
	    "sms_body_unreadable", "outbox_id=%lld error=%s", (long long) j->id, pa_err_name(rv));
	fail_unsent(e, j, &unreadable);
	return false;
}

/* A kind 'verify' row: Twilio Verify's Verifications POST (verify.h builds and reads it)
 * takes it here. Until this worker has one, such a row fails for good with a reason that says
 * so, rather than being sent as a message or leased again and again. */
static bool
start_verify(struct smsw_engine *e, struct smsw_job *j)
{
	static const struct smsw_result no_verify = { .outcome = SMSW_FAILED,
		.status                                        = "failed",
		.error_message = "kind verify: TWILIO_VERIFY_SERVICE_SID is not set",
		.reason        = "kind verify: TWILIO_VERIFY_SERVICE_SID is not set" };

	if (e->console || smsw_config_verify_on(&e->w->cfg))
		return true;
	pa_log_error("sms_verify_unsupported", "outbox_id=%lld", (long long) j->id);
	fail_unsent(e, j, &no_verify);
	return false;
}

/* Takes over the rows of one claim: ends the unsendable ones, starts the others. */
static void
start_jobs(struct smsw_engine *e, struct smsw_job *jobs, int n, uint64_t claimed_ns)
{
	for (int i = 0; i < n; i++) {
		struct smsw_job  *j = &jobs[i];
		struct smsw_xfer *x;
		char              masked[PA_PHONE_MASK_MAX];
		pa_err            rv;

		if (j->state != SMSW_CLAIM_LEASED) {
			end_unsent(e, j);
			smsw_job_clear(j);
			continue;
		}
		if (j->reclaimed) {
			/* The only window for a second send: the previous holder may have reached
			 * Twilio before it died. */
			smsw_metrics.reclaimed++;
			pa_log_warn("sms_reclaimed",
			    "outbox_id=%lld phone=%s attempts=%d "
			    "note=\"lease ran out; it may have been sent once\"",
			    (long long) j->id, pa_phone_mask(j->phone, masked), j->attempts);
		}
		/* A Twilio Verify row (PHONEAUTH_CODE_BACKEND=verify) has no body and goes to
		 * Verify's Verifications endpoint, not Messages.json (xfer.c picks the URL). */
		if (strcmp(j->kind, "verify") == 0 ? !start_verify(e, j)
		                                   : !sendable(e, j) || !open_body(e, j)) {
			smsw_job_clear(j);
			continue;
		}
		if ((x = smsw_xfer_new(SMSW_XFER_SEND)) == NULL) {
			/* The lease runs out and another try picks it up. */
			smsw_job_clear(j);
			continue;
		}
		x->job        = *j; /* x owns the body now */
		x->claimed_ns = claimed_ns;
		if (e->console) {
			send_console(e, x);
			continue;
		}
		if ((rv = smsw_xfer_start(e->http, x)) != PA_OK) {
			pa_log_error("send_start_failed", "outbox_id=%lld error=%s",
			    (long long) x->job.id, pa_err_name(rv));
			smsw_xfer_free(x);
		}
		count_in_flight(e);
	}
}

static int
free_slots(const struct smsw_engine *e)
{
	int n = e->w->cfg.concurrency - smsw_http_active(e->http);

	return n > CLAIM_BATCH ? CLAIM_BATCH : n;
}

static void
claim_pushed(struct smsw_engine *e)
{
	int64_t         ids[CLAIM_BATCH];
	struct smsw_job jobs[CLAIM_BATCH];
	int             slots, nids, n;

	while ((slots = free_slots(e)) > 0 && (nids = take_ids(e, ids, slots)) > 0) {
		if (smsw_store_claim(e->w->db, &e->lessee, ids, nids, slots, jobs, &n) != PA_OK) {
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
	if (smsw_store_claim(e->w->db, &e->lessee, NULL, 0, slots, jobs, &n) != PA_OK) {
		pa_log_warn("sweep_failed", "sqlstate=%s", pa_db_sqlstate(e->w->db));
		e->next_sweep = now + (uint64_t) e->w->cfg.sweep_s * NS_PER_S;
		return;
	}
	if (n > 0)
		pa_log_debug("swept", "claimed=%d", n);
	start_jobs(e, jobs, n, pa_now_ns());
	/* Held fallbacks whose code expired or no longer works end here; the others wait for their
	 * primary's final status. */
	smsw_fallback_sweep(e->w->db, CLAIM_BATCH);
	e->early_sweep = 0;
	/* A full batch means more may be due: look again at once. */
	e->next_sweep = n == slots ? now : now + (uint64_t) e->w->cfg.sweep_s * NS_PER_S;
}

static void
tick(struct smsw_engine *e, bool stopping)
{
	uint64_t now = pa_now_ns();

	if (now >= e->next_beat) {
		if (smsw_store_heartbeat(e->w->db, e->w->id, e->w->host, (int) getpid()) != PA_OK) {
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
	if (!e->console && e->w->cfg.feedback && now >= e->next_feedback) {
		e->next_feedback = now + (uint64_t) e->w->cfg.sweep_s * NS_PER_S;
		smsw_feedback_post_due(
		    e->w->db, &e->lessee, e->http, free_slots(e), now, &e->next_feedback);
		count_in_flight(e);
	}
	if (!e->console && now >= e->next_reconcile) {
		smsw_reconcile_start(e->w->db, &e->w->cfg, e->http, free_slots(e));
		count_in_flight(e);
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
		if (!e->console && e->w->cfg.feedback && e->next_feedback < next)
			next = e->next_feedback;
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
	while (!atomic_load(stop)) {
		tick(e, false);
		if (smsw_http_perform(e->http) != PA_OK)
			pa_log_error("curl_multi_failed", "%s", "");
		drain_done(e);
		if (atomic_load(stop))
			break;
		/* Pushed ids wake the poll (smsw_http_wakeup); an empty queue sleeps until the
		 * next timer or network event. */
		if (free_slots(e) <= 0 || !ids_waiting(e))
			smsw_http_poll(e->http, poll_ms(e));
	}
	/* Stopping: claim nothing more, let the requests in flight end (each has a timeout) and
	 * record them, so no row waits for its lease to run out. */
	pa_log_info("draining", "in_flight=%d", smsw_http_active(e->http));
	while (smsw_http_active(e->http) > 0 || e->unrecorded != NULL) {
		if (smsw_http_perform(e->http) != PA_OK)
			break;
		drain_done(e);
		tick(e, true);
		if (smsw_http_active(e->http) > 0 || e->unrecorded != NULL)
			smsw_http_poll(e->http, 100);
	}
	/* The heartbeat row stays: the auth service keeps queueing codes for
	 * PHONEAUTH_WORKER_ALIVE, so a restart loses nothing. */
}
