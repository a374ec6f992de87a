-- verify_right_pipelined.sql: verify_right.sql's statements in the service's round trips: BEGIN,
-- the load and the try limit; the counted try, the verified state, the audit row and COMMIT. Same
-- defines; run it on verifications of its own (another base).
\set v :base + :client_id * :per_client + :seq
\set seq :seq + 1
\startpipeline
BEGIN;
SELECT phone_e164, purpose, state, phantom, expires_at <= now(), attempts, max_attempts, encode(code_mac, 'hex'), user_id::text, greatest(0, ceil(extract(epoch FROM last_sent_at + make_interval(secs => 30::int) - now())))::int, channel, locale, backend FROM verifications WHERE id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid FOR UPDATE;
SELECT greatest(CASE WHEN 10000::int > 0 THEN rate_limit_take('try_phone', phone_e164, make_interval(secs => 600::int), 10000::int) ELSE 0 END, CASE WHEN 30::int > 0 THEN rate_limit_take('try_phone_day', phone_e164, interval '1 day', 30::int) ELSE 0 END, CASE WHEN purpose IN ('password_reset', 'login') AND 10::int > 0 THEN rate_limit_take('reset_try_phone', phone_e164, interval '1 day', 10::int) ELSE 0 END, CASE WHEN purpose IN ('password_reset', 'login') AND 10::int > 0 AND user_id IS NOT NULL THEN rate_limit_take('reset_try_user', user_id::text, interval '1 day', 10::int) ELSE 0 END) FROM verifications WHERE id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid;
\endpipeline
\startpipeline
UPDATE verifications SET attempts = attempts + 1, state = CASE WHEN attempts + 1 >= max_attempts AND NOT true::boolean THEN 'exhausted' ELSE state END WHERE id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid;
UPDATE verifications SET state = 'verified', verified_at = now(), token_hash = sha256(('bench-token-' || :v)::bytea), token_expires_at = now() + make_interval(secs => 900::int), message_sid = (SELECT twilio_sid FROM sms_outbox o WHERE o.verification_id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid AND o.twilio_sid IS NOT NULL ORDER BY o.id DESC LIMIT 1) WHERE id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid RETURNING message_sid;
SELECT audit_append('code_checked', NULL, NULL::uuid, '+1******' || right(:v::text, 4), ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid, NULL, ('10.0.0.0'::inet + :v), 'verified', NULL::jsonb);
COMMIT;
\endpipeline
