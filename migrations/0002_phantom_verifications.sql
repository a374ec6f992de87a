-- Non-enumerating profiles answer Register and StartPasswordReset for unknown or taken identities
-- exactly as for real ones. Behind such a reply stands a real verification row, so cooldowns,
-- attempt counts and replies behave identically, but no SMS is queued for it and its code
-- (random, never sent) is refused even if guessed.
ALTER TABLE verifications ADD COLUMN phantom boolean NOT NULL DEFAULT false;
ALTER TABLE verifications DROP CONSTRAINT verifications_register_user;
ALTER TABLE verifications ADD CONSTRAINT verifications_register_user
    CHECK (purpose <> 'register' OR user_id IS NOT NULL OR phantom);
