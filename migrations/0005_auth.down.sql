DROP FUNCTION pulse_client_id_for_refresh_token(bytea);
DROP FUNCTION pulse_client_id_for_service_account(text);
DROP TABLE auth_audit_events, refresh_tokens, signing_keys, service_accounts, user_roles, role_permissions, roles;
