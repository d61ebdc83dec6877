-- Revocations are pushed with NOTIFY; a process that starts (or whose LISTEN connection
-- reconnects) rebuilds what it missed from these owner-run lookups. Across tenants they
-- reveal only ids that are already in the tokens (sid, service-account key) and times.

CREATE POLICY owner_revocation_snapshot ON user_sessions FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION pulse_revoked_sessions_since(since timestamptz)
    RETURNS TABLE (session_key uuid, revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT session_key, revoked_at FROM user_sessions WHERE revoked_at >= since $$;

CREATE FUNCTION pulse_disabled_service_accounts_since(since timestamptz)
    RETURNS TABLE (client_id integer, account_key varchar, disabled_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT client_id, account_key, disabled_at FROM service_accounts WHERE disabled_at >= since $$;
