-- 0001_init.sql — phoneauth schema.
--
-- Applied by `phoneauth-auth migrate` inside one transaction, as the role `phoneauth`, which owns
-- every object here. No BEGIN/COMMIT, no superuser-only statements, no extensions
-- (gen_random_uuid() is built in since PostgreSQL 13).
--
-- Conventions:
--   * every time is timestamptz; phones are E.164 text ('+' then 1-15 digits, no spaces),
--     normalised by libphonenumber before they get here;
--   * secrets never reach the database in the clear: codes and tokens are stored only as keyed
--     MACs / hashes (keys live in the services' environment), SMS bodies only AEAD-sealed;
--   * one deployment (one database) serves one policy profile, so identities are unique per
--     database, not per profile;
--   * audit_events has no foreign keys on purpose: audit rows must outlive the rows they talk
--     about, and the append-only trigger would block any cascade anyway.

-- ---------------------------------------------------------------------------------------------
-- helpers

-- keeps updated_at honest without relying on every UPDATE statement to set it
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- shared by the append-only tables (row-level UPDATE/DELETE and statement-level TRUNCATE)
CREATE FUNCTION forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit rows are never updated or deleted';
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- subscriptions: the site's subscriptions (Fancy Feathers): StartSignup must use this phone.

CREATE TABLE subscriptions (
    id          text        PRIMARY KEY,              -- the site's own subscription id
    phone_e164  text        NOT NULL,
    user_id     uuid        NULL,                     -- FK to users added below (cycle)
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),   -- LinkSubscription may re-link a phone
    CONSTRAINT subscriptions_id_len   CHECK (length(id) BETWEEN 1 AND 200),
    CONSTRAINT subscriptions_phone_ok CHECK (phone_e164 ~ '^\+[1-9][0-9]{1,14}$')
);
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id) WHERE user_id IS NOT NULL;
CREATE TRIGGER subscriptions_updated_at BEFORE UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- users: Fancy Feathers logs in with the verified phone; LawnFlow with email (or phone) +
-- password once the phone is verified.

