-- start_signup_pipelined.sql: start_signup.sql's statements sent in the round trips the service
-- uses (code.c, pa_db_exec_batch): the account check; BEGIN, the phone's lock and the
-- pending lookup; both send limits; the verification, the outbox row, the audit row and COMMIT.
-- Needs -M prepared (pipelines do), -D seq=S with S apart from other runs on the same database.
\set n :client_id * 10000000 + :seq
\set seq :seq + 1
SELECT 1 FROM users WHERE phone_e164 = ('+' || (17000000000 + :n)) AND phone_verified_at IS NOT NULL;
\startpipeline
BEGIN;
SELECT pg_advisory_xact_lock(hashtextextended('verification:' || ('+' || (17000000000 + :n)), 0));
SELECT id::text, greatest(0, ceil(extract(epoch FROM last_sent_at + make_interval(secs => 30::int) - now())))::int FROM verifications WHERE phone_e164 = ('+' || (17000000000 + :n)) AND purpose = 'signup' AND identity = '' AND state = 'pending' ORDER BY created_at DESC LIMIT 1 FOR UPDATE;
\endpipeline
\startpipeline
SELECT rate_limit_take('send_phone', ('+' || (17000000000 + :n)), make_interval(secs => 3600::int), 5::int);
SELECT rate_limit_take('send_phone_ip', ('+' || (17000000000 + :n)) || '|' || host(('10.0.0.0'::inet + :n)), make_interval(secs => 3600::int), 3::int);
SELECT rate_limit_take('send_ip', host(('10.0.0.0'::inet + :n)), make_interval(secs => 3600::int), 20::int);
\endpipeline
\startpipeline
INSERT INTO verifications (id, purpose, user_id, subscription_id, phone_e164, code_mac, expires_at, max_attempts, last_sent_at, end_user_ip, phantom, identity, password_hash, channel, locale, backend) VALUES (('51000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid, 'signup', NULL::uuid, NULL, ('+' || (17000000000 + :n)), '\xabababababababababababababababababababababababababababababababab'::bytea, now() + make_interval(secs => 300::int), 100::int, now(), ('10.0.0.0'::inet + :n), false, '', NULL, 'sms', 'en', 'local');
INSERT INTO sms_outbox (verification_id, phone_e164, body_sealed, not_after, channel, kind, locale, encoding, segments, state, fallback_for) VALUES (('51000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid, ('+' || (17000000000 + :n)), '\xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd'::bytea, now() + make_interval(secs => 300::int), 'sms', 'message', 'en', 'GSM-7', 1::int, 'queued', NULL) RETURNING id;
SELECT audit_append('code_sent', NULL, NULL::uuid, '+1******' || right(:n::text, 4), ('51000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid, NULL, ('10.0.0.0'::inet + :n), 'queued', '{"purpose":"signup","channel":"sms"}'::jsonb);
COMMIT;
\endpipeline
