-- 0009: outbox rows whose code no longer works end as 'cancelled' (issue 13, finding 6).
-- A resend writes a new outbox row with a new code, and a restart marks the old verification
-- 'expired'; the old row stayed queued, so during Twilio retries the dead code still went out.
-- The worker's claim now ends such a row in the same statement that would have leased it: a row
-- is superseded when a newer row of its verification exists, or when the verification is no
-- longer pending. 'cancelled' is final and never sent: no SID, body wiped like the other finals.
-- The newer-row test is served by sms_outbox_verification_idx (verification_id, id); the
-- verification by its primary key; cancelled rows leave sms_outbox_due_idx. No new index.

ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_state_ok;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_state_ok CHECK (state IN ('queued', 'sending',
    'sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled'));
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_final_wiped;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_final_wiped CHECK (state NOT IN ('delivered',
    'undelivered', 'failed', 'expired', 'cancelled') OR body_sealed IS NULL);

-- as in 0001, with 'cancelled' among the final states
CREATE OR REPLACE FUNCTION sms_outbox_on_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IN ('delivered', 'undelivered', 'failed', 'expired', 'cancelled') THEN
        NEW.body_sealed := NULL;
        NEW.lease_owner := NULL;
        NEW.lease_until := NULL;
        IF NEW.final_at IS NULL THEN
            NEW.final_at := now();
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