CREATE TABLE users (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    phone_e164         text        NULL,
    email              text        NULL,
    password_hash      text        NULL,     -- crypto_pwhash_str (Argon2id) string, never a password
    phone_verified_at  timestamptz NULL,     -- NULL = not verified ("is_mobile_verified")
    verified_by        uuid        NULL,     -- the verification that verified it (FK added below)
    subscription_id    text        NULL REFERENCES subscriptions (id) ON DELETE SET NULL,
    failed_logins      integer     NOT NULL DEFAULT 0,
    locked_until       timestamptz NULL,
    last_login_at      timestamptz NULL,
    opted_out_at       timestamptz NULL,     -- STOP reply / Twilio 21610: send no more SMS
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_phone_ok      CHECK (phone_e164 IS NULL OR phone_e164 ~ '^\+[1-9][0-9]{1,14}$'),
    CONSTRAINT users_email_ok      CHECK (email IS NULL OR (length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+$')),
    CONSTRAINT users_has_identity  CHECK (phone_e164 IS NOT NULL OR email IS NOT NULL),
    -- guards against ever writing a plaintext password by mistake
    CONSTRAINT users_pwhash_ok     CHECK (password_hash IS NULL OR password_hash LIKE '$argon2%'),
    CONSTRAINT users_verified_phone CHECK (phone_verified_at IS NULL OR phone_e164 IS NOT NULL),
    CONSTRAINT users_verified_by_ok CHECK (verified_by IS NULL OR phone_verified_at IS NOT NULL),
    CONSTRAINT users_failed_ok     CHECK (failed_logins >= 0)
);
-- A phone is unique among *verified* users only. A plain UNIQUE(phone_e164) would let anyone
-- squat a number by registering it unverified (LawnFlow creates the user before the code is
-- checked), locking the real owner out, and the non-enumerating replies would hide why.
-- Verifying a phone that another user already verified fails on this index (ALREADY_EXISTS).
-- Upserts must name the predicate: ON CONFLICT (phone_e164) WHERE phone_verified_at IS NOT NULL.
CREATE UNIQUE INDEX users_phone_verified_uq ON users (phone_e164) WHERE phone_verified_at IS NOT NULL;
-- equality lookups (login by phone, register) and admin prefix search, whatever the collation
CREATE INDEX users_phone_idx ON users (phone_e164 text_pattern_ops) WHERE phone_e164 IS NOT NULL;
-- emails compare case-insensitively; store them trimmed, look them up by lower(email)
CREATE UNIQUE INDEX users_email_lower_uq ON users (lower(email));
-- one account per subscription
CREATE UNIQUE INDEX users_subscription_uq ON users (subscription_id) WHERE subscription_id IS NOT NULL;
-- admin ListUsers: newest first with a (created_at, id) cursor; verified filter on the side
CREATE INDEX users_created_idx ON users (created_at DESC, id DESC);
CREATE INDEX users_verified_at_idx ON users (phone_verified_at DESC) WHERE phone_verified_at IS NOT NULL;
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE subscriptions
    ADD CONSTRAINT subscriptions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;

-- ---------------------------------------------------------------------------------------------
-- verifications: one code conversation (start, resends, tries, verify, token use).

CREATE TABLE verifications (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    purpose          text        NOT NULL,
    user_id          uuid        NULL REFERENCES users (id) ON DELETE CASCADE,
    subscription_id  text        NULL REFERENCES subscriptions (id) ON DELETE SET NULL,
    phone_e164       text        NOT NULL,
    -- Keyed MAC of the *current* code; a resend overwrites it, so the old code stops working.
    -- MAC over (verification id || code) so equal codes never give equal MACs across rows.
    code_mac         bytea       NOT NULL,
    expires_at       timestamptz NOT NULL,    -- of the current code; a resend moves it
    attempts         integer     NOT NULL DEFAULT 0,  -- tries used on this verification
    max_attempts     integer     NOT NULL,    -- the profile's tries per code, frozen at start
    sends            integer     NOT NULL DEFAULT 1,
    last_sent_at     timestamptz NOT NULL,    -- resend cooldown: lock the row (FOR UPDATE), compare
    state            text        NOT NULL DEFAULT 'pending',
    verified_at      timestamptz NULL,
    -- single-use signup / reset token issued after a successful verify (hash only)
    token_hash       bytea       NULL UNIQUE,
    token_expires_at timestamptz NULL,
    message_sid      text        NULL,        -- Twilio SID of the send that carried the verified code
    end_user_ip      inet        NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT verifications_purpose_ok CHECK (purpose IN ('signup', 'register', 'password_reset')),
    CONSTRAINT verifications_state_ok   CHECK (state IN ('pending', 'verified', 'consumed', 'expired', 'exhausted')),
    CONSTRAINT verifications_phone_ok   CHECK (phone_e164 ~ '^\+[1-9][0-9]{1,14}$'),
    CONSTRAINT verifications_mac_len    CHECK (octet_length(code_mac) BETWEEN 16 AND 64),
    CONSTRAINT verifications_token_len  CHECK (token_hash IS NULL OR octet_length(token_hash) BETWEEN 16 AND 64),
    CONSTRAINT verifications_max_ok     CHECK (max_attempts BETWEEN 1 AND 100),
    -- a try is counted only while attempts < max_attempts (UPDATE ... WHERE attempts < max_attempts)
    CONSTRAINT verifications_attempts_ok CHECK (attempts >= 0 AND attempts <= max_attempts),
    CONSTRAINT verifications_sends_ok   CHECK (sends >= 1),
    CONSTRAINT verifications_verified_ok CHECK (state NOT IN ('verified', 'consumed') OR verified_at IS NOT NULL),
    CONSTRAINT verifications_token_pair CHECK ((token_hash IS NULL) = (token_expires_at IS NULL)),
    -- Register creates the user first, so its verification always names it
    CONSTRAINT verifications_register_user CHECK (purpose <> 'register' OR user_id IS NOT NULL)
);
-- At most one live code per phone and purpose: otherwise N parallel StartSignup calls would give
-- an attacker N codes to guess against. Starting a new one first marks the previous pending one
-- 'expired' (UPDATE ... SET state = 'expired') in the same transaction.
CREATE UNIQUE INDEX verifications_one_pending_uq ON verifications (phone_e164, purpose) WHERE state = 'pending';
CREATE INDEX verifications_phone_created_idx ON verifications (phone_e164, created_at DESC);
-- sweep of pending codes past expiry
CREATE INDEX verifications_pending_expiry_idx ON verifications (state, expires_at) WHERE state = 'pending';
CREATE INDEX verifications_user_idx ON verifications (user_id, created_at DESC) WHERE user_id IS NOT NULL;
CREATE INDEX verifications_subscription_idx ON verifications (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE TRIGGER verifications_updated_at BEFORE UPDATE ON verifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- users.verified_by keeps the proof (time, message SID) the admin views show; NO ACTION, so a
-- purge of old verifications must skip the ones a user points at.
ALTER TABLE users
    ADD CONSTRAINT users_verified_by_fk FOREIGN KEY (verified_by) REFERENCES verifications (id);

-- ---------------------------------------------------------------------------------------------
-- rate_events: sliding-window limits (sends per phone / per IP, tries per phone, ...).
--
-- Limits hold across any number of auth instances and concurrent requests because every check
-- runs in the caller's transaction as: take pg_advisory_xact_lock(hashtextextended(bucket || ':' ||
-- subject, 0)), THEN count the events in the window, THEN insert the new event; the lock is held
-- until commit, so the next holder's count sees it. Under READ COMMITTED the count must be a
-- separate statement from the lock (its snapshot must be taken after the lock is granted);
-- rate_limit_take() below does exactly that. Old rows are pruned by time (BRIN index on at).

CREATE TABLE rate_events (
    bucket   text        NOT NULL,   -- 'send_phone', 'send_ip', 'try_phone', ...
    subject  text        NOT NULL,   -- phone E.164 or IP text
    at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rate_events_bucket_ok  CHECK (bucket ~ '^[a-z][a-z0-9_]{0,31}$'),
    CONSTRAINT rate_events_subject_ok CHECK (length(subject) BETWEEN 1 AND 128)
);
CREATE INDEX rate_events_lookup_idx ON rate_events (bucket, subject, at);
CREATE INDEX rate_events_at_brin ON rate_events USING brin (at);

-- Returns 0 if the event is allowed (and records it when p_record), otherwise the whole seconds
-- until it would be allowed (for retry_after_s). Use p_record => false to peek, e.g. to refuse a
-- try before counting it. Call it in READ COMMITTED (the default).
CREATE FUNCTION rate_limit_take(p_bucket text, p_subject text, p_window interval, p_max integer,
                                p_record boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_now timestamptz;
    v_edge timestamptz;
BEGIN
    IF p_max < 1 OR p_window <= interval '0' THEN
        RAISE EXCEPTION 'rate_limit_take: bad limit % per %', p_max, p_window;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_bucket || ':' || p_subject, 0));
    -- taken after the lock: now() is the transaction start and may predate the wait
    v_now := clock_timestamp();
    -- the p_max-th newest event in the window: while it is inside, the limit is reached
    SELECT at INTO v_edge
      FROM rate_events
     WHERE bucket = p_bucket AND subject = p_subject AND at > v_now - p_window
     ORDER BY at DESC
     OFFSET p_max - 1 LIMIT 1;
    IF FOUND THEN
        RETURN greatest(1, ceil(extract(epoch FROM (v_edge + p_window - v_now)))::integer);
    END IF;
    IF p_record THEN
        INSERT INTO rate_events (bucket, subject, at) VALUES (p_bucket, p_subject, v_now);
    END IF;
    RETURN 0;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- sms_outbox: one row per SMS send (a resend is a new row). Written in the same transaction as
