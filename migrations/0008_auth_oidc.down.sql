DROP FUNCTION IF EXISTS pulse_client_id_for_oidc_login(bytea);
DROP TABLE IF EXISTS user_identities;
DROP TABLE IF EXISTS oidc_login_states;
DROP TABLE IF EXISTS oidc_providers;
