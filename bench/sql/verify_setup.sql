-- verify_setup.sql (psql): pending verifications for verify_wrong.sql and verify_right.sql,
-- numbered :base .. :base + :rows - 1 (ids b0000000-...-N, phones +19NNNNNNNNN), each with the
-- SMS that carried its code (sent, with a SID), as the service would have them. Run with
-- psql -v base=B -v rows=N.
INSERT INTO verifications (id, purpose, phone_e164, code_mac, expires_at, max_attempts,
                           last_sent_at, end_user_ip, phantom)
SELECT ('b0000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'signup',
       '+' || (19000000000 + i), sha256(('bench-mac-' || i)::bytea), now() + interval '1 hour',
       100, now(), '10.0.0.0'::inet + i, false
  FROM generate_series(:base, :base + :rows - 1) AS i;
INSERT INTO sms_outbox (verification_id, phone_e164, body_sealed, state, not_after, twilio_sid,
                        twilio_status, sent_at)
SELECT ('b0000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, '+' || (19000000000 + i),
       NULL, 'sent', now() + interval '1 hour', 'SM' || md5('bench-sid-' || i), 'sent', now()
  FROM generate_series(:base, :base + :rows - 1) AS i;
ANALYZE verifications;
ANALYZE sms_outbox;