-- the verification; workers claim rows with a lease (UPDATE ... WHERE id = $1 AND (state =
-- 'queued' OR (state = 'sending' AND lease_until < now())) ... FOR UPDATE SKIP LOCKED), so a
-- dead worker's row is picked up again by the sweep and a sent row is never claimed again.

CREATE TABLE sms_outbox (
    id                bigserial   PRIMARY KEY,
    verification_id   uuid        NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
    phone_e164        text        NOT NULL,
    body_sealed       bytea       NULL,      -- AEAD-sealed SMS body (it holds the code); NULL once final
    state             text        NOT NULL DEFAULT 'queued',
    not_after         timestamptz NOT NULL,  -- the code's expiry: never send after this
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    lease_owner       text        NULL,      -- sms_workers.id holding the row while sending
    lease_until       timestamptz NULL,
    twilio_sid        text        NULL UNIQUE,
    twilio_status     text        NULL,      -- Twilio's raw status word (accepted, queued, sent, ...)
    error_code        integer     NULL,      -- Twilio error code (21211, 21610, ...)
    error_message     text        NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz NULL,      -- Twilio accepted it (we have a SID)
    final_at          timestamptz NULL,
    status_updated_at timestamptz NULL,
    CONSTRAINT sms_outbox_state_ok CHECK (state IN ('queued', 'sending', 'sent',
                                                    'delivered', 'undelivered', 'failed', 'expired')),
    CONSTRAINT sms_outbox_phone_ok CHECK (phone_e164 ~ '^\+[1-9][0-9]{1,14}$'),
    CONSTRAINT sms_outbox_attempts_ok CHECK (attempts >= 0),
    CONSTRAINT sms_outbox_lease_pair CHECK ((lease_owner IS NULL) = (lease_until IS NULL)),
    CONSTRAINT sms_outbox_sending_leased CHECK (state <> 'sending' OR lease_owner IS NOT NULL),
    CONSTRAINT sms_outbox_final_wiped CHECK (state NOT IN ('delivered', 'undelivered', 'failed', 'expired')
                                             OR body_sealed IS NULL)
);
-- claimable rows: queued and due, or sending with a lapsed lease (BitmapOr of the two)
CREATE INDEX sms_outbox_queued_idx ON sms_outbox (next_attempt_at) WHERE state = 'queued';
CREATE INDEX sms_outbox_lease_idx ON sms_outbox (lease_until) WHERE state = 'sending';
CREATE INDEX sms_outbox_verification_idx ON sms_outbox (verification_id, id);
CREATE INDEX sms_outbox_created_idx ON sms_outbox (created_at DESC, id DESC);   -- admin ListMessages

