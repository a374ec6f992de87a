-- Delivery bookkeeping for the Twilio backend: the order of Twilio's message statuses (a status
-- never moves backwards), when a row was last reconciled against Twilio's API, and phones that
-- unsubscribed (Twilio error 21610: the person replied STOP).

-- Twilio's MessageStatus values in the order a message passes through them. Final statuses share
-- the top rank, so "delivered" then a late "undelivered" (or a replayed "sent") changes nothing.
-- Inbound and unknown words rank 0 and never move anything.
CREATE FUNCTION twilio_status_rank(s text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE s
        WHEN 'accepted'  THEN 1 WHEN 'scheduled' THEN 1
        WHEN 'queued'    THEN 2
        WHEN 'sending'   THEN 3
        WHEN 'sent'      THEN 4
        WHEN 'partially_delivered' THEN 5
        WHEN 'delivered' THEN 6 WHEN 'undelivered' THEN 6 WHEN 'failed' THEN 6
        WHEN 'canceled'  THEN 6 WHEN 'read' THEN 6
        ELSE 0 END
$$;

-- The outbox state a Twilio status leads to (NULL: the row stays 'sent').
CREATE FUNCTION twilio_status_final_state(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE s
        WHEN 'delivered' THEN 'delivered' WHEN 'read' THEN 'delivered'
        WHEN 'undelivered' THEN 'undelivered'
        WHEN 'failed' THEN 'failed' WHEN 'canceled' THEN 'failed'
        ELSE NULL END
$$;

ALTER TABLE sms_outbox ADD COLUMN reconciled_at timestamptz NULL;
-- rows still waiting for a final status, oldest first (reconciliation)
CREATE INDEX sms_outbox_unfinished_idx ON sms_outbox (sent_at) WHERE state = 'sent';

CREATE TABLE sms_opt_outs (
    phone_e164    text        PRIMARY KEY,
    opted_out_at  timestamptz NOT NULL DEFAULT now(),
    error_code    integer     NULL,      -- what told us (21610)
    CONSTRAINT sms_opt_outs_phone_ok CHECK (phone_e164 ~ '^\+[1-9][0-9]{1,14}$')
);
