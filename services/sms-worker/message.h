/* message.h: one SMS on its way through the worker, as the modules hand it along: the claimed
 * outbox row (the store fills it, the send loop opens its body), the outcome of one send (the
 * Twilio module classifies it, the store records it, the metrics count it) and the result of
 * one delivery status report. Types only, and the one function that wipes a job. */
#ifndef PHONEAUTH_SMSW_MESSAGE_H
#define PHONEAUTH_SMSW_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a Twilio SID (34 characters) and for an E.164 phone (+ and 15 digits), NUL
 * included. */
#define SMSW_SID_SIZE 40
#define SMSW_PHONE_SIZE 17

/* What a claim did with a due row. Only LEASED rows are this worker's to send; the claim's
 * statement already moved the others to their final state, unsent. */
enum smsw_claim_state {
	SMSW_CLAIM_LEASED, /* 'sending', leased to this worker */
	SMSW_CLAIM_EXPIRED, /* its code ran out (or would, within a second) */
	SMSW_CLAIM_CANCELLED, /* a resend or restart replaced its code */
};

/* One claimed outbox row. The store fills everything but body; sealed is NULL when the stored
 * body could not be decoded (and for kind "verify", which has none). body is the plaintext the
 * send loop opens sealed into: an SMS's text, or a WhatsApp template's ContentVariables JSON.
 * smsw_job_clear wipes and frees both. */
struct smsw_job {
	int64_t               id;
	char                  verification_id[37];
	char                  phone[SMSW_PHONE_SIZE];
	char                  channel[10]; /* "sms" or "whatsapp" (migration 0015) */
	char                  kind[8]; /* "message" (Messages API) or "verify" (Twilio Verify) */
	char                  locale[16]; /* BCP 47: the body's, template's or Verify's language */
	enum smsw_claim_state state;
	char                  why[24]; /* CANCELLED: "replaced" or the verification's state */
	unsigned char        *sealed; /* LEASED: the body as stored (AEAD) */
	size_t                sealed_len;
	char                 *body;
	size_t                body_len;
	int  ttl_left_s; /* the code's remaining life at claim time: ValidityPeriod */
	int  attempts; /* including this one */
	bool reclaimed; /* a dead worker held it: it may already have gone out once */
};

void smsw_job_clear(struct smsw_job *j);

enum smsw_outcome {
	SMSW_SENT, /* Twilio accepted it (we have a SID) */
	SMSW_FAILED, /* permanent error: not retried */
	SMSW_RETRY, /* 429, 5xx, timeout: back to the queue with a delay */
	SMSW_EXPIRED, /* the code ran out before it could be sent */
	SMSW_UNRECORDED, /* Twilio answered but we could not record it before the lease ran out */
	SMSW_NOUTCOMES
};

/* The outcome of one send. */
struct smsw_result {
	enum smsw_outcome outcome;
	char              sid[SMSW_SID_SIZE]; /* SENT */
	char              status[24]; /* SENT: Twilio's status word; FAILED: "failed" */
	int               error_code; /* Twilio's code, or 0 */
	char              error_message[256];
	int               retry_after_ms; /* RETRY: the delay before the next try */
	/* FAILED before Twilio saw it: our own reason (static text, no phone or code), which the
	 * log and the audit row show; NULL for Twilio's answers (their message may quote the
	 * number, so it stays in the outbox row). */
	const char *reason;
};

/* What a final status of a row did to its held fallback (migration 0015: the SMS that waits
 * 'held' with fallback_for = the row): queued it (the row failed for good, so the same code
 * goes on the other channel), cancelled it (the row was delivered or read), or nothing (id 0).
 * Written in the same statement as the status. */
struct smsw_fallback {
	int64_t id; /* the held row; 0 = none moved */
	bool    queued; /* true: queued to be sent now; false: cancelled */
};

/* One claimed sms_feedback row (migration 0014): Outcome=confirmed is owed on message_sid. */
struct smsw_feedback {
	int64_t id;
	char    verification_id[37];
	char    message_sid[SMSW_SID_SIZE];
	int     attempts; /* including this one */
	bool    reclaimed; /* a dead worker held it: it may have been posted once */
};

/* What a delivery status report (a callback or a reconciliation GET) came to. */
enum smsw_cb_result {
	SMSW_CB_APPLIED, /* status moved forward */
	SMSW_CB_STALE, /* recorded, but older than what we have */
	SMSW_CB_UNKNOWN_SID, /* recorded; the worker has not stored that SID (yet) */
	SMSW_CB_BAD_SIGNATURE, /* 403 */
	SMSW_CB_BAD_REQUEST, /* 400 */
	SMSW_CB_ERROR, /* 500/503: Twilio retries */
	SMSW_CB_NRESULTS
};

#endif