-- Belt and braces for the spec rule "the sealed body is wiped once the message is final": any
-- update into a final state drops the body and stamps final_at, whoever writes it (worker,
-- status callback, expiry sweep). Whether a status may move at all (never backwards) is the
-- writer's decision; this trigger does not judge transitions.
CREATE FUNCTION sms_outbox_on_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IN ('delivered', 'undelivered', 'failed', 'expired') THEN
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
CREATE TRIGGER sms_outbox_final BEFORE INSERT OR UPDATE OF state, body_sealed ON sms_outbox
    FOR EACH ROW EXECUTE FUNCTION sms_outbox_on_final();

-- ---------------------------------------------------------------------------------------------
-- message_status_events: the delivery timeline, one row per status callback. outbox_id may be
-- NULL: Twilio's callback can arrive before the worker has stored the SID; the row is kept with
-- its twilio_sid and joined by SID.

CREATE TABLE message_status_events (
    id                bigserial   PRIMARY KEY,
    outbox_id         bigint      NULL REFERENCES sms_outbox (id) ON DELETE CASCADE,
    twilio_sid        text        NULL,
    status            text        NOT NULL,
    error_code        integer     NULL,
    raw_dlr_done_date text        NULL,      -- Twilio's RawDlrDoneDate, as sent (YYMMDDhhmm)
    received_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_status_events_ref CHECK (outbox_id IS NOT NULL OR twilio_sid IS NOT NULL)
);
CREATE INDEX message_status_events_outbox_idx ON message_status_events (outbox_id, id) WHERE outbox_id IS NOT NULL;
CREATE INDEX message_status_events_sid_idx ON message_status_events (twilio_sid) WHERE twilio_sid IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- sessions: opaque bearer tokens for the site; only a hash is stored.

