-- start_signup.sql: pgbench's StartSignup, the statements services/auth/code.c sends for
-- one new phone (Fancy Feathers without subscriptions, no pending code, an end-user IP of its own),
-- in the same order: the account check before the transaction, then the per-phone lock, the
-- pending-code lookup, the three send limits (phone, the phone's share per IP, IP), the
-- verification, the outbox row and the audit row.
-- What the service computes in C (UUID, code MAC, sealed SMS, masked phone) is a constant or an
-- expression of the same size here. Needs -D seq=0 (a per-client counter pgbench keeps between
-- transactions); phones are +17NNNNNNNNN, ids 51000000-...-N, IPs 10.0.0.0 + N.
\set n :client_id * 10000000 + :seq
\set seq :seq + 1
SELECT 1 FROM users WHERE phone_e164 = ('+' || (17000000000 + :n)) AND phone_verified_at IS NOT NULL;
BEGIN;
SELECT pg_advisory_xact_lock(hashtextextended('verification:' || ('+' || (17000000000 + :n)), 0));
SELECT id::text, greatest(0, ceil(extract(epoch FROM last_sent_at + make_interval(secs => 30::int) - now())))::int FROM verifications WHERE phone_e164 = ('+' || (17000000000 + :n)) AND purpose = 'signup' AND identity = '' AND state = 'pending' ORDER BY created_at DESC LIMIT 1 FOR UPDATE;
SELECT rate_limit_take('send_phone', ('+' || (17000000000 + :n)), make_interval(secs => 3600::int), 5::int);
SELECT rate_limit_take('send_phone_ip', ('+' || (17000000000 + :n)) || '|' || host(('10.0.0.0'::inet + :n)), make_interval(secs => 3600::int), 3::int);
SELECT rate_limit_take('send_ip', host(('10.0.0.0'::inet + :n)), make_interval(secs => 3600::int), 20::int);
INSERT INTO verifications (id, purpose, user_id, subscription_id, phone_e164, code_mac, expires_at, max_attempts, last_sent_at, end_user_ip, phantom, identity, password_hash, channel, locale, backend) VALUES (('51000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid, 'signup', NULL::uuid, NULL, ('+' || (17000000000 + :n)), '\xabababababababababababababababababababababababababababababababab'::bytea, now() + make_interval(secs => 300::int), 100::int, now(), ('10.0.0.0'::inet + :n), false, '', NULL, 'sms', 'en', 'local');
INSERT INTO sms_outbox (verification_id, phone_e164, body_sealed, not_after, channel, kind, locale, encoding, segments, state, fallback_for) VALUES (('51000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid, ('+' || (17000000000 + :n)), '\xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd'::bytea, now() + make_interval(secs => 300::int), 'sms', 'message', 'en', 'GSM-7', 1::int, 'queued', NULL) RETURNING id;
SELECT audit_append('code_sent', NULL, NULL::uuid, '+1******' || right(:n::text, 4), ('51000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid, NULL, ('10.0.0.0'::inet + :n), 'queued', '{"purpose":"signup","channel":"sms"}'::jsonb);
COMMIT;
