DROP TABLE integrations, client_color_settings, system_settings, user_permissions, user_sessions, users;
DROP FUNCTION pulse_client_id_for_slug(text);
DROP TABLE clients;
DROP DOMAIN vector1536;
DROP FUNCTION pulse_touch_last_updated_at();
DROP FUNCTION pulse_touch_updated_at();
DROP FUNCTION pulse_enable_tenant_rls(regclass);
DROP FUNCTION pulse_current_client();
