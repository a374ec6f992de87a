-- 0014: Twilio's conversion signal (issue 14, item 5). When a code is verified, auth inserts a row
-- here in the verification's commit (services/auth/store_codes.c); from then on the SMS worker
-- owns it (services/sms-worker/store.c), as with sms_outbox: it claims the row with a lease once
-- the verified code's message has a SID, POSTs Outcome=confirmed to that message's Feedback
-- resource, and marks it done (or retries it, or gives up). One row per verification, so a code
-- is confirmed at most once.
CREATE TABLE sms_feedback (
    id               bigserial   PRIMARY KEY,
    verification_id  uuid        NOT NULL UNIQUE REFERENCES verifications (id) ON DELETE CASCADE,
    state            text        NOT NULL DEFAULT 'queued',
    message_sid      text        NULL,      -- the message confirmed, set by the claim
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text        NULL,
    lease_until      timestamptz NULL,
    http_status      integer     NULL,      -- Twilio's last answer (0: none)
    created_at       timestamptz NOT NULL DEFAULT now(),
    final_at         timestamptz NULL,
    -- done: Twilio took it; failed: a 4xx or too many tries; skipped: the code's message never
    -- got a SID (the console backend, or a send that failed)
    CONSTRAINT sms_feedback_state_ok CHECK (state IN ('queued', 'sending', 'done', 'failed',
                                                      'skipped')),
    CONSTRAINT sms_feedback_lease_pair CHECK ((lease_owner IS NULL) = (lease_until IS NULL)),
    CONSTRAINT sms_feedback_sending_leased CHECK (state <> 'sending' OR lease_owner IS NOT NULL),
    CONSTRAINT sms_feedback_final_at CHECK ((state IN ('done', 'failed', 'skipped'))
                                            = (final_at IS NOT NULL))
);
-- claimable rows: queued and due, or sending with a lapsed lease
CREATE INDEX sms_feedback_queued_idx ON sms_feedback (next_attempt_at) WHERE state = 'queued';
CREATE INDEX sms_feedback_lease_idx ON sms_feedback (lease_until) WHERE state = 'sending';
-- the retention job: finished rows by when they finished, unfinished ones by age
CREATE INDEX sms_feedback_final_idx ON sms_feedback (final_at) WHERE final_at IS NOT NULL;
CREATE INDEX sms_feedback_created_idx ON sms_feedback (created_at) WHERE final_at IS NULL;
