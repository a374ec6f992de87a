-- verify_wrong.sql: pgbench's VerifyCode with a wrong code, the statements of code.c's
-- path in order: the verification locked and loaded, the try limit of its phone, the counted try,
-- the audit row. Each client cycles through its own :per_client pending verifications (made by
-- verify_setup.sql with base :base), as phoneauth-bench's threads do; the MAC check is C in the
-- service and nothing here. Needs -D seq=0 -D base=B -D per_client=K.
\set v :base + :client_id * :per_client + :seq % :per_client
\set seq :seq + 1
BEGIN;
SELECT phone_e164, purpose, state, phantom, expires_at <= now(), attempts, max_attempts, encode(code_mac, 'hex'), user_id::text, greatest(0, ceil(extract(epoch FROM last_sent_at + make_interval(secs => 30::int) - now())))::int, channel, locale, backend FROM verifications WHERE id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid FOR UPDATE;
SELECT greatest(CASE WHEN 10000::int > 0 THEN rate_limit_take('try_phone', phone_e164, make_interval(secs => 600::int), 10000::int) ELSE 0 END, CASE WHEN 30::int > 0 THEN rate_limit_take('try_phone_day', phone_e164, interval '1 day', 30::int) ELSE 0 END, CASE WHEN purpose IN ('password_reset', 'login') AND 10::int > 0 THEN rate_limit_take('reset_try_phone', phone_e164, interval '1 day', 10::int) ELSE 0 END, CASE WHEN purpose IN ('password_reset', 'login') AND 10::int > 0 AND user_id IS NOT NULL THEN rate_limit_take('reset_try_user', user_id::text, interval '1 day', 10::int) ELSE 0 END) FROM verifications WHERE id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid;
UPDATE verifications SET attempts = attempts + 1, state = CASE WHEN attempts + 1 >= max_attempts AND NOT false::boolean THEN 'exhausted' ELSE state END WHERE id = ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid;
SELECT audit_append('code_checked', NULL, NULL::uuid, '+1******' || right(:v::text, 4), ('b0000000-0000-4000-8000-' || lpad(:v::text, 12, '0'))::uuid, NULL, ('10.0.0.0'::inet + :v), 'wrong', NULL::jsonb);
COMMIT;
