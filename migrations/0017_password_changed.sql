-- 0017: when a user's password was last set (the review of issue 16). A login code (the second
-- factor) proves the password it was sent for: its session is issued only if the code was
-- created after the password was last set, checked with the user row locked, so a password reset
-- that commits between a right login code and its session stops that session. The trigger keeps
-- the column honest whichever statement writes the hash (registration, CreateAccount, reset).
ALTER TABLE users ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();
UPDATE users SET password_changed_at = created_at;

CREATE FUNCTION users_password_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        NEW.password_changed_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_password_changed BEFORE UPDATE OF password_hash ON users
    FOR EACH ROW EXECUTE FUNCTION users_password_changed();
