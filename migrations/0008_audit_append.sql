-- 0008: audit_events gets one writer. Both services append through audit_append(), so the
-- column list, the actor default and the one INSERT live here and nowhere else (auth's audit
-- module and the SMS worker's store call it; see ARCHITECTURE.md).

CREATE FUNCTION audit_append(p_event text, p_actor text, p_user_id uuid, p_phone_masked text,
    p_verification_id uuid, p_message_sid text, p_end_user_ip inet, p_outcome text,
    p_detail jsonb) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    INSERT INTO audit_events (event, actor, user_id, phone_masked, verification_id, message_sid,
        end_user_ip, outcome, detail)
    VALUES (p_event, coalesce(p_actor, 'site'), p_user_id, p_phone_masked, p_verification_id,
        p_message_sid, p_end_user_ip, p_outcome, p_detail)
    RETURNING id
$$;
