-- 0011: indexes for the retention job (services/auth/retention.c, issue 13 finding 8). Each of its
-- batched DELETEs picks the oldest rows past a window; without these it would walk every row
-- ever written (all users, every session) at each batch, and deleting a verification would scan
-- users for the NO ACTION key users.verified_by. audit_events gets nothing: it is never deleted.

-- users.verified_by -> verifications: the foreign key's check on delete, and the job's "skip the
-- verifications a user points at".
CREATE INDEX users_verified_by_idx ON users (verified_by) WHERE verified_by IS NOT NULL;
-- never-verified users, oldest first (PHONEAUTH_UNVERIFIED_USER_TTL)
CREATE INDEX users_unverified_created_idx ON users (created_at) WHERE phone_verified_at IS NULL;
-- revoked sessions (expired ones use sessions_expires_idx)
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
-- when a verification ended: its last change, its code's expiry or its token's (GREATEST skips
-- a NULL token_expires_at)
CREATE INDEX verifications_ended_idx ON verifications
    ((greatest(updated_at, expires_at, token_expires_at)));
-- outbox rows in a final state, by when they got there
CREATE INDEX sms_outbox_final_idx ON sms_outbox (final_at) WHERE final_at IS NOT NULL;
-- status callbacks that never found their outbox row (the others go with their row)
CREATE INDEX message_status_events_orphan_idx ON message_status_events (received_at)
    WHERE outbox_id IS NULL;
