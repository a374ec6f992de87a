-- 0016: remembered devices for the login second factor (issue 16,
-- PHONEAUTH_LOGIN_SECOND_FACTOR=new-device). VerifyCode of a login code with remember_device
-- gives the site a random device token; only its keyed hash is stored here (as for sessions), so
-- the table never holds anything a login could be made with. A token skips the code only for
-- its own user and until expires_at; a password reset deletes the user's rows, and the retention
-- job deletes rows past their expiry (services/auth/store_retention.c). Owner:
-- services/auth/store_devices.c.
CREATE TABLE remembered_devices (
    id           bigserial   PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz NULL,
    end_user_ip  inet        NULL,
    user_agent   text        NULL,
    CONSTRAINT remembered_devices_token_len CHECK (octet_length(token_hash) BETWEEN 16 AND 64),
    CONSTRAINT remembered_devices_expiry_ok CHECK (expires_at > created_at),
    CONSTRAINT remembered_devices_ua_len    CHECK (user_agent IS NULL OR length(user_agent) <= 512)
);
CREATE INDEX remembered_devices_user_idx ON remembered_devices (user_id);
CREATE INDEX remembered_devices_expires_idx ON remembered_devices (expires_at);   -- retention
