-- The pending-expiry index was keyed (state, expires_at) under WHERE state = 'pending', so with
-- the statistics of a fresh, empty database the planner picked it for StartSignup's pending
-- lookup (phone_e164, purpose, state = 'pending'), where its only usable condition is the constant
-- state: each signup then read every pending row (bench/: 1 119 -> 480 signups/s over 15 s until
-- ANALYZE). Keyed on expires_at alone it can serve only expiry scans, so the lookup always takes
-- verifications_one_pending_uq.
DROP INDEX verifications_pending_expiry_idx;
CREATE INDEX verifications_pending_expiry_idx ON verifications (expires_at) WHERE state = 'pending';
