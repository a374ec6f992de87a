-- 0015: more ways to deliver and check a code (issue 16): channels (SMS, WhatsApp) with a
-- fallback, Twilio Verify as the code backend, login codes (the second factor), test numbers,
-- and the language a code was sent in.
--
-- verifications
--   channel  the channel of the newest send ('sms', 'whatsapp').
--   locale   the BCP 47 language its texts were rendered in (the profile's match, "es", "id").
--   backend  who made and checks the code: 'local' (our MAC, code_mac set), 'verify' (Twilio
--            Verify: no code here, code_mac NULL; the worker checks it), 'test' (a test number's
--            fixed code: our MAC, nothing is sent).
--   purpose  gains 'login': a second-factor code for a user whose password was right.
ALTER TABLE verifications ADD COLUMN channel text NOT NULL DEFAULT 'sms';
ALTER TABLE verifications ADD COLUMN locale text NOT NULL DEFAULT 'en';
ALTER TABLE verifications ADD COLUMN backend text NOT NULL DEFAULT 'local';
ALTER TABLE verifications ADD CONSTRAINT verifications_channel_ok CHECK (channel IN ('sms', 'whatsapp'));
ALTER TABLE verifications ADD CONSTRAINT verifications_locale_ok
    CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$');
ALTER TABLE verifications ADD CONSTRAINT verifications_backend_ok
    CHECK (backend IN ('local', 'verify', 'test'));
ALTER TABLE verifications ALTER COLUMN code_mac DROP NOT NULL;
ALTER TABLE verifications ADD CONSTRAINT verifications_mac_backend
    CHECK ((code_mac IS NULL) = (backend = 'verify'));
ALTER TABLE verifications DROP CONSTRAINT verifications_purpose_ok;
ALTER TABLE verifications ADD CONSTRAINT verifications_purpose_ok
    CHECK (purpose IN ('signup', 'register', 'password_reset', 'login'));
ALTER TABLE verifications ADD CONSTRAINT verifications_login_user
    CHECK (purpose <> 'login' OR user_id IS NOT NULL);
-- Stats count test numbers apart.
CREATE INDEX verifications_test_idx ON verifications (created_at) WHERE backend = 'test';

-- sms_outbox
--   channel       'sms' or 'whatsapp' (To is then "whatsapp:" + phone_e164).
--   kind          'message': a Messages API send, body_sealed holds the SMS body or, for
--                 WhatsApp, the template's ContentVariables JSON; 'verify': a Twilio Verify
--                 Verifications POST, nothing sealed (Verify makes the code); twilio_sid then
--                 holds the verification's VE SID, which a resend shares, so SIDs are unique
--                 among messages only.
--   locale        the language of the body, WhatsApp template or Verify's Locale.
--   encoding      an SMS body's: 'GSM-7' or 'UCS-2'; segments: how many it takes (billed so).
--   fallback_for  this row stands in for that one: it waits 'held' until that row fails for
--                 good (then 'queued') or is delivered (then 'cancelled'); a held row past its
--                 not_after is 'expired' by the worker's sweep.
ALTER TABLE sms_outbox ADD COLUMN channel text NOT NULL DEFAULT 'sms';
ALTER TABLE sms_outbox ADD COLUMN kind text NOT NULL DEFAULT 'message';
ALTER TABLE sms_outbox ADD COLUMN locale text NOT NULL DEFAULT 'en';
ALTER TABLE sms_outbox ADD COLUMN encoding text NULL;
ALTER TABLE sms_outbox ADD COLUMN segments integer NULL;
ALTER TABLE sms_outbox ADD COLUMN fallback_for bigint NULL REFERENCES sms_outbox (id) ON DELETE CASCADE;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_channel_ok CHECK (channel IN ('sms', 'whatsapp'));
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_kind_ok CHECK (kind IN ('message', 'verify'));
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_encoding_ok
    CHECK (encoding IS NULL OR (encoding IN ('GSM-7', 'UCS-2') AND channel = 'sms' AND kind = 'message'));
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_segments_ok
    CHECK (segments IS NULL OR segments BETWEEN 1 AND 20);
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_sealed_kind
    CHECK (kind = 'message' OR body_sealed IS NULL);
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_state_ok;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_state_ok CHECK (state IN ('queued', 'sending',
    'sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'held'));
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_held_ok CHECK (state <> 'held' OR fallback_for IS NOT NULL);
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_twilio_sid_key;
CREATE UNIQUE INDEX sms_outbox_message_sid_uq ON sms_outbox (twilio_sid)
    WHERE twilio_sid IS NOT NULL AND kind = 'message';
CREATE INDEX sms_outbox_verify_sid_idx ON sms_outbox (twilio_sid)
    WHERE twilio_sid IS NOT NULL AND kind = 'verify';
CREATE INDEX sms_outbox_held_idx ON sms_outbox (fallback_for) WHERE state = 'held';
