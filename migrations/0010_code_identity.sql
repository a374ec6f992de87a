-- 0010: a pending code belongs to a phone, a purpose and an identity (issue 13, findings 2 and 4).
-- A start replaced every pending code of the phone and purpose, so anyone who typed a person's
-- phone (Register with another email, StartPasswordReset) cancelled that person's code. Now a
-- start replaces only the pending code of the same identity (register: the lowercased email;
-- signup: the subscription, or ''), and password reset codes are never unique: whoever asks
-- for a reset gets a code of their own and the owner's keeps working. A registration's
-- password travels with its code and reaches the user only when that code is verified, so an
-- unverified registration holds neither the email's password nor a phone.
ALTER TABLE verifications ADD COLUMN identity text NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN password_hash text NULL;
ALTER TABLE verifications ADD CONSTRAINT verifications_identity_len CHECK (length(identity) <= 254);
ALTER TABLE verifications ADD CONSTRAINT verifications_pwhash_ok
    CHECK (password_hash IS NULL OR password_hash LIKE '$argon2%');

DROP INDEX verifications_one_pending_uq;
CREATE UNIQUE INDEX verifications_one_pending_uq ON verifications (phone_e164, purpose, identity)
    WHERE state = 'pending' AND purpose <> 'password_reset';
CREATE INDEX verifications_pending_reset_idx ON verifications (phone_e164, created_at DESC)
    WHERE state = 'pending' AND purpose = 'password_reset';
