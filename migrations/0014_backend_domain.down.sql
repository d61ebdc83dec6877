DROP TABLE admin_audit_events, team_projects, team_repositories, team_members, teams, client_logos;
ALTER TABLE repositories DROP COLUMN display_name, DROP COLUMN service_name, DROP COLUMN excluded;
ALTER TABLE projects DROP COLUMN display_name;
ALTER TABLE wits_mappings DROP COLUMN integration_id;
ALTER TABLE status_mappings DROP COLUMN integration_id;
ALTER TABLE users DROP COLUMN avatar_url, DROP COLUMN time_zone, DROP COLUMN locale,
    DROP COLUMN default_dashboard_scope, DROP COLUMN default_dashboard_period;
DROP FUNCTION pulse_client_is_platform(integer);
DROP FUNCTION pulse_operator_create_client(text, text);
DROP FUNCTION pulse_operator_clients();
DROP INDEX clients_single_platform;
ALTER TABLE clients DROP COLUMN is_platform;