CREATE TABLE sessions (
    id           bigserial   PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz NULL,
    end_user_ip  inet        NULL,
    user_agent   text        NULL,
    CONSTRAINT sessions_token_len CHECK (octet_length(token_hash) BETWEEN 16 AND 64),
    CONSTRAINT sessions_expiry_ok CHECK (expires_at > created_at),
    CONSTRAINT sessions_ua_len    CHECK (user_agent IS NULL OR length(user_agent) <= 512)
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);   -- pruning

-- ---------------------------------------------------------------------------------------------
-- audit_events: append-only record of every state change.
--
-- Triggers stop UPDATE, DELETE and TRUNCATE for everyone, the owner included, in normal
-- operation. The owner could still disable them (ALTER TABLE ... DISABLE TRIGGER), which is why
-- audit_checkpoints signs a hash chain over the rows: tampering is then detectable, not just
-- forbidden. Tests that need a clean slate use a fresh database, not TRUNCATE.

CREATE TABLE audit_events (
    id               bigserial   PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    event            text        NOT NULL,   -- e.g. 'verification.started', 'sms.sent', 'user.login_failed'
    actor            text        NOT NULL,   -- 'site', 'admin', 'sms-worker', 'twilio', ...
    user_id          uuid        NULL,
    phone_masked     text        NULL,       -- never the full number
    verification_id  uuid        NULL,
    message_sid      text        NULL,
    end_user_ip      inet        NULL,
    outcome          text        NULL,       -- 'ok', or the reason it was refused
    detail           jsonb       NULL,       -- never codes, passwords, tokens or secrets
    CONSTRAINT audit_events_event_len CHECK (length(event) BETWEEN 1 AND 100),
    CONSTRAINT audit_events_actor_len CHECK (length(actor) BETWEEN 1 AND 64),
    -- cheap guard: a masked phone keeps at most 4 digits in the clear
    CONSTRAINT audit_events_phone_masked CHECK (phone_masked IS NULL OR phone_masked !~ '[0-9]{5}')
);
CREATE INDEX audit_events_event_idx ON audit_events (event, id);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_verification_idx ON audit_events (verification_id) WHERE verification_id IS NOT NULL;
CREATE INDEX audit_events_at_idx ON audit_events (at);

CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- ---------------------------------------------------------------------------------------------
-- audit_checkpoints: signed hash chain over audit_events, one link per id range.
--
-- hash = H(prev_hash || canonical rows first_id..last_id); signature = sign(hash) with a key from
-- the environment. bigserial ids are assigned before commit, so a lower id can become visible
-- after a higher one: the checkpointer takes LOCK TABLE audit_events IN SHARE MODE (waits for
-- in-flight inserts, briefly blocks new ones), reads max(id), and only then hashes the range.

CREATE TABLE audit_checkpoints (
    id          bigserial   PRIMARY KEY,
    first_id    bigint      NOT NULL,
    last_id     bigint      NOT NULL,
    prev_hash   bytea       NOT NULL,    -- hash of the previous checkpoint (zeros for the first)
    hash        bytea       NOT NULL,
    signature   bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_checkpoints_range_ok CHECK (first_id >= 1 AND last_id >= first_id),
    CONSTRAINT audit_checkpoints_hash_len CHECK (octet_length(prev_hash) = octet_length(hash)
                                                 AND octet_length(hash) BETWEEN 16 AND 64)
);
-- ranges never overlap and the chain is linear
CREATE UNIQUE INDEX audit_checkpoints_first_uq ON audit_checkpoints (first_id);
CREATE UNIQUE INDEX audit_checkpoints_last_uq ON audit_checkpoints (last_id);
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- ---------------------------------------------------------------------------------------------
-- sms_workers: live worker registry (heartbeat); lease_owner values refer to these ids.

CREATE TABLE sms_workers (
    id            text        PRIMARY KEY,
    host          text        NOT NULL,
    pid           integer     NOT NULL,
    started_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    CONSTRAINT sms_workers_id_len CHECK (length(id) BETWEEN 1 AND 128),
    CONSTRAINT sms_workers_pid_ok CHECK (pid > 0),
    CONSTRAINT sms_workers_seen_ok CHECK (last_seen_at >= started_at)
);
